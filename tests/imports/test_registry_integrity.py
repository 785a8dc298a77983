"""Registry integrity on import (issue 12): impossible birth dates, birth date / sex contradicting the NIK,
no probing of other areas through rejection messages."""

from __future__ import annotations

import sqlalchemy as sa

from server.auth.access import Actor
from server.households.models import Household, Member
from server.imports.models import DataImport
from server.imports.queries import rejections_of
from server.imports.service import import_registry, import_report
from server.types import Role
from tests.factories import make_household, make_member, make_user

HEADER = (
    "registry_id,kk_number,head_name,address,rt,rw,kelurahan_code,decile,latitude,longitude,"
    "nik,name,sex,birth_date,birth_place,relationship"
)


def _line(registry_id, nik, name, *, sex="1", born="", relationship=1, kk="6472011503150001", region="64.72.01.1001"):
    return f"{registry_id},{kk},,Jl. A,1,1,{region},2,,,{nik},{name},{sex},{born},,{relationship}"


def _file(*lines: str) -> bytes:
    return "\n".join([HEADER, *lines]).encode()


def _codes(imported: DataImport) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {}
    for item in rejections_of(import_id=imported.id):
        result.setdefault(item.row_number, set()).add(item.code)
    return result


def _members(db_session, prefix: str) -> dict[str, Member]:
    db_session.expire_all()
    rows = sa.select(Member).join(Household).where(Household.registry_id.like(f"{prefix}%"))
    return {member.nik: member for member in db_session.execute(rows).scalars()}


# --- finding 6 -----------------------------------------------------------------------------------
def test_birth_dates_in_the_future_or_before_1900_are_rejected(db_session):
    imported = import_registry(
        _file(
            _line("B-1", "6472011705800701", "Masa Depan", born="2090-05-17"),
            _line("B-2", "6472011705800702", "Terlalu Tua", born="17-05-1899"),
            _line("B-3", "6472011705800703", "Wajar", born="1980-05-17"),
        ),
        "dates.csv",
        actor=None,
        dry_run=False,
    )
    codes = _codes(imported)
    assert "birth_date.range" in codes[2] and "birth_date.range" in codes[3]
    assert 4 not in codes
    assert set(_members(db_session, "B-")) == {"6472011705800703"}


def test_birth_date_or_sex_contradicting_the_nik_is_a_warning_not_a_rejection(db_session):
    imported = import_registry(
        _file(
            # NIK says 17-05-80, male; the file says 1981 → warning
            _line("W-1", "6472011705800801", "Beda Tanggal", born="1981-05-17"),
            # NIK has the women's +40 (57 = 17 + 40) but the file says male → warning
            _line("W-2", "6472015705800802", "Beda Kelamin", sex="L", born="1980-05-17", kk="6472011503150002"),
            # consistent woman
            _line("W-3", "6472015705800803", "Cocok", sex="P", born="1980-05-17", kk="6472011503150003"),
        ),
        "warnings.csv",
        actor=None,
        dry_run=False,
    )
    assert imported.counts["rows_accepted"] == 3 and imported.counts["rows_rejected"] == 0
    assert imported.counts["warnings"] == 2
    report = import_report(imported)
    assert report["rejections"] == []
    assert {(item["row"], item["code"]) for item in report["warnings"]} == {
        (2, "warning.nik_birth_date"),
        (3, "warning.nik_sex"),
    }
    assert len(_members(db_session, "W-")) == 3


# --- finding 4 -----------------------------------------------------------------------------------
def test_rejection_outside_the_actors_area_does_not_name_the_other_household(db_session):
    elsewhere = make_household(registry_id="DTKS-UL-77", region_code="64.72.02.1009")
    make_member(elsewhere, nik="6472011705800901")
    inside = make_household(registry_id="DTKS-IN-78", region_code="64.72.01.1002")
    make_member(inside, nik="6472011705800902")
    supervisor = make_user("supervisor", ["64.72.01"])
    actor = Actor(supervisor.id, supervisor.username, Role.SUPERVISOR, ("64.72.01",), None)
    imported = import_registry(
        _file(
            _line("P-1", "6472011705800901", "Probe"),
            _line("P-2", "6472011705800902", "Dalam", kk="6472011503150002"),
        ),
        "probe.csv",
        actor=actor,
        dry_run=True,
    )
    reasons: dict[int, str] = {}
    for item in rejections_of(import_id=imported.id):
        reasons[item.row_number] = reasons.get(item.row_number, "") + " | " + item.reason
    assert "DTKS-UL-77" not in reasons[2] and "registered elsewhere" in reasons[2]
    assert "DTKS-IN-78" in reasons[3]
    # The admin (and the command line) still sees which household holds it.
    admin = import_registry(_file(_line("P-1", "6472011705800901", "Probe")), "probe.csv", actor=None, dry_run=True)
    assert "DTKS-UL-77" in rejections_of(import_id=admin.id)[0].reason
