"""Named errors: each refusal a client can act on has its own code from the one catalogue (server/errors.py)."""

from __future__ import annotations

import ast

from server import errors
from server.config import PROJECT_ROOT
from server.types import RegistryStatus
from tests.factories import make_household, make_member, make_nik, make_user


def _code(response, status: int) -> str:
    assert response.status_code == status, response.get_json()
    return response.get_json()["error"]["code"]


def test_every_code_in_the_catalogue_is_unique_and_named_by_domain():
    kinds = [value for value in vars(errors).values() if isinstance(value, errors.ErrorKind)]
    codes = [kind.code for kind in kinds]
    assert len(codes) == len(set(codes))
    assert all(code == code.lower() and " " not in code for code in codes)
    assert all(" / " in kind.message for kind in kinds), "Bahasa Indonesia / English"


def test_taken_username_and_programme_code(client, auth_headers):
    admin = auth_headers(make_user("admin", regions=()))
    taken = make_user("viewer")
    body = {"username": taken.username, "full_name": "X", "role": "viewer", "password": "rahasia-panjang-sekali-9"}
    assert _code(client.post("/api/v1/users", json=body, headers=admin), 409) == "user.username_taken"
    program = {"code": "PKH", "name": "PKH", "level": "national", "unit": "family", "form": "cash"}
    program |= {"category": "cash", "period": "quarterly", "active_from": "2026-01-01"}
    assert _code(client.post("/api/v1/programs", json=program, headers=admin), 409) == "program.code_taken"


def test_stale_version_merged_household_and_a_nik_twice_in_one_family(client, auth_headers):
    supervisor = auth_headers(make_user("supervisor", ["64.72"]))
    household = make_household()
    url = f"/api/v1/households/{household.id}"
    stale = client.patch(url, json={"address": "Jl. Baru"}, headers=supervisor | {"If-Match": '"7"'})
    assert _code(stale, 412) == "household.stale_version"

    nik = make_nik()
    make_member(household, nik=nik)
    twice = client.post(
        f"{url}/members",
        json={"nik": nik, "name": "Kembar", "sex": 1, "relationship_code": 3},
        headers=supervisor | {"If-Match": f'"{household.version}"'},
    )
    assert _code(twice, 409) == "member.nik_taken"

    survivor = make_household()
    merged = make_household(registry_status=RegistryStatus.MERGED.value, merged_into_id=survivor.id)
    gone = client.patch(
        f"/api/v1/households/{merged.id}", json={"address": "Jl. Lain"}, headers=supervisor | {"If-Match": '"1"'}
    )
    assert _code(gone, 409) == "household.merged"


def test_codes_document_is_generated_from_the_catalogues():
    document = (PROJECT_ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    assert document == errors.codes_markdown(), "run: python -m server.errors > docs/codes.md"
    for code in ("household.stale_version", "accepted_with_conflict", "nik.in_other_household", "far_from_registered"):
        assert f"`{code}`" in document


def test_error_kinds_and_row_problems_live_only_in_the_catalogue():
    """No module makes up a code of its own: request errors come from ErrorKind constants of server/errors.py,
    import row problems from its RowProblem constants (never a string literal given to a Rejection)."""
    made_elsewhere = []
    for path in sorted((PROJECT_ROOT / "server").rglob("*.py")):
        if path.name == "errors.py" and path.parent.name == "server":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            literal_code = len(node.args) >= 3 and isinstance(node.args[2], ast.Constant)
            if node.func.id in ("ErrorKind", "RowProblem") or (node.func.id == "Rejection" and literal_code):
                made_elsewhere.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert made_elsewhere == []


def test_row_problem_codes_are_well_formed_and_bilingual():
    problems = errors.row_problems()
    assert len(problems) >= 30
    for problem in problems:
        assert problem.code == problem.code.lower() and " " not in problem.code, problem.code
        assert " / " in problem.template, problem.code
    assert [status.value for status in errors.PushStatus] == [
        "created",
        "duplicate",
        "conflict",
        "invalid",
        "accepted_with_conflict",
    ]
