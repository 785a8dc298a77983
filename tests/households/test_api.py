"""Household API: scoped list and search, filters, cursor pages, masking, detail, edits with If-Match, members,
merge and export."""

from __future__ import annotations

import csv
import io
from datetime import date

import sqlalchemy as sa

from server.aid.models import AidProgram, AidReceipt
from server.audit.models import AuditEntry
from server.campaigns.models import Assignment, Campaign, Tombstone
from server.households.models import Household, Member
from tests.factories import make_household, make_kk, make_member, make_nik, make_user

OTHER_KECAMATAN_KELURAHAN = "64.72.02.1009"


def _assign(household, enumerator):
    campaign = Campaign(name="Verval uji", period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
    from server.extensions import db

    db.session.add(campaign)
    db.session.flush()
    db.session.add(Assignment(campaign_id=campaign.id, household_id=household.id, enumerator_id=enumerator.id))
    db.session.flush()


def _program(db_session, code, category="food", unit="family"):
    program = AidProgram(
        code=code, name=code, level="national", unit=unit, form="non_cash", category=category, period="monthly"
    )
    db_session.add(program)
    db_session.flush()
    return program


def _receipt(db_session, program, household=None, member=None, start=date(2026, 1, 1), end=date(2026, 3, 31)):
    db_session.add(
        AidReceipt(
            program_id=program.id,
            household_id=household.id if household else None,
            member_id=member.id if member else None,
            period_start=start,
            period_end=end,
            source="agency_list",
            status="listed",
        )
    )
    db_session.flush()


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["data"]}


def test_supervisor_sees_only_their_area(client, auth_headers, db_session):
    inside = make_household()
    outside = make_household(region_code=OTHER_KECAMATAN_KELURAHAN)
    supervisor = make_user("supervisor", ["64.72.01"])
    ids = _ids(client.get("/api/v1/households?limit=500", headers=auth_headers(supervisor)))
    assert str(inside.id) in ids and str(outside.id) not in ids
    assert client.get(f"/api/v1/households/{outside.id}", headers=auth_headers(supervisor)).status_code == 404
    admin = make_user("admin")
    assert str(outside.id) in _ids(client.get("/api/v1/households?limit=500", headers=auth_headers(admin)))


def test_enumerator_cannot_read_or_write_another_enumerators_household(client, auth_headers, db_session):
    mine, theirs = make_household(), make_household()
    me, other = make_user("enumerator"), make_user("enumerator")
    _assign(mine, me)
    _assign(theirs, other)
    headers = auth_headers(me)
    assert _ids(client.get("/api/v1/households", headers=headers)) == {str(mine.id)}
    assert client.get(f"/api/v1/households/{mine.id}", headers=headers).status_code == 200
    read = client.get(f"/api/v1/households/{theirs.id}", headers=headers)
    assert read.status_code == 404
    assert read.get_json()["error"]["code"] == "not_found"
    write = client.patch(
        f"/api/v1/households/{theirs.id}", json={"address": "Jl. Lain"}, headers=headers | {"If-Match": '"1"'}
    )
    assert write.status_code == 404
    member = client.post(
        f"/api/v1/households/{theirs.id}/members",
        json={"name": "X", "sex": 1, "relationship_code": 3},
        headers=headers | {"If-Match": '"1"'},
    )
    assert member.status_code == 404
    db_session.expire_all()
    assert db_session.get(Household, theirs.id).address != "Jl. Lain"


def test_unassigned_household_disappears_for_the_enumerator(client, auth_headers, db_session):
    household = make_household()
    enumerator = make_user("enumerator")
    _assign(household, enumerator)
    db_session.execute(
        sa.update(Assignment).where(Assignment.household_id == household.id).values(unassigned_at=sa.func.now())
    )
    assert client.get(f"/api/v1/households/{household.id}", headers=auth_headers(enumerator)).status_code == 404


