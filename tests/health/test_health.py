"""Health check: database facts when up, 503 in the envelope when the database cannot be reached."""

from server import create_app


def test_health_reports_postgis_and_migration_head(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["database"] == "ok"
    assert data["postgis"].split(".")[0] == "3"
    assert data["migration"] == data["migration_head"]
    assert data["migration"] is not None


def test_health_answers_503_in_the_envelope_when_the_database_is_down(app):
    # Port 1 on loopback: nothing listens, exactly what a stopped database server looks like to the app.
    down = create_app({"PROFILE": "test", "SQLALCHEMY_DATABASE_URI": "postgresql://verval@127.0.0.1:1/verval"})
    response = down.test_client().get("/api/v1/health")
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "db.unavailable"
    assert error["message"]
