"""Household lists in a chosen order (`sort`, a whitelist): every order walks the whole list in keyset pages
without repeating or skipping a household; `_desc` runs backwards; a missing decile sorts last; anything else
is refused in words; a name search keeps its matches in the chosen order."""

from __future__ import annotations

import pytest

from tests.factories import make_household, make_member, make_user

NAMES = ["Budi", "Agus", "Citra", "Agus", "Dewi", "Eko", "Fajar"]
DECILES = [3, None, 1, 3, None, 10, 2]


def _walk(client, headers, query: str, limit: int = 2) -> list[dict]:
    rows, url = [], f"/api/v1/households?limit={limit}&{query}"
    while url:
        body = client.get(url, headers=headers).get_json()
        assert "data" in body, body
        rows += body["data"]
        cursor = body["meta"]["next_cursor"]
        url = f"/api/v1/households?limit={limit}&{query}&cursor={cursor}" if cursor else None
    return rows


@pytest.fixture
def planted(db_session):
    region = "64.72.03.1001"
    households = [
        make_household(head_name=f"{name} Sortir", decile=decile, region_code=region)
        for name, decile in zip(NAMES, DECILES, strict=True)
    ]
    return region, households


def test_every_order_walks_all_pages_once(client, auth_headers, planted):
    region, households = planted
    headers = auth_headers(make_user("supervisor", [region]))
    by_id = {str(h.id): h for h in households}
    expected = {
        "name": sorted(households, key=lambda h: (h.head_name, str(h.id))),
        "decile": sorted(households, key=lambda h: (h.decile or 11, str(h.id))),
        "verification": sorted(households, key=lambda h: (str(h.verification_status), str(h.id))),
    }
    for sort, order in expected.items():
        forward = _walk(client, headers, f"region={region}&sort={sort}")
        assert [row["id"] for row in forward] == [str(h.id) for h in order], sort
        backward = _walk(client, headers, f"region={region}&sort={sort}_desc")
        assert [row["id"] for row in backward] == [str(h.id) for h in reversed(order)], sort
    deciles = [by_id[row["id"]].decile for row in _walk(client, headers, f"region={region}&sort=decile")]
    assert deciles == [1, 2, 3, 3, 10, None, None]  # unknown deciles last, not first
    updated = _walk(client, headers, f"region={region}&sort=updated_desc", limit=3)
    assert sorted(row["id"] for row in updated) == sorted(by_id)


def test_a_name_search_in_a_chosen_order(client, auth_headers, planted):
    region, _ = planted
    headers = auth_headers(make_user("supervisor", [region]))
    similar = _walk(client, headers, f"region={region}&q=Agus%20Sortir", limit=1)
    assert [row["head_name"] for row in similar[:2]] == ["Agus Sortir", "Agus Sortir"]  # most similar first
    by_name = _walk(client, headers, f"region={region}&q=Agus%20Sortir&sort=name_desc", limit=1)
    assert sorted(row["id"] for row in by_name) == sorted(row["id"] for row in similar)  # the same matches
    names = [row["head_name"] for row in by_name]
    assert names == sorted(names, reverse=True) and names[0] != "Agus Sortir"


def test_an_order_outside_the_whitelist_is_refused(client, auth_headers, planted):
    region, _ = planted
    headers = auth_headers(make_user("supervisor", [region]))
    for bad in ("head_name", "name;DROP TABLE households", "-name", "kk_number"):
        answer = client.get("/api/v1/households", query_string={"sort": bad}, headers=headers)
        assert answer.status_code == 422 and "sort" in answer.get_json()["error"]["details"]["fields"], bad
    # A cursor of one order is not silently read as another's.
    first = client.get(f"/api/v1/households?region={region}&sort=decile&limit=2", headers=headers).get_json()
    cursor = first["meta"]["next_cursor"]
    assert client.get(f"/api/v1/households?sort=updated&cursor={cursor}", headers=headers).status_code == 422


