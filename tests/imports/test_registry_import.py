"""Registry import: sample and messy files, re-import no-op, changed rows, dry run, XLSX, API, CLI."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from server.audit.models import AuditEntry
from server.households.models import Household, Member
from server.imports.models import DataImport
from server.imports.service import import_registry
from tests.factories import make_household, make_member, make_user
from tests.imports.helpers import job_of, report_of

DATA = Path(__file__).parent / "data"
SAMPLE = (DATA / "registry_sample.csv").read_bytes()
HEADER = SAMPLE.decode().splitlines()[0]


def _households(prefix: str) -> dict[str, Household]:
    rows = sa.select(Household).where(Household.registry_id.like(f"{prefix}%"))
    from server.extensions import db

    db.session.expire_all()
    return {h.registry_id: h for h in db.session.execute(rows).scalars()}


def _members(household: Household) -> dict[str, Member]:
    from server.extensions import db

    rows = sa.select(Member).where(Member.household_id == household.id)
    return {m.nik: m for m in db.session.execute(rows).scalars()}


def _reasons(imported: DataImport) -> dict[int, list[tuple[str, str]]]:
    from server.imports.queries import rejections_of

    result: dict[int, list[tuple[str, str]]] = {}
    for item in rejections_of(import_id=imported.id):
        result.setdefault(item.row_number, []).append((item.column, item.code))
    return result


def test_sample_file_imports_every_household_and_member(app, db_session):
    imported = import_registry(SAMPLE, "registry_sample.csv", actor=None, dry_run=False)
    counts = imported.counts
    assert counts["rows_total"] == 6 and counts["rows_accepted"] == 6 and counts["rows_rejected"] == 0
    assert counts["households_inserted"] == 3 and counts["members_inserted"] == 6
    assert counts["encoding"] == "utf-8"
    households = _households("DTKS-000")
    assert set(households) == {"DTKS-0001", "DTKS-0002", "DTKS-0003"}
    budi = households["DTKS-0001"]
    assert (budi.head_name, budi.rt, budi.decile, budi.version) == ("Budi Santoso", "001", 2, 1)
    assert households["DTKS-0003"].rt == "003" and households["DTKS-0003"].location is None
    members = _members(budi)
    assert members["6472015208850002"].sex == 2 and members["6472015208850002"].relationship_code == 2
    assert str(_members(households["DTKS-0002"])["6472021509050005"].birth_date) == "2005-09-15"
    assert len(imported.sha256) == 64 and imported.dry_run is False


def test_reimport_of_the_same_file_changes_nothing(app, db_session):
    import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    before = {key: (h.version, h.change_seq, h.updated_at) for key, h in _households("DTKS-000").items()}
    again = import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    after = {key: (h.version, h.change_seq, h.updated_at) for key, h in _households("DTKS-000").items()}
    assert after == before
    assert again.counts["households_inserted"] == again.counts["households_updated"] == 0
    assert again.counts["members_inserted"] == again.counts["members_updated"] == 0
    assert again.counts["rows_accepted"] == 6


def test_changed_rows_update_and_bump_only_their_household(app, db_session):
    import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    text = SAMPLE.decode()
    changed = text.replace("Gg. Melati RT 5", "Gg. Melati Ujung").replace("Rina Santoso", "Rina Santosa")
    report = import_registry(changed.encode(), "b.csv", actor=None, dry_run=False)
    households = _households("DTKS-000")
    assert households["DTKS-0002"].address == "Gg. Melati Ujung" and households["DTKS-0002"].version == 2
    assert households["DTKS-0001"].version == 2  # a member changed
    assert _members(households["DTKS-0001"])["6472016101100003"].name == "Rina Santosa"
    assert households["DTKS-0003"].version == 1
    assert report.counts["households_updated"] == 2 and report.counts["members_updated"] == 1


def test_dry_run_changes_nothing_but_reports(app, db_session):
    report = import_registry(SAMPLE, "a.csv", actor=None, dry_run=True)
    assert report.dry_run is True
    assert report.counts["households_inserted"] == 3
    assert _households("DTKS-000") == {}


def _messy_csv() -> bytes:
    lines = [
        HEADER,
        # household M-1: good, woman's +40 NIK, cp1252 apostrophe in a name
        "M-1,6472011503150011,,Jl. A,1,1,64.72.01.1001,1,,,6472011705800011,Slamet,1,1980-05-17,Samarinda,1",
        "M-1,6472011503150011,,Jl. A,1,1,64.72.01.1001,1,,,6472015705820012,Nur\u2019aini,2,1982-05-17,Samarinda,2",
        "",
        # M-2: bad NIK date on one row → the whole household is rejected
        "M-2,6472011503150021,,Jl. B,1,1,64.72.01.1001,1,,,6472011705800021,Joko,1,,,1",
        "M-2,6472011503150021,,Jl. B,1,1,64.72.01.1001,1,,,6472013205800022,Sri,2,,,2",
        # M-3: unknown kelurahan
        "M-3,6472011503150031,,Jl. C,1,1,64.72.99.9999,1,,,6472011705800031,Agus,1,,,1",
        "   ,  ,  ,,,,,,,,,,,,,",
        # M-4 and M-5 list the same NIK → both rejected
        "M-4,6472011503150041,,Jl. D,1,1,64.72.01.1002,2,,,6472011705800041,Hadi,1,,,1",
        "M-5,6472011503150051,,Jl. E,1,1,64.72.01.1002,2,,,6472011705800051,Wati,2,,,1",
        "M-5,6472011503150051,,Jl. E,1,1,64.72.01.1002,2,,,6472011705800041,Hadi,1,,,3",
        # M-6: Excel float text NIK (recovered) and coordinates in Samarinda
        "M-6,6472011503150061.0,,Jl. F,1,1,64.72.01.1003,3,-0.5,117.15,6472011705800061.0,Rudi,1,,,1",
        # M-7: scientific notation NIK (digits lost) → rejected
        "M-7,6472011503150071,,Jl. G,1,1,64.72.01.1003,3,,,6.47201E+15,Yanti,2,,,1",
        # M-8: coordinates in Europe
        "M-8,6472011503150081,,Jl. H,1,1,64.72.01.1003,3,52.1,5.1,6472011705800081,Eko,1,,,1",
        # M-9: serial 0000 and a missing name
        "M-9,6472011503150091,,Jl. I,1,1,64.72.01.1003,3,,,6472011705800000,,1,,,1",
        "",
    ]
    return "\r\n".join(lines).encode("cp1252")


def test_messy_file_reports_every_bad_row_and_keeps_only_whole_good_households(app, db_session):
    imported = import_registry(_messy_csv(), "messy.csv", actor=None, dry_run=False)
    counts = imported.counts
    assert counts["encoding"] == "cp1252"
    reasons = _reasons(imported)
    # Row numbers are the file's lines (header = 1, blank lines count).
    assert ("nik", "nik.birth_date") in reasons[6]
    assert reasons[5] == [("registry_id", "household.rejected")]
    assert ("kelurahan_code", "kelurahan.unknown") in reasons[7]
    # A NIK the file lists in two households is imported and both are flagged (issue 12), not refused.
    assert reasons[9] == [("nik", "warning.nik_duplicate")] and reasons[11] == [("nik", "warning.nik_duplicate")]
    assert reasons[10] == [("sex", "warning.nik_sex")]  # Wati: a man's NIK
    assert ("nik", "nik.scientific") in reasons[13]
    assert ("latitude", "coordinates.outside_indonesia") in reasons[14]
    assert ("nik", "nik.serial") in reasons[15] and ("name", "required") in reasons[15]
    assert 2 not in reasons and 3 not in reasons and 12 not in reasons
    households = _households("M-")
    assert set(households) == {"M-1", "M-4", "M-5", "M-6"}
    assert households["M-4"].flags == households["M-5"].flags == ["nik_duplicate"] and households["M-1"].flags == []
    members = _members(households["M-1"])
    assert members["6472015705820012"].name == "Nur\u2019aini" and members["6472015705820012"].sex == 2
    assert households["M-1"].head_name == "Slamet"
    assert households["M-6"].kk_number == "6472011503150061"
    assert set(_members(households["M-6"])) == {"6472011705800061"}
    assert counts["rows_blank"] == 2
    assert counts["rows_total"] == 12 and counts["rows_accepted"] == 6 and counts["rows_rejected"] == 6
    assert counts["households_rejected"] == 5 and counts["households_accepted"] == 4
    assert counts["nik_duplicates"] == 1 and counts["households_flagged_nik_duplicate"] == 2
    # Nothing of a rejected household was written, not even its good rows.
    from server.extensions import db

    assert db.session.execute(sa.select(sa.func.count()).where(Member.nik == "6472011705800021")).scalar_one() == 0


def test_nik_already_in_another_household_rejects_the_row_household(app, db_session):
    existing = make_household(registry_id="OTHER-1")
    make_member(existing, nik="6472011705800001")
    imported = import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    reasons = _reasons(imported)
    assert ("nik", "nik.in_other_household") in reasons[2]
    assert reasons[3] == [("registry_id", "household.rejected")]
    assert set(_households("DTKS-000")) == {"DTKS-0002", "DTKS-0003"}


def test_semicolon_delimited_excel_style_csv_with_aliases(app, db_session):
    text = (
        "ID_DTKS;No KK;Alamat;Kode Kelurahan;Desil;NIK;Nama;Jenis Kelamin;Tanggal Lahir;Hubungan\n"
        "S-1;6472011503150101;Jl. X;64.72.01.1001;4;'6472011705800101;Bambang;L;17/05/1980;1\n"
    )
    imported = import_registry(text.encode("utf-8-sig"), "excel.csv", actor=None, dry_run=False)
    assert imported.counts["rows_accepted"] == 1, _reasons(imported)
    assert _households("S-")["S-1"].decile == 4


def test_missing_required_columns_reject_the_file(app, db_session):
    from server.errors import AppError

    with pytest.raises(AppError) as error:
        import_registry(b"registry_id,nama\nX,Y\n", "bad.csv", actor=None, dry_run=False)
    assert set(error.value.details["missing_columns"]) == {"kk_number", "kelurahan_code", "nik", "sex", "relationship"}


def test_xlsx_numbers_are_recovered_or_refused(app, db_session):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    base = ["X-1", "6472011503150201", None, "Jl. Y", 1, 1, "64.72.01.1001", 2, -0.5, 117.1]
    sheet.append([*base, 6472011705800201, "Tono", 1, None, None, 1])  # exact integer cell: fine
    sheet.append(
        [
            "X-2",
            6472011503150211,
            None,
            "Jl. Z",
            1,
            1,
            "64.72.01.1001",
            2,
            None,
            None,
            6.47201170580021e15,
            "Tini",
            2,
            None,
            None,
            1,
        ]
    )  # float NIK ending in 0: may be rounded
    buffer = io.BytesIO()
    workbook.save(buffer)
    imported = import_registry(buffer.getvalue(), "registry.xlsx", actor=None, dry_run=False)
    reasons = _reasons(imported)
    assert imported.counts["encoding"] == "xlsx"
    assert ("nik", "nik.excel_rounded") in reasons[3]
    assert set(_households("X-")) == {"X-1"}


def test_api_upload_report_rejections_csv_and_permissions(client, auth_headers, db_session):
    supervisor = make_user("supervisor", ["64.72.01"])
    headers = auth_headers(supervisor)
    response = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(SAMPLE), "registry_sample.csv"), "dry_run": "false"},
        headers=headers,
        content_type="multipart/form-data",
    )
    job = job_of(response)
    assert job["kind"] == "import.registry" and job["created_by"] == {
        "id": supervisor.id,
        "username": supervisor.username,
    }
    report = report_of(client, headers, response)
    job = client.get(job["links"]["self"], headers=headers).get_json()["data"]
    assert job["progress"]["phase"] == "applying" and job["result"]["import_id"] == report["id"]
    assert job["result"]["counts"]["households_inserted"] == 2 and job["attempts"] == 1
    # DTKS-0002 lies in kecamatan 64.72.02: outside this supervisor's area.
    assert report["counts"]["households_inserted"] == 2
    assert {item["code"] for item in report["rejections"]} >= {"kelurahan.out_of_scope"}
    download = client.get(report["rejections_csv"], headers=headers)
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert {row["row"] for row in rows} == {"5", "6"}
    assert all(row["reason"] for row in rows)
    assert client.get(f"/api/v1/imports/{report['id']}", headers=headers).status_code == 200
    other = make_user("supervisor", ["64.72.01"])
    assert client.get(report["rejections_csv"], headers=auth_headers(other)).status_code == 404
    enumerator = make_user("enumerator")
    forbidden = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(SAMPLE), "x.csv")},
        headers=auth_headers(enumerator),
        content_type="multipart/form-data",
    )
    assert forbidden.status_code == 403
    missing = client.post("/api/v1/imports/registry", data={}, headers=headers, content_type="multipart/form-data")
    assert missing.status_code == 422
    empty = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(b""), "x.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert empty.status_code == 422
    dry = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(SAMPLE), "x.csv"), "dry_run": "true"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert dry.status_code == 201 and dry.get_json()["data"]["counts"]["households_inserted"] == 0
    audit = db_session.execute(sa.select(AuditEntry).where(AuditEntry.action == "import.registry")).scalar_one()
    assert audit.actor_id == supervisor.id and audit.changes["counts"]["households_inserted"] == 2


def test_cli_import_registry_dry_run_and_apply(app, db_session, tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(SAMPLE)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "registry", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "households_inserted: 3" in dry.output
    assert _households("DTKS-000") == {}
    applied = runner.invoke(args=["import", "registry", str(path)])
    assert applied.exit_code == 0, applied.output
    assert len(_households("DTKS-000")) == 3


def test_supervisor_cannot_pull_a_household_from_another_area_by_reimporting_it(app, db_session):
    from server.auth.access import Actor
    from server.types import Role

    make_household(registry_id="DTKS-0001", region_code="64.72.02.1009")
    supervisor = make_user("supervisor", ["64.72.01"])
    actor = Actor(supervisor.id, supervisor.username, Role.SUPERVISOR, ("64.72.01",), None)
    imported = import_registry(SAMPLE, "a.csv", actor=actor, dry_run=False)
    reasons = _reasons(imported)
    assert ("registry_id", "household.out_of_scope") in reasons[2]
    assert _households("DTKS-0001")["DTKS-0001"].region_code == "64.72.02.1009"
    assert set(_households("DTKS-000")) == {"DTKS-0001", "DTKS-0003"}


def test_an_export_reimports_as_a_no_op(client, auth_headers, db_session):
    """The household export writes the import's columns: importing it back changes nothing."""
    import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    db_session.commit()
    before = {key: (h.version, h.change_seq, h.updated_at) for key, h in _households("DTKS-000").items()}
    admin = auth_headers(make_user("admin", regions=()))
    exported = client.get("/api/v1/households/export.csv", headers=admin)
    assert exported.status_code == 200
    again = import_registry(exported.get_data(), "export.csv", actor=None, dry_run=False)
    assert again.counts["rows_rejected"] == 0, _reasons(again)
    assert again.counts["households_inserted"] == again.counts["households_updated"] == 0
    assert again.counts["members_inserted"] == again.counts["members_updated"] == 0
    after = {key: (h.version, h.change_seq, h.updated_at) for key, h in _households("DTKS-000").items()}
    assert after == before
