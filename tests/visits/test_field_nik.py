"""A member reported new at the door with a NIK another household lists (issue 12): the visit is accepted as
usual and both households are flagged nik_duplicate for review, never merged."""

from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db
from server.households.models import Household, Member
from tests.factories import make_household, make_member, make_nik
from tests.visits.test_push import _push, _world, visit_item


def test_new_member_with_a_nik_from_another_household_flags_both(sync_ctx, sync_client):
    enumerator, homes = _world(2)
    elsewhere = make_household(region_code="64.72.02.1009")
    nik = make_nik(7701)
    make_member(elsewhere, nik=nik, name="Terdaftar Di Sana")
    db.session.commit()
    new_member = {"member_id": None, "presence": "new", "name": "Orang Sama", "nik": nik, "sex": 1}
    fresh = {"member_id": None, "presence": "new", "name": "Bayi", "nik": make_nik(7702), "sex": 2}
    results = _push(
        sync_client,
        enumerator,
        [visit_item(homes[0], members=[new_member]), visit_item(homes[1], members=[fresh])],
    )
    assert [result["status"] for result in results] == ["created", "created"]
    db.session.expire_all()
    flags = dict(
        db.session.execute(
            sa.select(Household.id, Household.flags).where(Household.id.in_([h.id for h in (*homes, elsewhere)]))
        ).all()
    )
    assert flags[homes[0].id] == flags[elsewhere.id] == ["nik_duplicate"] and flags[homes[1].id] == []
    assert db.session.execute(sa.select(sa.func.count()).where(Member.nik == nik)).scalar_one() == 1


def test_a_new_member_born_in_the_future_makes_the_visit_invalid_naming_the_field(sync_ctx, sync_client):
    enumerator, homes = _world(1)
    member = {"member_id": None, "presence": "new", "name": "Bayi", "sex": 2, "birth_date": "2090-01-01"}
    result = _push(sync_client, enumerator, [visit_item(homes[0], members=[member])])[0]
    assert result["status"] == "invalid"
    assert "birth_date" in result["errors"]["members"]["0"]
