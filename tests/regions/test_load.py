"""The shipped region list: 10 kecamatan and 59 kelurahan of Samarinda, loaded idempotently."""

import sqlalchemy as sa

from server.extensions import db
from server.regions.service import load_regions


def _counts():
    rows = db.session.execute(sa.text("SELECT level, count(*) FROM regions GROUP BY level"))
    return dict(rows.all())


def test_samarinda_regions_are_loaded(db_session):
    assert _counts() == {"provinsi": 1, "kota": 1, "kecamatan": 10, "kelurahan": 59}
    parent = db.session.execute(sa.text("SELECT parent_code FROM regions WHERE code = '64.72.01.1001'")).scalar()
    assert parent == "64.72.01"


def test_loading_again_changes_nothing(db_session):
    before = db.session.execute(
        sa.text("SELECT md5(string_agg(code || name || level, ',' ORDER BY code)) FROM regions")
    )
    before = before.scalar()
    load_regions()
    after = db.session.execute(sa.text("SELECT md5(string_agg(code || name || level, ',' ORDER BY code)) FROM regions"))
    assert after.scalar() == before
    assert sum(_counts().values()) == 71
