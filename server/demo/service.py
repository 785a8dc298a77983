"""Loading the demo city: reference data, the generated registry (bulk COPY), one user per role with the
demo password, and a running campaign with each enumerator's kelurahan assigned to them.

The demo password is a public string, so the production profile refuses to create these accounts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, g

from server.aid.catalog import seed_programs
from server.audit.service import record
from server.auth.access import Actor
from server.auth.models import User, UserScope
from server.auth.passwords import hash_password
from server.campaigns.models import Campaign
from server.config import DEMO_PASSWORD
from server.demo import queries
from server.demo.generator import generate_city
from server.demo.geography import Kelurahan, load_kelurahan
from server.demo.problems import Planted, plant_problems
from server.demo.visits import enumerator_areas
from server.errors import CONFLICT, FORBIDDEN, AppError
from server.extensions import db
from server.regions.queries import village_codes
from server.regions.service import load_regions
from server.types import Role
from server.visits.push_schemas import MAX_ITEMS
from server.visits.service import ACCEPTED_WITH_CONFLICT, CREATED, push

CITY = "64.72"
ENUMERATORS = 5
KELURAHAN_PER_ENUMERATOR = 2


def load_demo_city(*, households: int, seed: int, if_empty: bool = False) -> dict[str, Any]:
    """Generate and load the demo city; returns what was loaded (`skipped` when `if_empty` found data)."""
    if not current_app.config["ALLOW_DEMO_PASSWORD"]:
        raise AppError(FORBIDDEN, message="Data demo ditolak di produksi / demo data is refused in production")
    existing = queries.household_count()
    if existing:
        if if_empty:
            return {"skipped": True, "households": existing}
        raise AppError(
            CONFLICT,
            message=f"Basis data sudah berisi {existing} rumah tangga / database already holds {existing} households",
        )
    load_regions()
    seed_programs()
    kelurahan = city_kelurahan()
    areas = enumerator_areas(sorted(kelurahan), ENUMERATORS, KELURAHAN_PER_ENUMERATOR)
    city = generate_city(households, seed, kelurahan, areas)
    planted = plant_problems(city, seed)
    queries.copy_city(city, queries.program_ids())
    users = _create_users(areas)
    assigned = _create_campaign(users)
    queries.analyze()
    visits, flagged = _send_visits(users, city.visits)
    approved = _review_planted(users["reviewer"], planted)
    queries.settle_deceased(household_ids=planted.settled, decided_by_id=users["supervisor"].id)
    summary = {
        "skipped": False,
        "households": len(city.households),
        "members": sum(len(h.members) for h in city.households),
        "receipts": len(city.receipts),
        "users": sorted(users),
        "assignments": assigned,
        "visits": visits,
        "flagged_visits": flagged,
        "approved_visits": approved,
        "planted": planted.counts,
    }
    record("demo.load", object_type="demo", object_id=seed, changes={k: v for k, v in summary.items() if k != "users"})
    return summary


def city_kelurahan() -> dict[str, Kelurahan]:
    """The city's kelurahan polygons (KELURAHAN_BOUNDARIES), which must be exactly the registered kelurahan."""
    path = current_app.config["KELURAHAN_BOUNDARIES"]
    try:
        kelurahan = load_kelurahan(path)
    except (OSError, ValueError, KeyError) as error:
        raise AppError(
            CONFLICT, message=f"Batas kelurahan tidak terbaca / kelurahan boundaries unreadable: {path} ({error})"
        ) from error
    registered = {code for code in village_codes() if code.startswith(CITY + ".")}
    if set(kelurahan) != registered:
        raise AppError(
            CONFLICT,
            message=f"Batas kelurahan tidak cocok dengan daftar wilayah / boundaries do not match the regions: {path}",
        )
    return kelurahan


def _create_users(areas: dict[str, list[str]]) -> dict[str, User]:
    """admin, supervisor, reviewer, viewer over the city; enumeratorN over a few kelurahan spread across it."""
    password_hash = hash_password(DEMO_PASSWORD)
    plan: dict[str, tuple[Role, str, list[str]]] = {
        "admin": (Role.ADMIN, "Admin Dinas Sosial", []),
        "supervisor": (Role.SUPERVISOR, "Supervisor Verval", [CITY]),
        "reviewer": (Role.REVIEWER, "Petugas Reviu Dinsos", [CITY]),
        "viewer": (Role.VIEWER, "Perencana Bappeda", [CITY]),
    }
    for number, (username, codes) in enumerate(areas.items(), start=1):
        plan[username] = (Role.ENUMERATOR, f"Petugas Lapangan {number}", codes)
    users = {}
    for username, (role, full_name, regions) in plan.items():
        user = User(username=username, full_name=full_name, role=role, password_hash=password_hash)
        user.scopes = [UserScope(region_code=code) for code in regions]
        db.session.add(user)
        users[username] = user
    db.session.flush()
    return users


def _create_campaign(users: dict[str, User]) -> int:
    campaign = Campaign(
        name="Verval DTSEN Kota Samarinda 2026 Tahap II",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        active=True,
        created_by_id=users["supervisor"].id,
    )
    db.session.add(campaign)
    db.session.flush()
    assigned = 0
    for user in users.values():
        if user.role == Role.ENUMERATOR:
            assigned += queries.assign_kelurahan(
                campaign_id=campaign.id,
                enumerator_id=user.id,
                assigned_by_id=users["supervisor"].id,
                region_codes=user.region_codes,
            )
    return assigned


def _send_visits(users: dict[str, User], visits: dict[str, list[dict]]) -> tuple[int, int]:
    """The demo visits through the real sync push, as each enumerator (flags and priority as for any phone);
    returns (visits stored, of them flagged)."""
    stored = flagged = 0
    for username, items in visits.items():
        user = users[username]
        actor = Actor(user.id, user.username, user.role, tuple(user.region_codes), None)
        g.job_actor = actor  # the audit names the enumerator, as for a phone's push
        try:
            for start in range(0, len(items), MAX_ITEMS):
                for result in push(actor, items[start : start + MAX_ITEMS], None):
                    if result["status"] not in (CREATED, ACCEPTED_WITH_CONFLICT):
                        raise AppError(CONFLICT, message=f"demo visit refused: {result}")
                    stored += 1
                    flagged += bool(result["visit"]["flags"])
        finally:
            g.pop("job_actor", None)
    return stored, flagged


def _review_planted(reviewer: User, planted: Planted) -> int:
    """The demo reviewer approves the planted findings and part of the queue (server/demo/problems.py), through
    the real review decisions; returns how many were approved."""
    import uuid

    from server.review.service import decide_many

    actor = Actor(reviewer.id, reviewer.username, reviewer.role, tuple(reviewer.region_codes), None)
    g.job_actor = actor
    try:
        results = decide_many(actor, [uuid.UUID(visit_id) for visit_id in planted.approvals], "approve")
    finally:
        g.pop("job_actor", None)
    return sum(1 for result in results.values() if not isinstance(result, AppError))
