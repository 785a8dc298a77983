"""One present head per household survives a merge (issue 12, finding 3): the duplicate's head moves over as
"other" (8) when the survivor has a head already."""

from __future__ import annotations

import sqlalchemy as sa

from server.households.models import Member
from tests.factories import make_household, make_member, make_nik, make_user


def test_merge_moves_the_duplicates_head_as_other_member(client, auth_headers, db_session):
    survivor = make_household(region_code="64.72.01.1001")
    make_member(survivor, nik=make_nik(5101), relationship_code=1)
    duplicate = make_household(region_code="64.72.01.1001")
    moved_head = make_member(duplicate, nik=make_nik(5102), relationship_code=1)
    headers = auth_headers(make_user("supervisor", ["64.72.01"])) | {"If-Match": f'"{survivor.version}"'}
    response = client.post(
        f"/api/v1/households/{survivor.id}/merge", json={"duplicate_id": str(duplicate.id)}, headers=headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["merged"]["heads_demoted"] == 1
    db_session.expire_all()
    heads = db_session.execute(
        sa.select(Member.id).where(
            Member.household_id == survivor.id, Member.relationship_code == 1, Member.presence_status == "present"
        )
    ).all()
    assert len(heads) == 1
    assert db_session.get(Member, moved_head.id).relationship_code == 8
