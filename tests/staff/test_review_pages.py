"""Review pages on the review API's services: the queue filtered (far from the registered point) with facet
counts, a visit side by side, approval (the registry change shows in the history), a revisit with its reason,
a stale decision told in words, bulk approval showing the count before approving; after a decision the page
moves on to the queue's next visit and its notice names the decided one, which still holds the change."""

from __future__ import annotations

import re

import sqlalchemy as sa

from server.visits.models import Visit
from tests.factories import make_household, make_member, make_user
from tests.review.conftest import make_visit
from tests.staff.conftest import csrf_of


def _visits():
    enumerator = make_user("enumerator", ["64.72.01"], full_name="Budi Petugas")
    far_home = make_household(head_name="Rumah Jauh", location="SRID=4326;POINT(117.15 -0.5)", address="Jl. Lama")
    near_home = make_household(head_name="Rumah Dekat", location="SRID=4326;POINT(117.15 -0.5)")
    clean_home = make_household(head_name="Rumah Bersih", location="SRID=4326;POINT(117.15 -0.5)")
    far = make_visit(far_home, enumerator, flags=["far_from_registered"], location="SRID=4326;POINT(117.16 -0.5)")
    near = make_visit(near_home, enumerator, flags=["poor_accuracy"])
    clean = make_visit(clean_home, enumerator)
    return far, near, clean


def _status(db_session, visit):
    query = sa.select(Visit.review_status).where(Visit.id == visit.id)
    return db_session.execute(query.execution_options(populate_existing=True)).scalar_one()


def test_queue_filter_visit_approve_and_revisit(client, staff_login, db_session):
    far, near, _clean = _visits()
    staff_login(client, make_user("reviewer", ["64.72.01"]))
    page = client.get("/staff/tinjauan").text
    assert "Rumah Jauh" in page and "Rumah Dekat" in page and "Jauh dari titik terdaftar (1)" in page
    filtered = client.get("/staff/tinjauan?flag=far_from_registered").text
    assert "Rumah Jauh" in filtered and "Rumah Dekat" not in filtered

    detail = client.get(f"/staff/tinjauan/kunjungan/{far.id}").text
    assert "Jarak dari titik terdaftar: 1.113 m" in detail and 'data-key="a"' in detail
    approved = client.post(
        f"/staff/tinjauan/kunjungan/{far.id}/keputusan",
        data={"csrf_token": csrf_of(detail), "version": "1", "decision": "approve"},
    )
    assert approved.status_code == 302 and _status(db_session, far) == "approved"

    page = client.get(f"/staff/tinjauan/kunjungan/{near.id}").text
    no_reason = client.post(
        f"/staff/tinjauan/kunjungan/{near.id}/keputusan",
        data={"csrf_token": csrf_of(page), "version": "1", "decision": "revisit"},
    )
    assert no_reason.status_code == 422 and _status(db_session, near) == "pending"
    sent_back = client.post(
        f"/staff/tinjauan/kunjungan/{near.id}/keputusan",
        data={"csrf_token": csrf_of(page), "version": "1", "decision": "revisit",
              "reason_code_revisit": "photos_unclear", "comment": "Foto dapur buram, ulangi"},
    )  # fmt: skip
    assert sent_back.status_code == 302 and _status(db_session, near) == "revisit"
    stale = client.post(
        f"/staff/tinjauan/kunjungan/{near.id}/keputusan",
        data={"csrf_token": csrf_of(page), "version": "1", "decision": "approve"},
    )
    assert stale.status_code in (409, 412) and 'class="warning"' in stale.text


