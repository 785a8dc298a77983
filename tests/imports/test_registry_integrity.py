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


# --- finding 3: one present head, in the import and in the database -------------------------------
def _present_heads(db_session, registry_id: str) -> list[str]:
    db_session.expire_all()
    rows = (
        sa.select(Member.nik)
        .join(Household)
        .where(Household.registry_id == registry_id, Member.relationship_code == 1, Member.presence_status == "present")
    )
    return list(db_session.execute(rows).scalars())


def test_reimport_with_a_corrected_head_nik_replaces_the_head(db_session):
    first = _file(
        _line("H-1", "6472011705801001", "Kepala Lama"),
        _line("H-1", "6472015705801002", "Istri", sex="P", relationship=2),
    )
    import_registry(first, "a.csv", actor=None, dry_run=False)
    corrected = _file(
        _line("H-1", "6472011705801003", "Kepala Lama"),  # the head's NIK corrected by the agency
        _line("H-1", "6472015705801002", "Istri", sex="P", relationship=2),
    )
    dry = import_registry(corrected, "b.csv", actor=None, dry_run=True)
    assert dry.counts["members_removed"] == 1 and _present_heads(db_session, "H-1") == ["6472011705801001"]
    imported = import_registry(corrected, "b.csv", actor=None, dry_run=False)
    assert _present_heads(db_session, "H-1") == ["6472011705801003"]
    members = _members(db_session, "H-1")
    assert members["6472011705801001"].presence_status == "removed"
    assert imported.counts["members_removed"] == 1 and imported.counts["heads_replaced"] == 1
    assert imported.counts["households_updated"] == 1
    warnings = import_report(imported)["warnings"]
    assert [(item["registry_id"], item["code"]) for item in warnings] == [("H-1", "warning.members_removed")]
    household = db_session.execute(sa.select(Household).where(Household.registry_id == "H-1")).scalar_one()
    assert household.version == 2
    # Listed again: present again; the same file once more changes nothing.
    again = import_registry(first, "a.csv", actor=None, dry_run=False)
    assert _present_heads(db_session, "H-1") == ["6472011705801001"]
    assert again.counts["members_removed"] == 1 and again.counts["members_updated"] == 1
    same = import_registry(first, "a.csv", actor=None, dry_run=False)
    assert same.counts["members_removed"] == same.counts["members_updated"] == same.counts["households_updated"] == 0


def test_reimport_may_swap_head_and_spouse(db_session):
    import_registry(
        _file(
            _line("S-1", "6472011705801101", "Suami"),
            _line("S-1", "6472015705801102", "Istri", sex="P", relationship=2),
        ),
        "a.csv",
        actor=None,
        dry_run=False,
    )
    swapped = import_registry(
        _file(
            _line("S-1", "6472011705801101", "Suami", relationship=2),
            _line("S-1", "6472015705801102", "Istri", sex="P"),
        ),
        "b.csv",
        actor=None,
        dry_run=False,
    )
    assert swapped.counts["members_updated"] == 2
    assert _present_heads(db_session, "S-1") == ["6472015705801102"]


def test_the_database_refuses_a_second_present_head(client, auth_headers, db_session):

    household = make_household()
    make_member(household, relationship_code=1)
    make_member(household, relationship_code=1, presence_status="deceased")  # not present: allowed
    spouse = make_member(household, relationship_code=2)
    headers = auth_headers(make_user("supervisor", ["64.72"])) | {"If-Match": f'"{household.version}"'}
    response = client.patch(
        f"/api/v1/households/{household.id}/members/{spouse.id}", json={"relationship_code": 1}, headers=headers
    )
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["details"]["constraint"] == "ex_members_one_present_head"


def test_no_path_around_the_service_stores_a_second_present_head(db_session):
    from sqlalchemy.exc import IntegrityError

    household = make_household()
    make_member(household, relationship_code=1)
    with db_session.begin_nested():
        db_session.add(
            Member(household_id=household.id, name="Dua", sex=1, relationship_code=1, presence_status="present")
        )
        try:
            db_session.flush()
            raise AssertionError("a second present head was stored")
        except IntegrityError:
            pass


# --- NIK listed in two households ----------------------------------------------------------------
def _flags(db_session, registry_id: str) -> list[str]:
    db_session.expire_all()
    return db_session.execute(sa.select(Household.flags).where(Household.registry_id == registry_id)).scalar_one()


def test_nik_in_two_households_of_the_file_is_imported_flagged_and_listed_until_settled(db_session):
    twice = _file(
        _line("D-1", "6472011705801201", "Satu"),
        _line("D-1", "6472011705801209", "Ganda", relationship=3),
        _line("D-2", "6472011705801202", "Dua", kk="6472011503150002"),
        _line("D-2", "6472011705801209", "Ganda", relationship=3, kk="6472011503150002"),
    )
    imported = import_registry(twice, "twice.csv", actor=None, dry_run=False)
    assert imported.counts["rows_rejected"] == 0 and imported.counts["households_inserted"] == 2
    assert imported.counts["nik_duplicates"] == 1 and imported.counts["households_flagged_nik_duplicate"] == 2
    assert {(item["row"], item["code"]) for item in import_report(imported)["warnings"]} == {
        (3, "warning.nik_duplicate"),
        (5, "warning.nik_duplicate"),
    }
    assert _flags(db_session, "D-1") == _flags(db_session, "D-2") == ["nik_duplicate"]
    # The same file again: no rejection (the other household is in the file), nothing changes.
    again = import_registry(twice, "twice.csv", actor=None, dry_run=False)
    assert again.counts["rows_rejected"] == 0 and again.counts["households_updated"] == 0
    # The agency fixes its file: the member leaves D-2, but the flag stays until review settles it.
    fixed = import_registry(
        _file(
            _line("D-1", "6472011705801201", "Satu"),
            _line("D-1", "6472011705801209", "Ganda", relationship=3),
            _line("D-2", "6472011705801202", "Dua", kk="6472011503150002"),
        ),
        "fixed.csv",
        actor=None,
        dry_run=False,
    )
    assert fixed.counts["members_removed"] == 1
    assert _flags(db_session, "D-1") == _flags(db_session, "D-2") == ["nik_duplicate"]


