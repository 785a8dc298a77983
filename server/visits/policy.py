"""The review policy of a campaign (its settings' `review_policy`, see `server/visits/flags.py`).

`hold_all` (the default): every visit waits for a reviewer. `hold_flagged`: a visit without any flag is
approved by the policy itself, except a random share (`clean_sample_percent`) of clean visits that is
held for a reviewer all the same, so clean work is still checked. The draw is derived from the visit's id
(the same answer on a replay). A visit is considered when it is stored and again when a photo arrives
(`photos_missing` cleared may make it clean). Approval by the policy goes through the review decision
service, recorded as the policy's decision, so it does exactly what a reviewer's approval does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import g

from server.errors import AppError
from server.extensions import db
from server.review.service import decide
from server.types import ReviewVia
from server.visits import flags as catalogue
from server.visits import queries


def select_auto_approvals(candidates: list[tuple[uuid.UUID, list[str], str, catalogue.Rules]]) -> list[uuid.UUID]:
    """Of candidates (id, flags, review status, the campaign's rules), those the policy approves itself."""
    return [
        visit_id
        for visit_id, flags, review_status, rules in candidates
        if rules.policy_mode == catalogue.HOLD_FLAGGED
        and review_status == "pending"
        and not flags
        and not catalogue.held_in_sample(visit_id, rules.clean_sample_percent)
    ]


def approve_as_policy(visit_ids: list[uuid.UUID]) -> None:
    """Approve these visits as the policy's decision."""
    if visit_ids:
        _approve_as_policy(visit_ids)


def apply_review_policy(visit_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Approve, as the campaign's policy, those of these visits it lets through; returns their ids."""
    visits = queries.visits_for_photo_flags(ids=visit_ids)
    chosen = select_auto_approvals(
        [(visit.id, visit.flags, visit.review_status, catalogue.rules_for(visit.settings)) for visit in visits]
    )
    if chosen:
        _approve_as_policy(chosen)
    return chosen


def _approve_as_policy(visit_ids: list[uuid.UUID]) -> None:
    """Each through the review decision service, as a reviewer's approval is, recorded as the policy's
    (no reviewer, via `policy`), in its own savepoint: a visit decided meanwhile (a twin request) stays
    as it was decided and spoils nothing else."""
    for visit_id in visit_ids:
        try:
            with _as_policy(), db.session.begin_nested():
                decide(None, visit_id, "approve", via=ReviewVia.POLICY)
        except AppError:
            continue


@contextmanager
def _as_policy() -> Iterator[None]:
    """The decision is the policy's, not the user's whose request (a push, a photo upload) prompted it: the
    audit row names no user (actor `policy`)."""
    saved = {name: g.pop(name) for name in ("actor", "job_actor") if name in g}
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(g, name, value)
