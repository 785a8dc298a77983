"""Every page under /staff/ is wrapped in `staff_view(...)`, except the frame's public routes; every page says
no-store; unknown paths under /staff/ get the workspace's own page, never the phone app's shell."""

from __future__ import annotations

from tests.factories import make_user

PUBLIC = {"staff.index", "staff.login", "staff.logout", "staff.language", "staff.asset", "staff.unknown"}


def _staff_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")]


def test_every_staff_page_declares_its_roles(app):
    rules = _staff_rules(app)
    assert {rule.endpoint for rule in rules} >= PUBLIC
    undeclared = [
        rule.rule
        for rule in rules
        if rule.endpoint not in PUBLIC and not hasattr(app.view_functions[rule.endpoint], "staff_roles")
    ]
    assert undeclared == [], "wrap these views in server.staff.access.staff_view(...)"


def test_pages_need_a_session_and_a_staff_role(app, client, staff_login, db_session):
    for rule in _staff_rules(app):
        if rule.endpoint in PUBLIC or "GET" not in rule.methods or rule.arguments:
            continue
        answer = client.get(rule.rule)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/staff/masuk"), rule.rule


def test_an_unknown_staff_path_is_the_workspaces_not_found(client, staff_login, db_session):
    staff_login(client, make_user("viewer", ["64.72.01"]))
    answer = client.get("/staff/tidak-ada")
    assert answer.status_code == 404 and "Tidak ditemukan" in answer.text and 'id="isi"' in answer.text
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_page_for_other_roles_is_refused_in_words(app, client, staff_login, db_session):
    staff_login(client, make_user("viewer", ["64.72.01"]))
    for rule in _staff_rules(app):
        roles = getattr(app.view_functions[rule.endpoint], "staff_roles", None)
        if roles and "viewer" not in roles and "GET" in rule.methods and not rule.arguments:
            answer = client.get(rule.rule)
            assert answer.status_code == 403 and "tidak tersedia untuk peran Anda" in answer.text, rule.rule


def test_english_is_one_click_away(client, staff_login, db_session):
    token = staff_login(client, make_user("reviewer", ["64.72.01"]))
    client.post("/staff/bahasa", data={"lang": "en", "next": "/staff/beranda", "csrf_token": token})
    page = client.get("/staff/beranda").text
    assert '<html lang="en">' in page and ">Home<" in page and "Log out" in page


def test_a_viewer_sees_no_full_number_and_no_photo_on_any_page(app, client, staff_login, db_session):
    """Every page a viewer may open (the lists with a household in them, its detail, its registry history)
    shows NIK / No. KK masked and no photo of a visit."""
    import re
    import uuid

    from server.photos.models import Photo
    from tests.factories import make_household, make_kk, make_member, make_nik
    from tests.review.conftest import make_visit

    kk, nik = make_kk(7301), make_nik(7301)
    household = make_household(kk_number=kk, region_code="64.72.01.1001", head_name="Keluarga Pemantau")
    make_member(household, nik=nik, name="Keluarga Pemantau")
    visit = make_visit(household, make_user("enumerator", ["64.72.01"]))
    now = visit.device_time
    photo = Photo(id=uuid.uuid4(), visit_id=visit.id, kind="house_front", sha256="0" * 64, uploaded_at=now)
    db_session.add(photo)
    db_session.flush()
    staff_login(client, make_user("viewer", ["64.72.01"]))
    viewers = [
        rule for rule in _staff_rules(app) if "viewer" in getattr(app.view_functions[rule.endpoint], "staff_roles", ())
    ]
    # Pages, not files (the map's basemap, exports: their names end in an extension).
    pages = [
        rule.rule for rule in viewers if "GET" in rule.methods and not rule.arguments and "." not in rule.rule[-8:]
    ]
    assert "/staff/rumah-tangga" in pages and "/staff/analitik/" in pages
    pages += [f"/staff/rumah-tangga/{household.id}", "/staff/rumah-tangga?q=Keluarga+Pemantau"]
    for path in pages:
        answer = client.get(path)
        assert answer.status_code in (200, 302), path
        assert kk not in answer.text and nik not in answer.text, f"a full number on {path}"
        assert not re.search(r"/staff/tinjauan/foto/|<img[^>]+foto", answer.text), f"a photo on {path}"
    assert "Keluarga Pemantau" in client.get(f"/staff/rumah-tangga/{household.id}").text
