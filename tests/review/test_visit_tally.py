"""The facet counts the database keeps (`visit_tally`, migration 0027) stay exactly the visits' own GROUP BY
through every way a visit changes: arriving, approve, reject, revisit, supersede, bulk decisions, claims, a
photo flag, a household moving kelurahan or deleted, a visit deleted, folding; the facets read from it equal
the facets counted from the visits; and it stays exact under concurrent writers on separate connections."""

from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa

from server.extensions import db
from server.review import queries
from tests.factories import make_household, make_user
from tests.review.conftest import make_visit
from tests.sync.conftest import assign, bearer, campaign
from tests.visits.test_push import visit_item

TRUTH = """SELECT h.region_code, v.enumerator_id, coalesce(v.campaign_id, 0), v.review_status, v.outcome,
                  v.flags::text, count(*)
             FROM visits v JOIN households h ON h.id = v.household_id GROUP BY 1, 2, 3, 4, 5, 6"""
TALLY = """SELECT region_code, enumerator_id, campaign_id, review_status, outcome, flags::text, sum(n)
             FROM visit_tally GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0"""


def _counts(sql: str, connection=None) -> dict[tuple, int]:
    rows = (connection or db.session).execute(sa.text(sql)).all()
    return {tuple(row[:-1]): int(row[-1]) for row in rows}


def _assert_exact(step: str) -> None:
    truth = _counts(TRUTH)
    assert truth, step
    assert _counts(TALLY) == truth, step


def _decide(client, headers, visit_id, body):
    version = db.session.execute(sa.text("SELECT review_version FROM visits WHERE id = :id"), {"id": visit_id})
    response = client.post(
        f"/api/v1/review/visits/{visit_id}/decision",
        json=body,
        headers={**headers, "If-Match": f'"{version.scalar_one()}"'},
    )
    assert response.status_code == 200, response.get_json()


def test_the_tally_follows_every_change_of_a_visit(client, auth_headers, db_session, reviewer, enumerator, monkeypatch):
    other = make_user("enumerator", regions=("64.72.01",))
    north, south = make_household(region_code="64.72.01.1001"), make_household(region_code="64.72.01.1002")
    twice = make_household(region_code="64.72.01.1001")
    visits = [
        make_visit(north, enumerator),
        make_visit(south, enumerator, flags=["far_from_registered"]),
        make_visit(make_household(region_code="64.72.01.1002"), other, outcome="not_found", flags=["no_fix"]),
        make_visit(make_household(region_code="64.72.01.1001"), other),
        make_visit(make_household(region_code="64.72.01.1003"), enumerator, outcome="moved_within"),
    ]
    older, newer = make_visit(twice, enumerator), make_visit(twice, other)
    _assert_exact("arrived")
    headers = auth_headers(reviewer)
    _decide(client, headers, visits[0].id, {"decision": "approve"})
    _assert_exact("approve")
    _decide(client, headers, visits[1].id, {"decision": "reject", "reason_code": "not_a_real_visit"})
    _assert_exact("reject")
    _decide(client, headers, visits[2].id, {"decision": "revisit", "reason_code": "nobody_home"})
    _assert_exact("revisit")
    _decide(client, headers, newer.id, {"decision": "approve"})  # supersedes the older visit of `twice`
    status = db_session.execute(sa.text("SELECT review_status FROM visits WHERE id = :id"), {"id": older.id})
    assert status.scalar() == "superseded"
    _assert_exact("supersede")
    claimed = client.post(f"/api/v1/review/visits/{visits[3].id}/claim", json={}, headers=headers)
    assert claimed.status_code == 200
    _assert_exact("claim")
    bulk = client.post(
        "/api/v1/review/decisions", json={"decision": "approve", "ids": [str(visits[3].id), str(visits[4].id)]},
        headers=headers,
    )  # fmt: skip
    assert bulk.status_code == 200 and bulk.get_json()["data"]["counts"]["decided"] == 2
    _assert_exact("bulk")
    db_session.execute(sa.text("UPDATE visits SET flags = flags || '[\"photos_missing\"]'::jsonb WHERE id = :id"),
                       {"id": visits[0].id})  # fmt: skip
    _assert_exact("a photo flag")
    db_session.execute(sa.text("UPDATE households SET region_code = '64.72.01.1003' WHERE id = :id"), {"id": north.id})
    _assert_exact("household moved")
    db_session.execute(sa.text("DELETE FROM visits WHERE id = :id"), {"id": visits[1].id})
    _assert_exact("visit deleted")
    db_session.execute(sa.text("DELETE FROM households WHERE id = :id"), {"id": twice.id})
    _assert_exact("household deleted")

    # The facets read from the tally are the facets counted from the visits, under every filter it answers.
    filters = [
        {},
        {"status": ["pending"]},
        {"status": ["approved", "rejected"], "outcome": ["found"]},
        {"region": "64.72.01.1002"},
        {"enumerator_id": other.id},
        {"flag": ["far_from_registered"]},
        {"campaign_id": 999},
        {"campaign_id": 0},  # no visit has it (the tally keeps "no campaign" as 0)
    ]
    from_tally = [queries.queue_facets(actor=reviewer_actor(reviewer), params=f) for f in filters]
    monkeypatch.setattr(queries, "TALLY_FILTERS", frozenset())
    assert from_tally == [queries.queue_facets(actor=reviewer_actor(reviewer), params=f) for f in filters]
    assert from_tally[0]["status"] == {"approved": 3, "revisit": 1}  # the rejected one and `twice` deleted

    rows_before = db_session.execute(sa.text("SELECT count(*) FROM visit_tally")).scalar_one()
    assert queries.compact_tally()
    rows = db_session.execute(sa.text("SELECT count(*) FROM visit_tally")).scalar_one()
    assert rows == len(_counts(TALLY)) < rows_before
    assert db_session.execute(sa.text("SELECT count(*) FROM visit_tally WHERE n = 0")).scalar_one() == 0
    _assert_exact("folded")


