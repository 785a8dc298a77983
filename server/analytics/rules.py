"""Programme rules as data: list, add, change and deactivate rules (admin), each change audited and written as
a new version of the whole rule set; the analysis names the version it used."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from server.aid import queries as aid_queries
from server.analytics import queries
from server.analytics.models import AidRule
from server.analytics.service import request_refresh
from server.audit.service import record
from server.auth.access import Actor
from server.errors import NOT_FOUND, AppError, validation_error

FIELDS = (
    "kind",
    "programs",
    "label",
    "desil_max",
    "amount",
    "amount_per",
    "valid_from",
    "valid_until",
    "legal_basis",
    "active",
)


def list_rules(include_inactive: bool = False) -> list[AidRule]:
    return queries.list_rules(include_inactive=include_inactive)


def require_rule(rule_id: int) -> AidRule:
    rule = queries.get_rule(rule_id=rule_id)
    if rule is None:
        raise AppError(NOT_FOUND, details={"rule": rule_id})
    return rule


def current_version() -> int:
    return queries.current_version()


def list_versions() -> list:
    return queries.list_versions()


def create_rule(actor: Actor, data: dict[str, Any]) -> tuple[AidRule, int]:
    _check(data)
    queries.lock_rule_set()
    rule = queries.add_rule(**data)
    version = queries.write_version(actor_id=actor.user_id, summary=f"create rule {rule.id}")
    record(
        "aid_rule.create",
        object_type="aid_rule",
        object_id=rule.id,
        changes={**{name: (None, _plain(data.get(name))) for name in data}, "rule_set_version": (None, version)},
    )
    request_refresh(actor)  # the figures (and the map's versions) follow the new rule set
    return rule, version


def update_rule(actor: Actor, rule_id: int, data: dict[str, Any]) -> tuple[AidRule, int]:
    queries.lock_rule_set()
    rule = require_rule(rule_id)
    merged = {name: getattr(rule, name) for name in FIELDS} | data
    _check(merged)
    diff = {}
    for name, value in data.items():
        if _plain(getattr(rule, name)) != _plain(value):
            diff[name] = (_plain(getattr(rule, name)), _plain(value))
            setattr(rule, name, value)
    version = queries.current_version()
    if diff:
        rule.updated_at = sa.func.now()
        version = queries.write_version(actor_id=actor.user_id, summary=f"update rule {rule.id}")
        record(
            "aid_rule.update",
            object_type="aid_rule",
            object_id=rule.id,
            changes={**diff, "rule_set_version": (version - 1, version)},
        )
        request_refresh(actor)
    return rule, version


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _check(data: dict[str, Any]) -> None:
    """What the schema cannot see: programme codes exist, fields fit the kind, the validity is ordered."""
    problems: dict[str, list[str]] = {}
    kind, programs = data.get("kind"), list(data.get("programs") or [])
    unknown = [code for code in programs if aid_queries.get_program(code=code) is None]
    if unknown:
        problems["programs"] = [f"Program tidak dikenal / unknown programme: {', '.join(unknown)}"]
    elif len(set(programs)) != len(programs):
        problems["programs"] = ["Program ganda / a programme is named twice"]
    count = {"exclusive": (2, 2), "same_purpose": (2, 50), "eligibility": (1, 1), "standard_amount": (1, 1)}
    low, high = count.get(kind, (1, 50))
    if not low <= len(programs) <= high:
        problems.setdefault("programs", []).append(
            f"Jumlah program {low}-{high} untuk {kind} / {low}-{high} programmes for {kind}"
        )
    if kind == "eligibility" and data.get("desil_max") is None:
        problems["desil_max"] = ["Wajib untuk eligibility / required for eligibility"]
    if kind == "standard_amount":
        if data.get("amount") is None:
            problems["amount"] = ["Wajib untuk standard_amount / required for standard_amount"]
        if data.get("amount_per") is None:
            problems["amount_per"] = ["Wajib untuk standard_amount / required for standard_amount"]
    start, end = data.get("valid_from"), data.get("valid_until")
    if start and end and end < start:
        problems["valid_until"] = ["Harus sesudah valid_from / must not be before valid_from"]
    if problems:
        raise validation_error(problems)
