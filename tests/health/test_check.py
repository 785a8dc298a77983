"""The pre-flight database check gives one clear line for each way DATABASE_URL can be wrong."""

from server.health.check import check


def test_check_accepts_the_test_server(database_url):
    assert check(database_url) is None


def test_check_names_each_problem():
    assert check("") == "DATABASE_URL is not set"
    assert "not a valid database URL" in check("nonsense")
    assert "must point at PostgreSQL" in check("mysql://user@host/db")
    problem = check("postgresql://verval@127.0.0.1:1/verval")
    assert problem.startswith("cannot reach the database postgresql://verval@127.0.0.1:1/verval")
    assert "\n" not in problem
