"""Masking of identity numbers (NIK, No. KK) for roles that must not see them whole, and for the audit log."""

from __future__ import annotations

from server.types import Role

# Roles that work with identified families and may see full numbers (need-to-know, UU 27/2022).
IDENTITY_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.REVIEWER, Role.ENUMERATOR})


def mask_number(value: str | None) -> str | None:
    """Keep the 6-digit region prefix and the last 2 digits: 6472011705800001 → 647201********01."""
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 8) + value[-2:]


def identity_for(role: Role, value: str | None) -> str | None:
    """The number as the given role may see it."""
    return value if role in IDENTITY_ROLES else mask_number(value)