def test_a_name_search_ranks_by_the_best_match_exactly_across_pages(client, auth_headers, db_session):
    """Best similarity of the head or any member first, then id; once per household; the scope holds."""
    import sqlalchemy as sa

    region, text = "64.72.03.1002", "Wulandari Kusuma"
    heads = ["Wulandari Kusuma", "Wulandari Kusuma", "Wulandari Kusumo", "Wulan Kusuma", "Kusuma Wulandari"]
    planted = [make_household(head_name=name, region_code=region) for name in heads]
    by_member = make_household(head_name="Zainal Abidin", region_code=region)
    make_member(by_member, name=text)  # a member's name counts
    both = make_household(head_name="Wulandari Kusumah", region_code=region)
    make_member(both, name=text)  # head and member match: listed once, with the better score
    planted += [by_member, both]
    make_household(head_name=text, region_code="64.72.02.1009")  # out of the supervisor's area
    scores = dict(
        db_session.execute(
            sa.text(
                "SELECT h.id::text, greatest(similarity(h.head_name, :q),"
                " (SELECT max(similarity(m.name, :q)) FROM members m WHERE m.household_id = h.id)) AS s"
                " FROM households h WHERE h.id = ANY(:ids)"
            ),
            {"q": text, "ids": [h.id for h in planted]},
        ).all()
    )
    expected = sorted((h for h in scores if scores[h] >= 0.3), key=lambda h: (-scores[h], h))
    headers = auth_headers(make_user("supervisor", [region]))
    for limit in (1, 2, 50):
        walked = [row["id"] for row in _walk(client, headers, f"q={text}", limit=limit)]
        assert walked == expected, limit
    assert scores[str(by_member.id)] == scores[str(both.id)] == 1.0  # a member's exact name counts
    assert len({scores[h] for h in expected}) < len(expected)  # ties (broken by id) were walked too


def test_a_number_finds_the_family_card_and_every_member_holding_it(client, auth_headers, db_session):
    region = "64.72.03.1002"
    card = make_household(region_code=region)
    holder = make_household(region_code=region)
    make_member(holder, nik=card.kk_number)
    elsewhere = make_household(region_code="64.72.02.1009")
    make_member(elsewhere, nik=card.kk_number)
    supervisor = auth_headers(make_user("supervisor", [region]))
    found = _walk(client, supervisor, f"q={card.kk_number}", limit=1)
    assert sorted(row["id"] for row in found) == sorted([str(card.id), str(holder.id)])
    admin = auth_headers(make_user("admin"))
    assert len(_walk(client, admin, f"q={card.kk_number}")) == 3


def test_a_registry_id_finds_its_household_first(client, auth_headers, db_session):
    region = "64.72.03.1002"
    wanted = make_household(region_code=region, registry_id="HP-7777", head_name="Bukan Namanya")
    make_household(region_code=region, head_name="HP 7777")  # a name like the id ranks after it
    headers = auth_headers(make_user("supervisor", [region]))
    for typed in ("HP-7777", "hp-7777"):
        found = _walk(client, headers, f"q={typed}")
        assert found and found[0]["id"] == str(wanted.id), typed
    outside = auth_headers(make_user("supervisor", ["64.72.02.1009"]))
    assert _walk(client, outside, "q=HP-7777") == []


def test_a_region_filter_takes_the_region_and_every_region_below_it(client, auth_headers, db_session):
    one = make_household(region_code="64.72.03.1001", head_name="Rahmat Wilayah")
    other = make_household(region_code="64.72.03.1002", head_name="Rahmat Wilayah")
    elsewhere = make_household(region_code="64.72.02.1009", head_name="Rahmat Wilayah")
    headers = auth_headers(make_user("admin"))
    ours = {str(h.id) for h in (one, other, elsewhere)}

    def ids(region, search=""):
        return {row["id"] for row in _walk(client, headers, f"region={region}{search}", limit=50)} & ours

    for search in ("", "&q=Rahmat Wilayah"):  # a name search inside a region too
        assert ids("64.72.03", search) == {str(one.id), str(other.id)}
        assert ids("64.72.03.1001", search) == {str(one.id)}
        assert ids("64.72", search) == ours
        assert ids("64.72.99", search) == set()


def test_a_city_supervisor_lists_like_an_admin_and_a_kecamatan_one_only_its_own(client, auth_headers, db_session):
    """A scope holding every region a household lies in needs no area condition (the list walks its order);
    any narrower scope keeps it."""
    north = make_household(region_code="64.72.03.1001", head_name="Lingkup Kota")
    south = make_household(region_code="64.72.02.1009", head_name="Lingkup Kota")
    ours = {str(north.id), str(south.id)}

    def ids(user, query=""):
        return {row["id"] for row in _walk(client, auth_headers(user), f"q=Lingkup Kota{query}", limit=50)} & ours

    assert ids(make_user("admin")) == ours
    assert ids(make_user("supervisor", ["64.72"])) == ours
    assert ids(make_user("supervisor", ["64.72.03"])) == {str(north.id)}
    assert ids(make_user("viewer", ["64.72.02.1009"])) == {str(south.id)}
    assert ids(make_user("supervisor", ["64.72.09"])) == set()
