"""The registry import writes the change history (old and new values under the import's id), and an older
file meeting a newer settled change keeps the settled value and lists the conflict in the import summary."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from server.extensions import db
from server.history import service as history
from server.history.models import RegistryChange
from server.households.models import Household, Member
from server.imports.queries import rejections_of
from server.imports.service import import_registry
from tests.factories import make_user

SAMPLE = (Path(__file__).parent.parent / "imports" / "data" / "registry_sample.csv").read_bytes()


def _household(registry_id: str) -> Household:
    db.session.expire_all()
    return db.session.execute(sa.select(Household).where(Household.registry_id == registry_id)).scalar_one()


def test_import_changes_are_recorded_and_an_old_version_rebuilt(app, db_session):
    import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    first = _household("DTKS-0001")
    before = history.household_now(first.id)
    changed = SAMPLE.decode().replace("Jl. Sentosa No. 12", "Jl. Sentosa No. 14").replace("Rina Santoso", "Rina S.")
    second = import_registry(changed.encode(), "b.csv", actor=None, dry_run=False)
    household = _household("DTKS-0001")
    changes = db_session.query(RegistryChange).filter_by(household_id=household.id).all()
    assert {(c.field, c.old_value, c.new_value) for c in changes} == {
        ("address", "Jl. Sentosa No. 12", "Jl. Sentosa No. 14"),
        ("name", "Rina Santoso", "Rina S."),
    }
    assert {(c.source_kind, c.source_id, c.state, c.household_version) for c in changes} == {
        ("import", str(second.id), "applied", 2)
    }
    assert history.household_at_version(household.id, 1) == before
    assert second.counts["history_rows"] == 2


def test_an_older_file_keeps_a_newer_settled_change_and_lists_the_conflict(app, client, auth_headers, db_session):
    import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    household = _household("DTKS-0001")
    supervisor = make_user("supervisor")
    response = client.patch(
        f"/api/v1/households/{household.id}",
        json={"address": "Jl. Hasil Verifikasi 1"},
        headers={**auth_headers(supervisor), "If-Match": f'"{household.version}"'},
    )
    assert response.status_code == 200, response.get_json()
    member = db.session.execute(
        sa.select(Member).where(Member.household_id == household.id, Member.nik == "6472016101100003")
    ).scalar_one()
    response = client.patch(
        f"/api/v1/households/{household.id}/members/{member.id}",
        json={"name": "Rina Santoso Putri"},
        headers={**auth_headers(supervisor), "If-Match": '"2"'},
    )
    assert response.status_code == 200, response.get_json()
    # The same extract, a week old, and one that also changes the RT nobody settled.
    old_file = SAMPLE.decode().replace(",001,002,64.72.01.1001,2,-0.6172", ",009,002,64.72.01.1001,2,-0.6172")
    imported = import_registry(
        old_file.encode(), "old.csv", actor=None, dry_run=False, as_of=date.today() - timedelta(days=7)
    )
    stored = _household("DTKS-0001")
    assert stored.address == "Jl. Hasil Verifikasi 1" and stored.rt == "009"
    assert db_session.get(Member, member.id).name == "Rina Santoso Putri"
    warnings = [r for r in rejections_of(import_id=imported.id) if r.code == "warning.settled_change_newer"]
    assert {(w.record_key, w.column) for w in warnings} == {("DTKS-0001", "address"), ("DTKS-0001", "name")}
    assert imported.counts["settled_conflicts"] == 2
    # A file extracted after the change is the newer word: it applies.
    newer = import_registry(SAMPLE, "new.csv", actor=None, dry_run=False, as_of=date.today() + timedelta(days=1))
    assert _household("DTKS-0001").address == "Jl. Sentosa No. 12" and newer.counts["settled_conflicts"] == 0


def test_the_extract_date_through_the_api_and_the_cli(app, client, auth_headers, db_session, tmp_path):
    import io

    import_registry(SAMPLE, "a.csv", actor=None, dry_run=False)
    household = _household("DTKS-0001")
    supervisor = make_user("supervisor", ["64.72"])
    headers = auth_headers(supervisor)
    response = client.patch(
        f"/api/v1/households/{household.id}",
        json={"address": "Jl. Hasil Verifikasi 2"},
        headers={**headers, "If-Match": f'"{household.version}"'},
    )
    assert response.status_code == 200, response.get_json()
    old = (date.today() - timedelta(days=3)).isoformat()
    response = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(SAMPLE), "old.csv"), "dry_run": "true", "as_of": old},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()  # a small dry run answers at once
    report = response.get_json()["data"]
    assert report["counts"]["settled_conflicts"] == 1
    assert [w["code"] for w in report["warnings"]] == ["warning.settled_change_newer"]
    bad = client.post(
        "/api/v1/imports/registry",
        data={"file": (io.BytesIO(SAMPLE), "old.csv"), "dry_run": "true", "as_of": "kemarin"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "as_of" in bad.get_json()["error"]["details"]["fields"]

    path = tmp_path / "old.csv"
    path.write_bytes(SAMPLE)
    done = app.test_cli_runner().invoke(args=["import", "registry", str(path), "--as-of", old])
    assert done.exit_code == 0, done.output
    assert "settled_conflicts: 1" in done.output
    assert _household("DTKS-0001").address == "Jl. Hasil Verifikasi 2"
