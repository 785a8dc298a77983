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
