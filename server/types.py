"""Column types and value sets shared by the models: codes are stored as short strings with CHECK constraints."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from geoalchemy2 import Geometry


def code_enum(values: type[enum.Enum], name: str, length: int = 24) -> sa.Enum:
    """A VARCHAR + named CHECK constraint (not a native PG enum, so adding a value is a one-line migration)."""
    return sa.Enum(
        values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


def point() -> Geometry:
    return Geometry("POINT", srid=4326, spatial_index=False)


def utcnow_default() -> sa.TextClause:
    return sa.text("now()")


class RegionLevel(enum.StrEnum):
    PROVINSI = "provinsi"
    KOTA = "kota"
    KABUPATEN = "kabupaten"
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"
    DESA = "desa"


class RegistryStatus(enum.StrEnum):
    ACTIVE = "active"
    MOVED = "moved"
    DECEASED = "deceased"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    MERGED = "merged"
    PROPOSED = "proposed"
    REMOVED = "removed"


class VerificationStatus(enum.StrEnum):
    UNVERIFIED = "unverified"
    VISITED = "visited"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVISIT = "revisit"


class HouseholdSource(enum.StrEnum):
    REGISTRY = "registry"
    FIELD = "field"


class Sex(enum.IntEnum):
    MALE = 1
    FEMALE = 2


class Presence(enum.StrEnum):
    PRESENT = "present"
    NOT_FOUND = "not_found"
    MOVED = "moved"
    DECEASED = "deceased"
    DUPLICATE = "duplicate"
    NO_DOCUMENTS = "no_documents"
    NEW = "new"
    REMOVED = "removed"  # no longer listed by the registry file that holds its household (kept for history)


class HouseholdFlag(enum.StrEnum):
    """Review flags on a household, kept until review or the musyawarah settles them (then cleared by PATCH)."""

    NIK_DUPLICATE = "nik_duplicate"  # a member's NIK is listed in another household too
    # Data quality: the registered point lies outside the household's kelurahan by more than the tolerance
    # (kept in step by a database trigger and by boundary loads; see migration 0011).
    OUTSIDE_KELURAHAN = "outside_kelurahan"


class ProgramLevel(enum.StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"


class ProgramUnit(enum.StrEnum):
    FAMILY = "family"
    PERSON = "person"


class ProgramForm(enum.StrEnum):
    CASH = "cash"
    NON_CASH = "non_cash"
    GOODS = "goods"
    PREMIUM = "premium"


class ProgramPeriod(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ONE_OFF = "one_off"


class ReceiptSource(enum.StrEnum):
    AGENCY_LIST = "agency_list"
    REGISTRY = "registry"
    FIELD_REPORT = "field_report"


class ReceiptStatus(enum.StrEnum):
    LISTED = "listed"
    DISBURSED = "disbursed"
    NOT_RECEIVED = "not_received"
    SUSPENDED = "suspended"


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    REVIEWER = "reviewer"
    ENUMERATOR = "enumerator"
    VIEWER = "viewer"


class Outcome(enum.StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    MOVED_WITHIN = "moved_within"
    MOVED_OUTSIDE = "moved_outside"
    DECEASED = "deceased"
    DUPLICATE = "duplicate"
    MERGED = "merged"
    REFUSED = "refused"
    BUILDING_GONE = "building_gone"


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVISIT = "revisit"
    SUPERSEDED = "superseded"  # a later visit of the household was decided (or a newer visit replaced it)


class ReviewDecision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REVISIT = "revisit"
    SUPERSEDE = "supersede"  # recorded by the system, never asked for by a reviewer


class ReviewVia(enum.StrEnum):
    """Who took a review decision: a reviewer on one visit, a reviewer's bulk decision, a campaign policy."""

    REVIEWER = "reviewer"
    BULK = "bulk"
    POLICY = "policy"
    SYSTEM = "system"


class ChangeSource(enum.StrEnum):
    """Where a registry change came from (registry_changes.source_kind)."""

    IMPORT = "import"
    STAFF_EDIT = "staff_edit"
    REVIEW = "review"
    MUSYAWARAH = "musyawarah"
    MERGE = "merge"


class ChangeState(enum.StrEnum):
    """A registry change's place in the lifecycle: applied at once, or proposed until the musyawarah settles it."""

    APPLIED = "applied"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    OVERTURNED = "overturned"
    REVERTED = "reverted"


class PhotoKind(enum.StrEnum):
    HOUSE_FRONT = "house_front"
    LIVING_ROOM = "living_room"
    KITCHEN = "kitchen"
    BATHROOM = "bathroom"
    FAMILY_CARD = "family_card"
    OTHER = "other"


class TombstoneReason(enum.StrEnum):
    UNASSIGNED = "unassigned"
    MERGED = "merged"
    REMOVED = "removed"