def test_member_added_in_the_field_with_a_nik_from_elsewhere_is_flagged_never_merged(client, auth_headers, db_session):
    other = make_household(registry_id="F-OTHER", region_code="64.72.02.1009")
    make_member(other, nik="6472011705801301", name="Di Tempat Lain")
    household = make_household(registry_id="F-HERE", region_code="64.72.01.1001")
    make_member(household, relationship_code=1)
    headers = auth_headers(make_user("supervisor", ["64.72.01"])) | {"If-Match": f'"{household.version}"'}
    response = client.post(
        f"/api/v1/households/{household.id}/members",
        json={"nik": "6472011705801301", "name": "Orang Sama", "sex": 1, "relationship_code": 8},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    assert "F-OTHER" not in response.get_data(as_text=True)
    assert _flags(db_session, "F-HERE") == _flags(db_session, "F-OTHER") == ["nik_duplicate"]
    assert set(_members(db_session, "F-OTHER")) == {"6472011705801301"}
    assert len(_members(db_session, "F-HERE")) == 2
    detail = client.get(f"/api/v1/households/{household.id}", headers=headers)
    assert detail.get_json()["data"]["flags"] == ["nik_duplicate"]


def test_member_api_refuses_impossible_birth_dates(client, auth_headers, db_session):
    household = make_household()
    headers = auth_headers(make_user("supervisor", ["64.72"])) | {"If-Match": f'"{household.version}"'}
    for born in ("2090-01-01", "1899-12-31"):
        response = client.post(
            f"/api/v1/households/{household.id}/members",
            json={"name": "X", "sex": 1, "relationship_code": 3, "birth_date": born},
            headers=headers,
        )
        assert response.status_code == 422 and "birth_date" in response.get_json()["error"]["details"]["fields"]


def test_nik_duplicate_flag_is_listed_filtered_and_settled_by_review(client, auth_headers, db_session):
    import_registry(
        _file(
            _line("R-1", "6472011705801401", "Satu"),
            _line("R-1", "6472011705801409", "Ganda", relationship=3),
            _line("R-2", "6472011705801402", "Dua", kk="6472011503150002"),
            _line("R-2", "6472011705801409", "Ganda", relationship=3, kk="6472011503150002"),
            _line("R-3", "6472011705801403", "Tiga", kk="6472011503150003"),
        ),
        "r.csv",
        actor=None,
        dry_run=False,
    )
    headers = auth_headers(make_user("supervisor", ["64.72.01"]))
    listed = client.get("/api/v1/households?flag=nik_duplicate&limit=500", headers=headers).get_json()["data"]
    assert {item["registry_id"] for item in listed} >= {"R-1", "R-2"} and "R-3" not in {
        i["registry_id"] for i in listed
    }
    assert client.get("/api/v1/households?flag=unknown", headers=headers).status_code == 422
    household = next(item for item in listed if item["registry_id"] == "R-1")
    settled = client.patch(
        f"/api/v1/households/{household['id']}",
        json={"flags": []},
        headers=headers | {"If-Match": f'"{household["version"]}"'},
    )
    assert settled.status_code == 200, settled.get_json()
    assert _flags(db_session, "R-1") == [] and _flags(db_session, "R-2") == ["nik_duplicate"]


def test_a_nik_left_in_a_household_the_import_could_not_touch_is_flagged_not_named(db_session):
    outside = make_household(registry_id="E-2", region_code="64.72.02.1009")
    make_member(outside, nik="6472011705801501", relationship_code=1)
    supervisor = make_user("supervisor", ["64.72.01"])
    actor = Actor(supervisor.id, supervisor.username, Role.SUPERVISOR, ("64.72.01",), None)
    imported = import_registry(
        _file(
            _line("E-1", "6472011705801501", "Pindah"),
            # E-2 lists the same person, but E-2 is stored outside this supervisor's area: refused
            _line("E-2", "6472011705801501", "Pindah", kk="6472011503150002"),
        ),
        "e.csv",
        actor=actor,
        dry_run=False,
    )
    codes = _codes(imported)
    assert "household.out_of_scope" in codes[3] and codes[2] == {"warning.nik_duplicate"}
    assert imported.counts["households_flagged_nik_duplicate"] == 2
    assert _flags(db_session, "E-1") == _flags(db_session, "E-2") == ["nik_duplicate"]
    warning = import_report(imported)["warnings"][0]["reason"]
    assert "E-2" not in warning and "baris" not in warning