def test_after_a_decision_the_next_visit_names_the_decided_one(client, staff_login, db_session):
    """The defect behind the xfail of tests/e2e/test_staff_review.py: with a second far visit in the queue, the
    approval moved on to it and its page said only "Keputusan tersimpan." above another household's (empty)
    history, read as "the approval recorded no change". The change is recorded; the notice now says whose."""
    enumerator = make_user("enumerator", ["64.72.01"])
    corrected = make_household(head_name="Rumah Koreksi", location="SRID=4326;POINT(117.15 -0.5)")
    head = make_member(corrected, name="Rumah Koreksi")
    other = make_household(head_name="Rumah Lain", location="SRID=4326;POINT(117.15 -0.5)")
    far = "SRID=4326;POINT(117.16 -0.5)"
    correction = {"members": [{"member_id": str(head.id), "presence": "present", "name": "Rumah Dikoreksi"}]}
    first = make_visit(corrected, enumerator, flags=["far_from_registered"], location=far, priority=9,
                       answers=correction)  # fmt: skip
    second = make_visit(other, enumerator, flags=["far_from_registered"], location=far, priority=1)
    staff_login(client, make_user("reviewer", ["64.72.01"]))
    client.get("/staff/tinjauan?flag=far_from_registered")  # the queue's page: first, then second

    page = client.get(f"/staff/tinjauan/kunjungan/{first.id}").text
    approved = client.post(
        f"/staff/tinjauan/kunjungan/{first.id}/keputusan",
        data={"csrf_token": csrf_of(page), "version": "1", "decision": "approve"},
    )
    assert approved.status_code == 302 and f"/kunjungan/{second.id}?" in approved.headers["Location"]
    following = client.get(approved.headers["Location"]).text
    # Named by its head as approved (the household's name follows its head's corrected name).
    assert "Keputusan untuk Rumah Dikoreksi tersimpan." in following
    assert f'href="/staff/tinjauan/kunjungan/{first.id}"' in following
    assert following.count("Rumah Dikoreksi") == 1 and "Rumah Lain" in following  # the page is the next household's

    decided = client.get(f"/staff/tinjauan/kunjungan/{first.id}").text
    history = decided[decided.index('id="riwayat"') :]
    assert "Rumah Dikoreksi" in history and "Belum ada perubahan tercatat" not in history
    plain = client.get(f"/staff/tinjauan/kunjungan/{second.id}?selesai=approve&diputuskan={second.id}").text
    assert "Keputusan tersimpan." in plain and "Keputusan untuk" not in plain


def test_bulk_approval_shows_the_count_first(client, staff_login, db_session):
    far, near, clean = _visits()
    token = staff_login(client, make_user("supervisor", ["64.72.01"]))
    confirm = client.get("/staff/tinjauan/setujui-massal").text
    assert re.search(r"memuat 1 kunjungan", confirm) and "Setujui 1 kunjungan" in confirm
    assert _status(db_session, clean) == "pending"
    wrong = client.post("/staff/tinjauan/setujui-massal", data={"csrf_token": token, "count": "5"})
    assert wrong.status_code == 409 and _status(db_session, clean) == "pending"
    done = client.post("/staff/tinjauan/setujui-massal", data={"csrf_token": token, "count": "1"})
    assert done.status_code == 200 and _status(db_session, clean) == "approved"
    assert _status(db_session, far) == "pending" and _status(db_session, near) == "pending"


def test_a_viewer_has_no_review_pages(client, staff_login, db_session):
    staff_login(client, make_user("viewer", ["64.72.01"]))
    assert client.get("/staff/tinjauan").status_code == 403


def test_the_comparison_names_the_kelurahan(client, staff_login, db_session):
    """A household that moved within the city: registry and field side by side give each kelurahan's name
    (its code beside it), not a bare code; points in one order; the house condition in the form's words."""
    enumerator = make_user("enumerator", ["64.72.01"])
    home = make_household(head_name="Rumah Pindah", region_code="64.72.01.1001", location="SRID=4326;POINT(117.1 -0.4)")
    house = {"floor": "ceramic", "wall": "brick", "floor_area": 36}
    moved = make_visit(home, enumerator, outcome="moved_within",
                       answers={"moved_to": {"region_code": "64.72.01.1003", "address": "Jl. Baru 2"},
                                "house_condition": house})  # fmt: skip
    staff_login(client, make_user("reviewer", ["64.72.01"]))
    page = client.get(f"/staff/tinjauan/kunjungan/{moved.id}").text
    row = re.search(r"<tr[^>]*><th scope=\"row\">Kelurahan</th>.*?</tr>", page, re.S)
    assert row, "no kelurahan row in the comparison"
    assert "Rawa Makmur (64.72.01.1001)" in row.group(0) and "Bukuan (64.72.01.1003)" in row.group(0)
    location = re.search(r"<tr[^>]*><th scope=\"row\">Titik lokasi</th>.*?</tr>", page, re.S).group(0)
    assert "lat -0.4, lon 117.1<" in location and "lat -0.5, lon 117.15<" in location  # one order on both sides
    house = re.search(r"<tr[^>]*><th scope=\"row\">Kondisi rumah</th>.*?</tr>", page, re.S).group(0)
    assert "Lantai: Keramik; Dinding: Tembok; Luas lantai (m²): 36" in house  # in words, as the form asked
