"""Factory functions for test records: sensible defaults, every field overridable, flushed not committed."""

from __future__ import annotations

import itertools
from datetime import date

from server.auth.models import User, UserScope
from server.auth.passwords import hash_password
from server.extensions import db
from server.households.models import Household, Member
from server.types import Presence, RegistryStatus

_counter = itertools.count(1)
DEFAULT_KELURAHAN = "64.72.01.1001"


def next_number() -> int:
    return next(_counter)


def make_nik(serial: int | None = None, *, birth: date = date(1980, 5, 17), female: bool = False) -> str:
    """A structurally valid Samarinda NIK (64 72 01, DDMMYY with +40 for women, non-zero serial)."""
    day = birth.day + (40 if female else 0)
    return f"647201{day:02d}{birth.month:02d}{birth.year % 100:02d}{(serial or next_number()) % 9999 + 1:04d}"


def make_kk(serial: int | None = None) -> str:
    return f"6472012001200{(serial or next_number()) % 999 + 1:03d}"


def make_household(**overrides) -> Household:
    number = next_number()
    values = {
        "registry_id": f"TEST-{number:08d}",
        "kk_number": make_kk(number),
        "head_name": f"Kepala Keluarga {number}",
        "address": f"Jl. Uji No. {number}",
        "rt": "001",
        "rw": "002",
        "region_code": DEFAULT_KELURAHAN,
        "decile": 2,
        "registry_status": RegistryStatus.ACTIVE,
    }
    values.update(overrides)
    household = Household(**values)
    db.session.add(household)
    db.session.flush()
    return household


def make_member(household: Household, **overrides) -> Member:
    values = {
        "household_id": household.id,
        "nik": make_nik(),
        "name": f"Anggota {next_number()}",
        "sex": 1,
        "birth_date": date(1980, 5, 17),
        "relationship_code": 1,
        "presence_status": Presence.PRESENT,
    }
    values.update(overrides)
    member = Member(**values)
    db.session.add(member)
    db.session.flush()
    return member


_PASSWORD_HASHES: dict[str, str] = {}
TEST_PASSWORD = "kata-sandi-uji-1"


ROLE_WORDS = {"enumerator": "petugas", "reviewer": "pemeriksa", "supervisor": "pengawas", "viewer": "pengamat"}


def make_user(role: str = "enumerator", regions: list[str] | tuple[str, ...] = ("64.72.01",), **overrides) -> User:
    """A user with the given role and area scope (ignored for admin); password TEST_PASSWORD."""
    if TEST_PASSWORD not in _PASSWORD_HASHES:
        _PASSWORD_HASHES[TEST_PASSWORD] = hash_password(TEST_PASSWORD)
    number = next_number()
    # Indonesian words, as a real office's accounts would read on the staff pages (whose tests refuse English).
    word = ROLE_WORDS.get(role, role)
    values = {
        "username": f"{word}-{number}",
        "full_name": f"Pengguna {word} {number}",
        "role": role,
        "password_hash": _PASSWORD_HASHES[TEST_PASSWORD],
        "active": True,
    }
    values.update(overrides)
    user = User(**values)
    if role != "admin":
        user.scopes = [UserScope(region_code=code) for code in regions]
    db.session.add(user)
    db.session.flush()
    return user
