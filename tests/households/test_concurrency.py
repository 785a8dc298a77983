"""Two edits of the same household from the same version, on real separate connections: one 200, one 412.

Runs in its own database (the shared test database's per-test rollback cannot host committed work done
by two connections), dropped with the run.
"""

from __future__ import annotations

import threading

import pytest
from flask_jwt_extended import create_access_token

from server.extensions import db
from server.households.models import Household
from tests.factories import make_household, make_user


@pytest.fixture(scope="module")
def separate_app(make_committed_app):
    return make_committed_app("_concurrency")


def test_two_edits_from_the_same_version_one_wins_one_gets_412(separate_app):
    with separate_app.app_context():
        household = make_household()
        supervisor = make_user("supervisor", ["64.72"])
        db.session.commit()
        household_id, token = household.id, create_access_token(identity=str(supervisor.id))
        db.session.remove()

    barrier = threading.Barrier(2)
    results: dict[str, tuple[int, dict]] = {}

    def edit(address: str) -> None:
        client = separate_app.test_client()
        barrier.wait()
        response = client.patch(
            f"/api/v1/households/{household_id}",
            json={"address": address},
            headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'},
        )
        results[address] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=edit, args=(address,)) for address in ("Jl. Kiri", "Jl. Kanan")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 412]
    winner = next(address for address, (status, _) in results.items() if status == 200)
    loser_body = next(body for status, body in results.values() if status == 412)
    assert loser_body["error"]["details"]["current_version"] == 2
    with separate_app.app_context():
        stored = db.session.get(Household, household_id)
        assert (stored.address, stored.version) == (winner, 2)
        db.session.remove()
