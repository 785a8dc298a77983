"""The OpenAPI document: valid OpenAPI 3, covering every /api/ route and method; the docs page is self-hosted."""

import re

from openapi_spec_validator import validate

from server.openapi.spec import AUTOMATIC_METHODS, documented_rules


def _document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_valid_openapi_3(client):
    document = _document(client)
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_api_route_and_method_is_documented(app, client):
    document = _document(client)
    missing = []
    for rule in documented_rules(app):
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        operations = document["paths"].get(path, {})
        for method in sorted((rule.methods or set()) - AUTOMATIC_METHODS):
            operation = operations.get(method.lower())
            if not operation or not operation.get("responses") or not operation.get("tags"):
                missing.append(f"{method} {rule.rule}")
    assert missing == [], "routes not registered through server.api's Api (api.register_blueprint) or without responses"


def test_every_route_outside_public_ones_requires_a_token_in_the_document(client):
    document = _document(client)
    public = {"/api/openapi.json", "/api/v1/health", "/api/v1/auth/login", "/api/v1/auth/refresh"}
    # tus clients probe the server's capabilities without credentials.
    public_operations = {("options", "/api/v1/photos/uploads")}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":  # the path's own parameters, shared by its operations
                continue
            if path in public or (method, path) in public_operations:
                continue
            assert operation.get("security") == [{"bearerAuth": []}], f"{method} {path}"


def test_docs_page_and_assets_are_served_by_the_app_without_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert asset.data
    assert client.get("/api/docs/assets/../../server/config.py").status_code == 404
    assert client.get("/api/docs/assets/index.j2").status_code == 404


def test_a_too_long_url_is_documented_and_answered_in_the_envelope(client, auth_headers):
    from tests.factories import make_user

    document = _document(client)
    assert "414" in document["paths"]["/api/v1/households"]["get"]["responses"]
    response = client.get("/api/v1/households?q=" + "a" * 5000, headers=auth_headers(make_user("admin", regions=())))
    assert response.status_code == 414
    assert response.get_json()["error"]["code"] == "request.uri_too_long"
