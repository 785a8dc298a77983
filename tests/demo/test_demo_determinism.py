"""Same seed, same city: the demo command run into two fresh databases leaves identical rows everywhere
(ids, change stamps, assignments, receipts), apart from clock readings, transaction ids and password salts."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from server import create_app
from server.extensions import db

HOUSEHOLDS = 300
# Differ between two otherwise identical loads by nature, not by generation.
VOLATILE = ("change_xid", "password_hash")


def _fingerprints() -> dict[str, tuple[int, str]]:
    """(row count, md5 over the sorted rows) of every table, without volatile and clock columns."""
    tables = db.session.execute(
        sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name NOT IN ('spatial_ref_sys', 'alembic_version')"
        )
    ).scalars()
    result = {}
    for table in sorted(tables):
        dropped = list(VOLATILE) + list(
            db.session.execute(
                sa.text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = :table AND data_type LIKE 'timestamp%'"
                ),
                {"table": table},
            ).scalars()
        )
        row = db.session.execute(
            sa.text(
                f"SELECT count(*), md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) FROM "
                f'(SELECT (to_jsonb(t) - CAST(:dropped AS text[]))::text AS r FROM "{table}" t) rows'
            ),
            {"dropped": dropped},
        ).one()
        result[table] = (row[0], row[1])
    return result


def _load_into_fresh_database(url: str, seed: int) -> dict[str, tuple[int, str]]:
    app = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["demo-data", "--households", str(HOUSEHOLDS), "--seed", str(seed)])
        assert result.exit_code == 0, result.output
        fingerprints = _fingerprints()
        db.session.remove()
        db.engine.dispose()
    return fingerprints


def test_same_seed_into_two_fresh_databases_gives_identical_data(create_database):
    first = _load_into_fresh_database(create_database("_demo_a"), seed=11)
    second = _load_into_fresh_database(create_database("_demo_b"), seed=11)
    # The registry, plus one household proposed in the field per enumerator in the demo visits.
    assert first["households"][0] == HOUSEHOLDS + 5
    assert first["members"][0] > HOUSEHOLDS and first["aid_receipts"][0] > 0 and first["assignments"][0] > 0
    assert first["visits"][0] >= 5 * 8 and first["users"][0] == 9
    # demo.load, and the push's own audit rows (a visit.create per visit, a household.flag for shared NIKs).
    assert first["audit_log"][0] > 1
    assert first == second
    other = _load_into_fresh_database(create_database("_demo_c"), seed=12)
    assert other["households"] != first["households"] and other["members"] != first["members"]