def reviewer_actor(user):
    from server.auth.access import Actor

    return Actor(user.id, user.username, user.role, tuple(user.region_codes), None)


def test_a_push_counts_its_visits_once_even_when_replayed(sync_ctx, sync_client):
    enumerator = make_user("enumerator")
    homes = [make_household(region_code=code) for code in ("64.72.01.1001", "64.72.01.1002", "64.72.02.1009")]
    assign(campaign(), homes, enumerator)
    db.session.commit()
    items = [visit_item(home) for home in homes] + [visit_item(homes[0], outcome="not_found")]
    for _ in range(2):  # the second push is a replay: nothing new is stored or counted
        pushed = sync_client.post("/api/v1/sync/push", json={"items": items}, headers=bearer(enumerator))
        assert pushed.status_code == 200, pushed.get_json()
        with db.engine.connect() as connection:
            truth = _counts(TRUTH, connection)
            assert _counts(TALLY, connection) == truth and sum(truth.values()) >= 4


def test_concurrent_writers_and_folding_keep_it_exact(sync_ctx):
    """Eight connections at once: new visits, decisions on the same keys in different orders, several
    statements per transaction, and folds in between; no writer waits on a counter, the sums stay exact."""
    enumerators = [make_user("enumerator") for _ in range(2)]
    households = [make_household(region_code=f"64.72.01.100{n % 3 + 1}") for n in range(24)]
    ids = [make_visit(households[n], enumerators[n % 2]).id for n in range(24)]
    db.session.commit()
    engine = db.engine
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with engine.connect() as connection:
                barrier.wait()
                for round_ in range(6):
                    with connection.begin():
                        mine = ids[index::8] if index % 2 else list(reversed(ids[index::8]))
                        statuses = ("approved", "rejected", "revisit", "pending")
                        for offset, visit_id in enumerate(mine):
                            connection.execute(
                                sa.text("UPDATE visits SET review_status = :s WHERE id = :id"),
                                {"s": statuses[(round_ + offset + index) % 4], "id": visit_id},
                            )
                        if index % 3 == 0:
                            connection.execute(
                                sa.text(
                                    "INSERT INTO visits (id, household_id, enumerator_id, device_time, location,"
                                    " location_accuracy_m, outcome, consent, answers, content_hash, flags,"
                                    " review_status) SELECT :id, household_id, enumerator_id, now(), location,"
                                    " 5, 'found', true, '{}'::jsonb, md5(:id), '[]'::jsonb, 'pending'"
                                    " FROM visits WHERE id = :from"
                                ),
                                {"id": str(uuid.uuid4()), "from": mine[0]},
                            )
                        if index == 7:
                            connection.execute(sa.text("SELECT compact_visit_tally()"))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with db.engine.connect() as connection:
        assert _counts(TALLY, connection) == _counts(TRUTH, connection)
        connection.execute(sa.text("SELECT compact_visit_tally()"))
        assert _counts(TALLY, connection) == _counts(TRUTH, connection)
        connection.commit()


def test_reading_the_facets_folds_a_grown_tally(db_session, reviewer, enumerator, monkeypatch):
    home = make_household(region_code="64.72.01.1001")
    visits = [make_visit(home, enumerator) for _ in range(3)]
    for visit in visits[:2]:
        db_session.execute(sa.text("UPDATE visits SET review_status = 'approved' WHERE id = :id"), {"id": visit.id})
    written = db_session.execute(sa.text("SELECT count(*) FROM visit_tally WHERE NOT folded")).scalar_one()
    assert written >= 3
    monkeypatch.setattr(queries, "TALLY_SLACK", 0)
    facets = queries.queue_facets(actor=reviewer_actor(reviewer), params={})
    assert facets["status"] == {"approved": 2, "pending": 1}
    assert db_session.execute(sa.text("SELECT count(*) FROM visit_tally WHERE NOT folded")).scalar_one() == 0
    _assert_exact("folded by a reader")
    assert queries.queue_facets(actor=reviewer_actor(reviewer), params={}) == facets
