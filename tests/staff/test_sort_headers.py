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
    sortable = r"<th scope=\"col\"[^>]*>\s*<a class=\"sort\"[^>]*>"
    match = re.search(sortable + re.escape(label) + r"<span.*?</th>", html, re.S)
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


def _body(html: str) -> str:
    """The table's rows (the page's header names the logged-in user too)."""
    return html[html.index("<tbody") :]


def _link(header: str) -> str:
    return re.search(r'href="([^"]+)"', header).group(1).replace("&amp;", "&")


def test_users_sort_by_header_and_page_on(client, staff_login):
    admin = make_user("admin", [], username="urut-admin", full_name="Zaenal Admin")
    make_user("viewer", ["64.72.01"], username="urut-b", full_name="Ani Pengamat")
    make_user("enumerator", ["64.72.01"], username="urut-c", full_name="Maman Petugas", active=False)
    make_user("supervisor", ["64.72.01"], username="urut-d", full_name="Dedi Pengawas")
    staff_login(client, admin)
    names = ["urut-admin", "urut-b", "urut-c"]

    page = client.get("/staff/pengguna").text
    assert _order(_body(page), names) == ["urut-admin", "urut-b", "urut-c"]
    assert 'aria-sort="ascending"' in _header(page, "Nama pengguna")
    by_name = client.get(_link(_header(page, "Nama"))).text
    assert _order(_body(by_name), names) == ["urut-b", "urut-c", "urut-admin"]  # Ani, Maman, Zaenal
    assert 'aria-sort="ascending"' in _header(by_name, "Nama") and "sort=name_desc" in _header(by_name, "Nama")
    backwards = client.get("/staff/pengguna?sort=username_desc").text
    assert _order(_body(backwards), names) == ["urut-c", "urut-b", "urut-admin"]
    assert 'aria-sort="descending"' in _header(backwards, "Nama pengguna")
    by_role = client.get("/staff/pengguna?sort=role").text  # admin, …, enumerator, viewer: the office's order
    assert _order(_body(by_role), [*names, "urut-d"]) == ["urut-admin", "urut-d", "urut-c", "urut-b"]
    inactive_first = client.get("/staff/pengguna?sort=active").text
    assert _order(_body(inactive_first), names)[0] == "urut-c"

    for index in range(101):  # more than a page: the next page goes on in the same order
        make_user("enumerator", ["64.72.01"], username=f"urut-z{index:03d}")
    first = client.get("/staff/pengguna?sort=username_desc").text
    assert "urut-z100" in _body(first) and "urut-admin" not in _body(first)
    more = re.search(r'href="([^"]+)">Halaman berikutnya', first).group(1).replace("&amp;", "&")
    assert "sort=username_desc" in more
    second = client.get(more).text
    assert "urut-admin" in _body(second) and "urut-z100" not in _body(second)

    unknown = client.get("/staff/pengguna?sort=password_hash")
    assert unknown.status_code == 200 and 'role="alert"' in unknown.text and "urut-b" not in unknown.text
    broken = client.get("/staff/pengguna?cursor=rusak").text  # a page link edited by hand: said in words
    assert "Tautan halaman ini tidak berlaku lagi; mulai dari halaman pertama" in broken
    assert "invalid cursor" not in broken


def test_audit_sort_by_header(client, staff_login, db_session):
    from server.audit.models import AuditEntry

    admin = make_user("admin", [], username="audit-urut")
    for name, action in (("budi", "urut.b"), ("ani", "urut.c"), ("citra", "urut.a")):
        db_session.add(AuditEntry(actor_username=name, action=action, object_type="urut"))
    db_session.flush()
    staff_login(client, admin)
    actions = ["urut.a", "urut.b", "urut.c"]

    page = client.get("/staff/audit?object_type=urut").text
    assert _order(_body(page), actions) == ["urut.a", "urut.c", "urut.b"]  # newest first
    assert 'aria-sort="descending"' in _header(page, "Waktu")
    by_action = client.get(_link(_header(page, "Tindakan"))).text
    assert "object_type=urut" in _link(_header(page, "Tindakan"))  # the filters stay
    assert _order(_body(by_action), actions) == ["urut.a", "urut.b", "urut.c"]
    assert 'name="sort" value="action"' in by_action  # and the filter form keeps the order
    by_actor = client.get("/staff/audit?object_type=urut&sort=actor_desc").text
    assert _order(_body(by_actor), actions) == ["urut.a", "urut.b", "urut.c"]  # citra, budi, ani
    assert 'aria-sort="descending"' in _header(by_actor, "Pengguna")
    oldest = client.get("/staff/audit?object_type=urut&sort=time_asc").text
    assert _order(_body(oldest), actions) == ["urut.b", "urut.c", "urut.a"]
    assert 'aria-sort="ascending"' in _header(oldest, "Waktu")

    unknown = client.get("/staff/audit?object_type=urut&sort=changes")
    assert unknown.status_code == 200 and 'role="alert"' in unknown.text and "urut.a" not in unknown.text


def test_imports_sort_by_header(client, staff_login, db_session):
    from server.imports.models import DataImport

    supervisor = make_user("supervisor", ["64.72.01"])
    for filename, kind, dry_run in (("b-registri.csv", "registry", True), ("c-bantuan.csv", "aid:PKH", False),
                                    ("a-registri.xlsx", "registry", False)):  # fmt: skip
        mine = DataImport(filename=filename, kind=kind, sha256="0" * 64, actor_id=supervisor.id, dry_run=dry_run)
        db_session.add(mine)
    db_session.add(DataImport(filename="orang-lain.csv", kind="registry", sha256="0" * 64, dry_run=False))
    db_session.flush()
    staff_login(client, supervisor)
    files = ["a-registri.xlsx", "b-registri.csv", "c-bantuan.csv"]

    page = client.get("/staff/impor").text
    assert _order(_body(page), files) == ["a-registri.xlsx", "c-bantuan.csv", "b-registri.csv"]  # newest first
    assert "orang-lain.csv" not in page  # a supervisor sees their own imports only
    assert 'aria-sort="descending"' in _header(page, "Waktu")
    by_file = client.get(_link(_header(page, "Berkas"))).text
    assert _order(_body(by_file), files) == files
    assert 'aria-sort="ascending"' in _header(by_file, "Berkas")
    by_kind = client.get("/staff/impor?sort=kind").text  # aid:… before registry
    assert _order(_body(by_kind), files)[0] == "c-bantuan.csv"
    by_state = client.get("/staff/impor?sort=state_desc").text  # checks only first
    assert _order(_body(by_state), files)[0] == "b-registri.csv"

    unknown = client.get("/staff/impor?sort=sha256")
    assert unknown.status_code == 200 and 'role="alert"' in unknown.text and "a-registri.xlsx" not in unknown.text
