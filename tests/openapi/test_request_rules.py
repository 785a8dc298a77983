"""The document says what the server refuses (issue 12, schemathesis): control characters in any request
string, unknown body fields, rules across fields, the password policy's length; and the server refuses
what the document calls invalid (an unparsable filter, a body that is not a JSON object, 0 for a boolean, a
number for a Rupiah amount, a filter value it does not know)."""

import re

from server.boundary import CONTROL
from server.openapi.spec import TEXT_PATTERN
from tests.factories import make_household, make_user


def _document(client):
    return client.get("/api/openapi.json").get_json()


def _resolve(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def test_every_free_request_string_carries_the_boundarys_rule(client):
    document = _document(client)
    login = _resolve(
        document,
        document["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]["application/json"]["schema"],
    )
    assert login["properties"]["device_name"]["pattern"] == TEXT_PATTERN
    region = next(p for p in document["paths"]["/api/v1/households"]["get"]["parameters"] if p["name"] == "region")
    assert region["schema"]["pattern"] == TEXT_PATTERN
    # The pattern refuses exactly what the boundary refuses (surrogates aside: not text in a document).
    for code in range(0, 0x100):
        char = chr(code)
        assert (re.fullmatch(TEXT_PATTERN, f"a{char}b") is None) == bool(CONTROL.search(char)), hex(code)


def test_unknown_fields_cross_field_rules_and_password_length_are_documented(client):
    schemas = _document(client)["components"]["schemas"]
    assert schemas["ProgramUpdate"]["additionalProperties"] is False
    assert schemas["HouseholdSelection"]["oneOf"] and schemas["Assign"]["oneOf"]
    assert schemas["UserCreate"]["properties"]["password"]["minLength"] == 10
    assert schemas["PasswordChange"]["properties"]["new_password"]["minLength"] == 10


def test_program_update_refuses_an_unknown_field(client, auth_headers, db_session):
    admin = auth_headers(make_user("admin", regions=()))
    response = client.patch("/api/v1/programs/PKH", json={"name": "PKH", "colour": "red"}, headers=admin)
    assert response.status_code == 422
    assert "colour" in response.get_json()["error"]["details"]["fields"]


def test_unparsable_filters_are_refused_not_ignored(client, auth_headers, db_session):
    admin = auth_headers(make_user("admin", regions=()))
    response = client.get("/api/v1/imports/proposals?import_id=null", headers=admin)
    assert response.status_code == 422 and "import_id" in response.get_json()["error"]["details"]["fields"]
    response = client.get("/api/v1/programs?active_on=", headers=admin)
    assert response.status_code == 422 and "active_on" in response.get_json()["error"]["details"]["fields"]
    assert client.get("/api/v1/programs?active_on=2026-01-01", headers=admin).status_code == 200


def test_an_optional_body_that_is_there_must_be_a_json_object(client, auth_headers, db_session):
    admin = auth_headers(make_user("admin", regions=()))
    json_type = {**admin, "Content-Type": "application/json"}
    assert client.post("/api/v1/households/exports", data="null", headers=json_type).status_code == 400
    assert client.post("/api/v1/households/exports", data="{not json", headers=json_type).status_code == 400
    assert client.post("/api/v1/households/exports", data="[]", headers=json_type).status_code == 422
    assert client.post("/api/v1/households/exports", headers=admin).status_code == 202


def test_a_json_boolean_is_true_or_false_only(client, auth_headers, db_session):
    admin = auth_headers(make_user("admin", regions=()))
    body = {"name": "Verval 2027", "period_start": "2027-01-01", "period_end": "2027-03-31"}
    response = client.post("/api/v1/campaigns", json={**body, "active": 0}, headers=admin)
    assert response.status_code == 422 and "active" in response.get_json()["error"]["details"]["fields"]
    assert client.post("/api/v1/campaigns", json={**body, "active": False}, headers=admin).status_code == 201


def test_tus_operations_require_their_protocol_header_in_the_document(client):
    paths = _document(client)["paths"]
    for path, method in [
        ("/api/v1/photos/uploads", "post"),
        ("/api/v1/photos/uploads/{upload_id}", "head"),
        ("/api/v1/photos/uploads/{upload_id}", "patch"),
        ("/api/v1/photos/uploads/{upload_id}", "delete"),
    ]:
        operation = paths[path][method]
        header = next(p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "Tus-Resumable")
        assert header["required"] is True and header["schema"]["enum"] == ["1.0.0"]
        assert "412" in operation["responses"]


def test_comma_separated_status_filters_say_their_values(client, auth_headers, db_session):
    parameters = _document(client)["paths"]["/api/v1/households"]["get"]["parameters"]
    pattern = next(p for p in parameters if p["name"] == "registry_status")["schema"]["pattern"]
    assert re.fullmatch(pattern, "active,moved") and re.fullmatch(pattern, " active , deceased")
    assert not re.fullmatch(pattern, "") and not re.fullmatch(pattern, "active,") and not re.fullmatch(pattern, "x")
    admin = auth_headers(make_user("admin", regions=()))
    assert client.get("/api/v1/households?registry_status=", headers=admin).status_code == 422
    assert client.get("/api/v1/households?registry_status=active,moved", headers=admin).status_code == 200


def test_an_if_match_of_digits_other_than_ascii_is_a_bad_request_not_a_crash(client, auth_headers, db_session):
    household = make_household()
    admin = auth_headers(make_user("admin", regions=()))
    for value in ('"²"', '"٣"'):  # '²'.isdigit() is true and int('²') fails; int('٣') would read 3
        response = client.patch(
            f"/api/v1/households/{household.id}", json={"address": "Jl. Uji"}, headers={**admin, "If-Match": value}
        )
        assert response.status_code == 400, value


def test_an_import_flag_other_than_true_or_false_is_refused_not_read_as_false(client, auth_headers, db_session):
    admin = auth_headers(make_user("admin", regions=()))
    for value in ("ya", "1", "on"):
        response = client.post(
            f"/api/v1/imports/registry?dry_run={value}", data=b"registry_id\n", headers=admin, content_type="text/csv"
        )
        assert response.status_code == 422 and "dry_run" in response.get_json()["error"]["details"]["fields"], value


def test_a_rupiah_amount_is_decimal_text_only(client, auth_headers, db_session):
    admin = auth_headers(make_user("admin", regions=()))
    body = {"kind": "standard_amount", "programs": ["PKH"], "amount_per": "month", "legal_basis": "Uji / test"}
    pattern = _document(client)["components"]["schemas"]["RuleCreate"]["properties"]["amount"]["pattern"]
    for amount in (200000, 200000.5, "1e5", "1.234", "-5", "abc", "100000000000"):
        assert not (isinstance(amount, str) and re.fullmatch(pattern, amount)), amount
        response = client.post("/api/v1/analytics/rules", json={**body, "amount": amount}, headers=admin)
        assert response.status_code == 422 and "amount" in response.get_json()["error"]["details"]["fields"], amount
    for amount in ("200000", "150000.50", "99999999999.99"):
        assert re.fullmatch(pattern, amount)
        created = client.post("/api/v1/analytics/rules", json={**body, "amount": amount}, headers=admin)
        assert created.status_code == 201 and created.get_json()["data"]["amount"].startswith(amount), amount


def test_rules_across_fields_of_rules_bulk_decisions_and_export_jobs_are_documented(client, auth_headers, db_session):
    schemas = _document(client)["components"]["schemas"]
    kinds = {branch["properties"]["kind"]["enum"][0]: branch for branch in schemas["RuleCreate"]["anyOf"]}
    assert kinds["standard_amount"]["required"] == ["amount", "amount_per"]
    assert kinds["eligibility"]["required"] == ["desil_max"]
    assert schemas["BulkDecision"]["oneOf"] == [{"required": ["ids"]}, {"required": ["filter"]}]
    assert {"required": ["period_start", "period_end"]} in schemas["ExportJobRequest"]["anyOf"]
    admin = auth_headers(make_user("admin", regions=()))
    # The bulk decision's filter is a JSON object: booleans are true or false, ids integers.
    for wrong in ({"unclaimed": 1}, {"field_proposals": "true"}, {"campaign_id": 2.5}):
        response = client.post("/api/v1/review/decisions", json={"decision": "approve", "filter": wrong}, headers=admin)
        assert response.status_code == 422, wrong
    assert (
        client.post(
            "/api/v1/review/decisions", json={"decision": "approve", "filter": {"unclaimed": True}}, headers=admin
        ).status_code
        == 200
    )
    visits = {"what": "visits", "format": "csv"}
    assert (
        client.post("/api/v1/analytics/exports", json={**visits, "campaign_id": 2.5}, headers=admin).status_code == 422
    )
    households = client.post("/api/v1/analytics/exports", json={"what": "households"}, headers=admin)
    assert households.status_code == 422 and "period_start" in households.get_json()["error"]["details"]["fields"]


def test_review_and_map_export_filters_say_their_values(client, auth_headers, db_session):
    paths = _document(client)["paths"]
    queue = {p["name"]: p["schema"] for p in paths["/api/v1/review/queue"]["get"]["parameters"]}
    for text in ("", "pending", " pending , approved,", ",,"):
        assert re.fullmatch(queue["status"]["pattern"], text), text
    for text in ("pending approved", "pendingapproved", "bogus"):
        assert not re.fullmatch(queue["status"]["pattern"], text), text
    export = paths["/api/v1/gis/exports/households.geojson"]["get"]
    filters = {p["name"]: p["schema"] for p in export["parameters"]}
    assert re.fullmatch(filters["bbox"]["pattern"], "117.1,-0.6,117.3,-0.4")
    assert not re.fullmatch(filters["bbox"]["pattern"], "181,0,182,1")
    assert re.fullmatch(filters["decile"]["pattern"], "1,,10") and not re.fullmatch(filters["decile"]["pattern"], "11")
    assert "application/geo+json" in export["responses"]["200"]["content"]
    admin = auth_headers(make_user("admin", regions=()))
    assert client.get("/api/v1/review/queue?status=pending%20approved", headers=admin).status_code == 422
    assert client.get("/api/v1/review/queue?status=pending,,approved", headers=admin).status_code == 200
    geojson = "/api/v1/gis/exports/households.geojson"
    assert client.get(f"{geojson}?bbox=181,0,182,1", headers=admin).status_code == 400
    assert client.get(f"{geojson}?decile=11", headers=admin).status_code == 400
    found = client.get(f"{geojson}?bbox=117.1,-0.6,117.3,-0.4&decile=1,,10", headers=admin)
    assert found.status_code == 200 and found.get_json(force=True)["type"] == "FeatureCollection"