def test_viewer_gets_masked_numbers_and_no_coordinates(client, auth_headers, db_session):
    household = make_household(location="SRID=4326;POINT(117.15 -0.50)", location_accuracy_m=8.0)
    member = make_member(household)
    viewer = make_user("viewer", ["64.72"])
    body = client.get(f"/api/v1/households/{household.id}", headers=auth_headers(viewer)).get_json()["data"]
    assert body["kk_number"] != household.kk_number and "*" in body["kk_number"]
    assert body["location"] is None
    assert body["members"][0]["nik"] == member.nik[:6] + "********" + member.nik[-2:]
    listed = client.get("/api/v1/households", headers=auth_headers(viewer)).get_json()["data"]
    assert all(item["location"] is None and "*" in item["kk_number"] for item in listed)
    assert client.get(f"/api/v1/households?q={member.nik}", headers=auth_headers(viewer)).status_code == 403
    reviewer = make_user("reviewer", ["64.72"])
    full = client.get(f"/api/v1/households/{household.id}", headers=auth_headers(reviewer)).get_json()["data"]
    assert full["kk_number"] == household.kk_number
    assert full["members"][0]["nik"] == member.nik
    assert full["location"]["lon"] == 117.15 and full["location"]["accuracy_m"] == 8.0


def test_viewer_may_not_edit(client, auth_headers, db_session):
    household = make_household()
    viewer = make_user("viewer", ["64.72"])
    response = client.patch(
        f"/api/v1/households/{household.id}", json={"address": "x"}, headers=auth_headers(viewer) | {"If-Match": '"1"'}
    )
    assert response.status_code == 403


def test_search_by_exact_nik_kk_and_fuzzy_name(client, auth_headers, db_session):
    target = make_household(head_name="Siti Rahmawati")
    nik = make_nik(7001, female=True)
    make_member(target, nik=nik, name="Muhammad Rizky Pratama", relationship_code=3)
    make_household(head_name="Bambang Sutrisno")
    admin = make_user("admin")
    headers = auth_headers(admin)
    assert _ids(client.get(f"/api/v1/households?q={nik}", headers=headers)) == {str(target.id)}
    assert _ids(client.get(f"/api/v1/households?q={target.kk_number}", headers=headers)) == {str(target.id)}
    typo = client.get("/api/v1/households?q=Siti Rahmawaty", headers=headers).get_json()["data"]
    assert typo[0]["id"] == str(target.id)
    by_member = client.get("/api/v1/households?q=Rizki Pratama", headers=headers).get_json()["data"]
    assert by_member[0]["id"] == str(target.id)
    assert client.get("/api/v1/households?q=12345", headers=headers).status_code == 422


def test_filters_decile_program_stacking_and_no_aid(client, auth_headers, db_session):
    poor_no_aid = make_household(decile=1)
    stacked = make_household(decile=2)
    single = make_household(decile=5)
    pkh = _program(db_session, "T-PKH", category="cash_transfer")
    blt = _program(db_session, "T-BLT", category="cash_transfer")
    bpnt = _program(db_session, "T-BPNT", category="food")
    member = make_member(stacked)
    _receipt(db_session, pkh, household=stacked)
    _receipt(db_session, blt, member=member, start=date(2026, 2, 1), end=date(2026, 2, 28))
    _receipt(db_session, bpnt, household=single)
    _receipt(db_session, pkh, household=single, start=date(2025, 1, 1), end=date(2025, 3, 31))  # no overlap
    headers = auth_headers(make_user("admin"))
    ours = {str(h.id) for h in (poor_no_aid, stacked, single)}

    def ids(query):
        return _ids(client.get(f"/api/v1/households?limit=500&{query}", headers=headers)) & ours

    assert ids("decile=1,2") == {str(poor_no_aid.id), str(stacked.id)}
    assert ids("program=T-BLT") == {str(stacked.id)}
    assert ids("program=T-PKH") == {str(stacked.id), str(single.id)}
    assert ids("has_stacking=true") == {str(stacked.id)}
    assert ids("has_stacking=false") == {str(poor_no_aid.id), str(single.id)}
    assert ids("has_no_aid=true") == {str(poor_no_aid.id)}
    assert ids("has_no_aid=true&decile=1,2,3") == {str(poor_no_aid.id)}
    assert client.get("/api/v1/households?decile=11", headers=headers).status_code == 422
    assert client.get("/api/v1/households?registry_status=bogus", headers=headers).status_code == 422


