"""Sortable column headers on the staff lists: each is a link to the same list in that order (kept in the URL
with the filters, first page), says how the list is ordered now (aria-sort) and reverses on a second click;
an order the server does not know is explained, not run."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.factories import make_household, make_user
from tests.review.conftest import make_visit


def _order(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


def _header(html: str, label: str) -> str:
    match = re.search(r"<th scope=\"col\"[^>]*>\s*<a class=\"sort\"[^>]*>" + re.escape(label) + r".*?</th>", html, re.S)
    assert match, f"no sortable header {label!r}"
    return match.group(0)


def test_households_sort_by_header_both_ways(client, staff_login):
    region = "64.72.03.1002"
    for name, decile in (("Yanti Urut", 2), ("Ahmad Urut", 7), ("Made Urut", None)):
        make_household(head_name=name, decile=decile, region_code=region)
    staff_login(client, make_user("supervisor", [region]))
    names = ["Yanti Urut", "Ahmad Urut", "Made Urut"]

    page = client.get(f"/staff/rumah-tangga?region={region}").text
    assert 'aria-sort="ascending"' in _header(page, "Kelurahan")  # the default order, said so
    name_header = _header(page, "Kepala keluarga")
    assert "aria-sort" not in name_header
    link = re.search(r'href="([^"]+)"', name_header).group(1).replace("&amp;", "&")
    assert "sort=name" in link and f"region={region}" in link and "cursor" not in link

    by_name = client.get(link).text
    assert _order(by_name, names) == ["Ahmad Urut", "Made Urut", "Yanti Urut"]
    header = _header(by_name, "Kepala keluarga")
    assert 'aria-sort="ascending"' in header and "sort=name_desc" in header
    assert 'name="sort" value="name"' in by_name  # the filters keep the order
    backwards = client.get(f"/staff/rumah-tangga?region={region}&sort=name_desc").text
    assert _order(backwards, names) == ["Yanti Urut", "Made Urut", "Ahmad Urut"]
    assert 'aria-sort="descending"' in _header(backwards, "Kepala keluarga")
    by_decile = client.get(f"/staff/rumah-tangga?region={region}&sort=decile").text
    assert _order(by_decile, names) == ["Yanti Urut", "Ahmad Urut", "Made Urut"]  # no decile: last

    unknown = client.get(f"/staff/rumah-tangga?region={region}&sort=kk_number")
    assert unknown.status_code == 200 and 'role="alert"' in unknown.text and "Ahmad Urut" not in unknown.text


def test_review_queue_sort_by_header(client, staff_login):
    region = "64.72.02.1009"
    enumerator = make_user("enumerator", [region])
    start = datetime.now(UTC) - timedelta(hours=1)
    for index, name in enumerate(("Rudi Antre", "Ani Antre", "Sri Antre")):
        make_visit(make_household(head_name=name, region_code=region), enumerator, priority=index,
                   received_at=start + timedelta(minutes=index))  # fmt: skip
    staff_login(client, make_user("reviewer", [region]))
    names = ["Rudi Antre", "Ani Antre", "Sri Antre"]

    page = client.get("/staff/tinjauan").text
    assert _order(page, names) == ["Sri Antre", "Ani Antre", "Rudi Antre"]  # priority, highest first
    assert 'aria-sort="descending"' in _header(page, "Tanda (prioritas)")
    by_name = client.get("/staff/tinjauan?sort=name").text
    assert _order(by_name, names) == ["Ani Antre", "Rudi Antre", "Sri Antre"]
    assert "sort=name_desc" in _header(by_name, "Rumah tangga")
    oldest = client.get("/staff/tinjauan?sort=date_asc").text
    assert _order(oldest, names) == ["Rudi Antre", "Ani Antre", "Sri Antre"]
    assert 'aria-sort="ascending"' in _header(oldest, "Diterima")
