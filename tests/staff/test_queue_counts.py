"""The review queue's facet counts are current (the database keeps them, `visit_tally`): visits arriving through
another door and a decision made on the pages count at once, and reviewers of different areas never share
counts."""

from __future__ import annotations

import re

from tests.factories import make_household, make_user
from tests.review.conftest import make_visit


def _pending(html: str) -> int:
    return int(re.search(r'<option value="pending"[^>]*>[^<(]*\((\d+)\)', html).group(1))


def test_counts_are_per_area_and_every_change_counts_at_once(app, client, staff_login, db_session):
    enumerator = make_user("enumerator", ["64.72.01", "64.72.02"])
    mine = [make_visit(make_household(region_code="64.72.01.1001"), enumerator) for _ in range(3)]
    make_visit(make_household(region_code="64.72.02.1009"), enumerator)
    staff_login(client, make_user("reviewer", ["64.72.01"]))
    page = client.get("/staff/tinjauan").text
    assert _pending(page) == 3
    for _ in range(2):
        make_visit(make_household(region_code="64.72.01.1001"), enumerator)  # through another door
    db_session.commit()
    assert _pending(client.get("/staff/tinjauan").text) == 5  # no cache: counted at once

    visit_page = client.get(f"/staff/tinjauan/kunjungan/{mine[0].id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', visit_page).group(1)
    version = re.search(r'name="version" value="(\d+)"', visit_page).group(1)
    decided = client.post(
        f"/staff/tinjauan/kunjungan/{mine[0].id}/keputusan",
        data={"csrf_token": token, "version": version, "decision": "approve"},
    )
    assert decided.status_code == 302
    assert _pending(client.get("/staff/tinjauan").text) == 4  # 5 visits, one approved here: counted at once

    other = app.test_client()
    staff_login(other, make_user("reviewer", ["64.72.02"]))
    assert _pending(other.get("/staff/tinjauan").text) == 1  # its own area's counts, not the first reviewer's