def test_cursor_pages_walk_everything_once(client, auth_headers, db_session):
    made = {str(make_household(region_code="64.72.01.1003", head_name=f"Warga {n % 3}").id) for n in range(7)}
    headers = auth_headers(make_user("supervisor", ["64.72.01.1003"]))
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        url = "/api/v1/households?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        seen += [item["id"] for item in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made
    assert client.get("/api/v1/households?cursor=garbage!", headers=headers).status_code == 422


def test_fuzzy_search_pages_by_score(client, auth_headers, db_session):
    for n in range(5):
        make_household(head_name=f"Ahmad Fauzi {n}")
    headers = auth_headers(make_user("admin"))
    first = client.get("/api/v1/households?q=Ahmad Fauzi&limit=2", headers=headers).get_json()
    second = client.get(
        f"/api/v1/households?q=Ahmad Fauzi&limit=10&cursor={first['meta']['next_cursor']}", headers=headers
    ).get_json()
    ids = [item["id"] for item in first["data"] + second["data"]]
    assert len(ids) == len(set(ids)) >= 5


def test_patch_requires_if_match_and_answers_412_with_current_version(client, auth_headers, db_session):
    household = make_household()
    headers = auth_headers(make_user("supervisor", ["64.72"]))
    url = f"/api/v1/households/{household.id}"
    detail = client.get(url, headers=headers)
    assert detail.headers["ETag"] == '"1"'
    missing = client.patch(url, json={"address": "Jl. Baru 1"}, headers=headers)
    assert missing.status_code == 428
    assert missing.get_json()["error"]["code"] == "precondition_required"
    first = client.patch(url, json={"address": "Jl. Baru 1"}, headers=headers | {"If-Match": '"1"'})
    assert first.status_code == 200
    assert first.headers["ETag"] == '"2"' and first.get_json()["data"]["address"] == "Jl. Baru 1"
    second = client.patch(url, json={"address": "Jl. Baru 2"}, headers=headers | {"If-Match": '"1"'})
    assert second.status_code == 412
    assert second.get_json()["error"]["details"]["current_version"] == 2
    db_session.expire_all()
    assert db_session.get(Household, household.id).address == "Jl. Baru 1"


