"""Random interleavings of visits, pushes (some cut off before the phone hears the answer, then retried),
pulls and reassignments between two phones: no visit is ever lost or stored twice, and after every pull
a phone holds exactly the households assigned to it."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from server.extensions import db
from tests.factories import make_household, make_user
from tests.sync.conftest import bearer
from tests.sync.test_pull import _pull_all
from tests.visits.test_push import visit_item

KELURAHAN = "64.72.04.1001"
HOUSEHOLDS = 4
PHONES = st.sampled_from([0, 1])
HOMES = st.integers(min_value=0, max_value=HOUSEHOLDS - 1)


def test_no_interleaving_loses_or_duplicates_a_visit(sync_ctx, sync_client):
    client = sync_client

    class FieldDay(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            supervisor = make_user("supervisor", [KELURAHAN])
            self.enumerators = [make_user("enumerator", [KELURAHAN]) for _ in range(2)]
            self.homes = [make_household(region_code=KELURAHAN) for _ in range(HOUSEHOLDS)]
            db.session.commit()
            self.manager = bearer(supervisor)
            self.phones = [bearer(user) for user in self.enumerators]
            campaign = client.post(
                "/api/v1/campaigns",
                json={"name": "Uji acak", "period_start": "2026-01-01", "period_end": "2026-12-31"},
                headers=self.manager,
            ).get_json()["data"]
            self.assign_url = f"/api/v1/campaigns/{campaign['id']}/assignments"
            self.owner = {}  # household index → phone index holding its live assignment
            for index in range(HOUSEHOLDS):
                self._assign(index, index % 2)
            self.outbox = [[], []]
            self.cursor = [None, None]
            self.local = [set(), set()]
            self.expected = set()  # visit ids the server must hold exactly once

        def _assign(self, home: int, phone: int) -> None:
            body = {"enumerator_id": self.enumerators[phone].id, "household_ids": [str(self.homes[home].id)]}
            assert client.post(self.assign_url, json=body, headers=self.manager).status_code == 200
            self.owner[home] = phone

        @rule(phone=PHONES, home=HOMES)
        def record_visit(self, phone, home):
            self.outbox[phone].append((home, visit_item(self.homes[home])))

        @rule(phone=PHONES, cut=st.booleans())
        def push(self, phone, cut):
            if not self.outbox[phone]:
                return
            batch = self.outbox[phone][: max(1, len(self.outbox[phone]) // 2)] if cut else self.outbox[phone]
            # What the server must do: store each new visit whose household is this phone's now.
            for home, item in batch:
                if item["id"] not in self.stored_ids() and self.owner[home] == phone:
                    self.expected.add(item["id"])
            response = client.post(
                "/api/v1/sync/push", json={"items": [i for _, i in batch]}, headers=self.phones[phone]
            )
            assert response.status_code == 200
            if cut:
                return  # the connection dropped: the phone keeps everything and will retry
            results = response.get_json()["data"]["results"]
            for (home, item), result in zip(batch, results, strict=True):
                kept = result["status"] in ("created", "duplicate", "accepted_with_conflict")
                assert kept == (item["id"] in self.expected), (result, self.owner[home], phone)
            self.outbox[phone] = []  # confirmed or refused (shown to the enumerator): out of the outbox

        @rule(phone=PHONES)
        def pull(self, phone):
            households, tombstones, _, self.cursor[phone], _ = _pull_all(client, self.phones[phone], self.cursor[phone])
            mine = {str(home.id) for home in self.homes}
            self.local[phone] |= set(households) & mine
            self.local[phone] -= {t["household_id"] for t in tombstones}
            assigned = {str(self.homes[home].id) for home, owner in self.owner.items() if owner == phone}
            assert self.local[phone] == assigned

        @rule(home=HOMES, phone=PHONES)
        def reassign(self, home, phone):
            self._assign(home, phone)

        def stored_ids(self) -> list[str]:
            db.session.rollback()
            ids = [home.id for home in self.homes]
            rows = db.session.execute(sa.text("SELECT id FROM visits WHERE household_id = ANY(:ids)"), {"ids": ids})
            return [str(row.id) for row in rows]

        @invariant()
        def nothing_lost_nothing_doubled(self):
            stored = self.stored_ids()
            assert len(stored) == len(set(stored))
            assert set(stored) == self.expected

    run_state_machine_as_test(
        FieldDay,
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
