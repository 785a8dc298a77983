"""The registry change history: staff edits land in it with old and new values, and it rebuilds a household
as it was at an older version (fields, members added later left out)."""

from __future__ import annotations

from datetime import date

from server.history import service as history
from server.history.models import RegistryChange
from tests.factories import make_household, make_member, make_nik, make_user


def test_staff_edits_are_recorded_and_an_old_version_is_rebuilt(client, auth_headers, db_session):
    supervisor = make_user("supervisor")
    household = make_household(head_name="Siti Aminah", address="Jl. Lama 1", rt="001")
    head = make_member(household, name="Siti Aminah", relationship_code=1, sex=2, nik=make_nik(female=True))
    headers = auth_headers(supervisor)
    at_one = history.household_now(household.id)
    assert at_one["version"] == 1

    response = client.patch(
        f"/api/v1/households/{household.id}",
        json={"address": "Jl. Baru 2", "rt": "004", "location": {"lon": 117.15, "lat": -0.5}},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.get_json()
    response = client.post(
        f"/api/v1/households/{household.id}/members",
        json={"name": "Anak Baru", "sex": 1, "relationship_code": 3, "birth_date": "2015-02-03"},
        headers={**headers, "If-Match": '"2"'},
    )
    assert response.status_code == 201, response.get_json()
    response = client.patch(
        f"/api/v1/households/{household.id}/members/{head.id}",
        json={"name": "Siti Aminah Binti Umar", "birth_date": "1981-06-17"},
        headers={**headers, "If-Match": '"3"'},
    )
    assert response.status_code == 200, response.get_json()

    changes = db_session.query(RegistryChange).filter_by(household_id=household.id).order_by(RegistryChange.id).all()
    assert [(c.field, c.household_version, c.state, c.source_kind) for c in changes] == [
        ("address", 2, "applied", "staff_edit"),
        ("rt", 2, "applied", "staff_edit"),
        ("location", 2, "applied", "staff_edit"),
        ("member", 3, "applied", "staff_edit"),
        ("name", 4, "applied", "staff_edit"),
        ("birth_date", 4, "applied", "staff_edit"),
    ]
    assert changes[0].old_value == "Jl. Lama 1" and changes[0].new_value == "Jl. Baru 2"
    assert all(c.decided_by_id == supervisor.id and c.decided_at is not None for c in changes)

    now = history.household_now(household.id)
    assert now["version"] == 4 and len(now["members"]) == 2
    assert now["household"]["address"] == "Jl. Baru 2"
    rebuilt = history.household_at_version(household.id, 1)
    assert rebuilt == at_one
    at_three = history.household_at_version(household.id, 3)
    assert at_three["household"]["address"] == "Jl. Baru 2" and len(at_three["members"]) == 2
    assert at_three["members"][str(head.id)]["name"] == "Siti Aminah"
    assert at_three["members"][str(head.id)]["birth_date"] == date(1980, 5, 17).isoformat()
