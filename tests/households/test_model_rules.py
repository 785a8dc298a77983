"""Database-level rules on households: change stamping for sync, and the structural CHECK constraints."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.extensions import db
from tests.factories import make_household, make_member


def test_every_write_stamps_a_new_change_seq_and_transaction_id(db_session):
    household = make_household()
    db.session.refresh(household)
    first_seq = household.change_seq
    assert first_seq > 0
    current_xid = db.session.execute(sa.text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
    assert household.change_xid == current_xid

    household.head_name = "Nama Baru"
    db.session.flush()
    db.session.refresh(household)
    assert household.change_seq > first_seq


@pytest.mark.parametrize(
    "overrides",
    [{"decile": 11}, {"kk_number": "12345"}, {"region_code": "99.99"}],
    ids=["decile", "kk_number", "region"],
)
def test_household_constraints_refuse_bad_values(db_session, overrides):
    with pytest.raises(IntegrityError):
        make_household(**overrides)


def test_member_nik_must_be_sixteen_digits(db_session):
    household = make_household()
    with pytest.raises(IntegrityError):
        make_member(household, nik="64720157058")


def test_audit_log_refuses_update_and_delete(db_session):
    db.session.execute(sa.text("INSERT INTO audit_log (action) VALUES ('test.append')"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(sa.text("UPDATE audit_log SET action = 'x'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(sa.text("DELETE FROM audit_log"))