def test_edit_is_audited_with_before_after_and_masked_kk(client, auth_headers, db_session):
    household = make_household()
    old_kk = household.kk_number
    new_kk = next(kk for kk in (make_kk(777), make_kk(778)) if kk != old_kk)  # the factory's serials wrap at 999
    supervisor = make_user("supervisor", ["64.72"])
    response = client.patch(
        f"/api/v1/households/{household.id}",
        json={"kk_number": new_kk, "decile": 3, "location": {"lon": 117.1, "lat": -0.5, "accuracy_m": 5}},
        headers=auth_headers(supervisor) | {"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.get_json()
    entry = db_session.execute(
        sa.select(AuditEntry).where(AuditEntry.object_id == str(household.id), AuditEntry.action == "household.update")
    ).scalar_one()
    assert entry.actor_id == supervisor.id
    assert entry.changes["decile"] == {"before": 2, "after": 3}
    assert entry.changes["kk_number"]["after"] == new_kk[:6] + "********" + new_kk[-2:]
    assert old_kk not in str(entry.changes) and new_kk not in str(entry.changes)
    assert entry.changes["location"]["after"] == {"lon": 117.1, "lat": -0.5}


def test_invalid_edits_are_422(client, auth_headers, db_session):
    household = make_household()
    headers = auth_headers(make_user("admin")) | {"If-Match": '"1"'}
    url = f"/api/v1/households/{household.id}"
    bad_kk = client.patch(url, json={"kk_number": "6472013201200001"}, headers=headers)
    assert bad_kk.status_code == 422 and "kk_number" in bad_kk.get_json()["error"]["details"]["fields"]
    assert client.patch(url, json={"region_code": "64.72.99.9999"}, headers=headers).status_code == 422
    assert client.patch(url, json={"location": {"lon": 10, "lat": 50}}, headers=headers).status_code == 422
    assert client.patch(url, json={"registry_status": "merged"}, headers=headers).status_code == 422
    assert client.patch(url, json={}, headers=headers).status_code == 422


def test_enumerator_may_correct_address_but_not_registry_fields(client, auth_headers, db_session):
    household = make_household()
    enumerator = make_user("enumerator")
    _assign(household, enumerator)
    headers = auth_headers(enumerator) | {"If-Match": '"1"'}
    url = f"/api/v1/households/{household.id}"
    assert client.patch(url, json={"decile": 1}, headers=headers).status_code == 403
    assert client.patch(url, json={"address": "Gg. Mawar"}, headers=headers).status_code == 200


def test_member_add_and_edit_bump_household_version(client, auth_headers, db_session):
    household = make_household()
    existing = make_member(household)
    headers = auth_headers(make_user("reviewer", ["64.72"]))
    base = f"/api/v1/households/{household.id}/members"
    nik = make_nik(4242, female=True)
    created = client.post(
        base,
        json={"nik": nik, "name": "Anak Baru", "sex": 2, "relationship_code": 3, "birth_date": "2010-05-17"},
        headers=headers | {"If-Match": '"1"'},
    )
    assert created.status_code == 201, created.get_json()
    assert created.headers["ETag"] == '"2"'
    assert created.get_json()["data"]["presence_status"] == "new"
    duplicate = client.post(
        base, json={"nik": nik, "name": "Lagi", "sex": 2, "relationship_code": 3}, headers=headers | {"If-Match": '"2"'}
    )
    assert duplicate.status_code == 409
    bad = client.post(
        base,
        json={"nik": "6472013205800001", "name": "X", "sex": 1, "relationship_code": 3},
        headers=headers | {"If-Match": '"2"'},
    )
    assert bad.status_code == 422 and "nik" in bad.get_json()["error"]["details"]["fields"]
    edited = client.patch(
        f"{base}/{existing.id}", json={"presence_status": "deceased"}, headers=headers | {"If-Match": '"2"'}
    )
    assert edited.status_code == 200 and edited.get_json()["data"]["presence_status"] == "deceased"
    stale = client.patch(f"{base}/{existing.id}", json={"name": "Y"}, headers=headers | {"If-Match": '"2"'})
    assert stale.status_code == 412
    db_session.expire_all()
    assert db_session.get(Household, household.id).version == 3


def test_merge_turns_duplicate_into_tombstone_and_moves_members(client, auth_headers, db_session):
    survivor, duplicate = make_household(), make_household()
    shared_nik = make_nik(5151)
    make_member(survivor, nik=shared_nik, name="Orang Sama")
    same_person = make_member(duplicate, nik=shared_nik, name="Orang Sama")
    extra = make_member(duplicate, name="Hanya Di Duplikat", relationship_code=3)
    program = _program(db_session, "T-PBI", category="health", unit="person")
    _receipt(db_session, program, member=same_person)
    _receipt(db_session, program, household=duplicate)
    enumerator = make_user("enumerator")
    _assign(duplicate, enumerator)
    supervisor = make_user("supervisor", ["64.72"])
    headers = auth_headers(supervisor)
    url = f"/api/v1/households/{survivor.id}/merge"
    assert client.post(url, json={"duplicate_id": str(duplicate.id)}, headers=headers).status_code == 428
    response = client.post(
        url, json={"duplicate_id": str(duplicate.id), "reason": "KK ganda"}, headers=headers | {"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()["data"]
    assert body["survivor"]["version"] == 2 and response.headers["ETag"] == '"2"'
    assert {m["name"] for m in body["survivor"]["members"]} == {"Orang Sama", "Hanya Di Duplikat"}
    db_session.expire_all()
    loser = db_session.get(Household, duplicate.id)
    assert loser.registry_status == "merged" and loser.merged_into_id == survivor.id and loser.version == 2
    assert db_session.get(Member, extra.id).household_id == survivor.id
    tombstone = db_session.execute(sa.select(Tombstone).where(Tombstone.household_id == duplicate.id)).scalar_one()
    assert tombstone.reason == "merged" and tombstone.merged_into_id == survivor.id and tombstone.user_id is None
    assert (
        db_session.execute(
            sa.select(Assignment.unassigned_at).where(Assignment.household_id == duplicate.id)
        ).scalar_one()
        is not None
    )
    receipts = db_session.execute(sa.select(AidReceipt).where(AidReceipt.program_id == program.id)).scalars().all()
    survivor_member_ids = {m.id for m in db_session.get(Household, survivor.id).members}
    assert all(r.household_id == survivor.id or r.member_id in survivor_member_ids for r in receipts)
    assert (
        db_session.execute(
            sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "household.merge")
        ).scalar_one()
        == 1
    )
    again = client.post(url, json={"duplicate_id": str(duplicate.id)}, headers=headers | {"If-Match": '"2"'})
    assert again.status_code == 422
    # Merged households leave the default list but are found by asking for them.
    listed = _ids(client.get("/api/v1/households?limit=500", headers=headers))
    assert str(duplicate.id) not in listed
    assert str(duplicate.id) in _ids(client.get("/api/v1/households?registry_status=merged", headers=headers))


def test_merge_needs_both_households_in_scope(client, auth_headers, db_session):
    survivor = make_household()
    foreign = make_household(region_code=OTHER_KECAMATAN_KELURAHAN)
    headers = auth_headers(make_user("supervisor", ["64.72.01"])) | {"If-Match": '"1"'}
    response = client.post(
        f"/api/v1/households/{survivor.id}/merge", json={"duplicate_id": str(foreign.id)}, headers=headers
    )
    assert response.status_code == 404
    reviewer = auth_headers(make_user("reviewer", ["64.72"])) | {"If-Match": '"1"'}
    assert (
        client.post(
            f"/api/v1/households/{survivor.id}/merge", json={"duplicate_id": str(foreign.id)}, headers=reviewer
        ).status_code
        == 403
    )


def test_export_is_scoped_audited_and_supervisor_only(client, auth_headers, db_session):
    inside = make_household(region_code="64.72.01.1002")
    make_member(inside, name="=HYPERLINK(1)")
    make_member(inside, name="Anak", relationship_code=3)
    make_household(region_code=OTHER_KECAMATAN_KELURAHAN)
    supervisor = make_user("supervisor", ["64.72.01.1002"])
    response = client.get("/api/v1/households/export.csv", headers=auth_headers(supervisor))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["kelurahan_code"] for row in rows} == {"64.72.01.1002"}
    assert sum(row["registry_id"] == inside.registry_id for row in rows) == 2
    assert "'=HYPERLINK(1)" in {row["name"] for row in rows}
    entry = db_session.execute(sa.select(AuditEntry).where(AuditEntry.action == "household.export")).scalar_one()
    assert entry.actor_id == supervisor.id and entry.changes["rows"] == len(rows)
    enumerator = make_user("enumerator")
    assert client.get("/api/v1/households/export.csv", headers=auth_headers(enumerator)).status_code == 403


def test_a_receipts_amount_is_an_exact_decimal_string_as_documented(client, auth_headers, db_session):
    household = make_household()
    program = _program(db_session, "T-AMOUNT")
    _receipt(db_session, program, household=household)
    db_session.execute(sa.update(AidReceipt).where(AidReceipt.program_id == program.id).values(amount=504000))
    response = client.get(f"/api/v1/households/{household.id}", headers=auth_headers(make_user("admin", regions=())))
    assert [item["amount"] for item in response.get_json()["data"]["aid"]] == ["504000.00"]


def test_filter_by_assignment(client, auth_headers, db_session):
    """assigned=true / false: on some enumerator's phone (a live assignment in an active round) or on none;
    enumerator_id: on that enumerator's phone (Beranda's progress counts link to these lists)."""
    region = "64.72.01.1003"
    rina, budi = make_user("enumerator", [region]), make_user("enumerator", [region])
    hers, his, nobodys, ended = (make_household(region_code=region) for _ in range(4))
    _assign(hers, rina)
    _assign(his, budi)
    _assign(ended, budi)
    db_session.execute(
        sa.update(Assignment).where(Assignment.household_id == ended.id).values(unassigned_at=sa.func.now())
    )
    headers = auth_headers(make_user("supervisor", [region]))

    def listed(query):
        return _ids(client.get(f"/api/v1/households?region={region}&{query}", headers=headers))

    assert listed("assigned=true") == {str(hers.id), str(his.id)}
    assert listed("assigned=false") == {str(nobodys.id), str(ended.id)}
    assert listed(f"enumerator_id={rina.id}") == {str(hers.id)}
    assert listed(f"enumerator_id={budi.id}&assigned=true") == {str(his.id)}
    assert client.get("/api/v1/households?enumerator_id=0", headers=headers).status_code == 422
