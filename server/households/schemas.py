"""Marshmallow schemas of the household API: list filters, summaries, detail, edits, members, merge.

Identity numbers go out through `server.auth.masking` (masked for viewers), and a viewer gets no exact
household coordinates: the schemas take `masked=True` for such callers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from server.auth.masking import mask_number
from server.households.identity import check_kk, check_nik
from server.openapi.schemas import ListMetaSchema
from server.types import HouseholdFlag, Presence, RegistryStatus, VerificationStatus
from server.visits.schemas import DEVICE_TIME, DeviceTimeMixin

REGISTRY_STATUSES = [status.value for status in RegistryStatus]
VERIFICATION_STATUSES = [status.value for status in VerificationStatus]
PRESENCES = [presence.value for presence in Presence]
HOUSEHOLD_FLAGS = [flag.value for flag in HouseholdFlag]
# The orders of a household list (households.queries.SORTS holds their columns; a test keeps the two equal).
HOUSEHOLD_SORTS = [
    f"{name}{way}" for name in ("region", "name", "decile", "verification", "updated") for way in ("", "_desc")
]


# What list_households accepts as `q`: blank, a 16-digit number (spaces between digits), or text holding
# something other than a digit; never a control character (the request boundary's rule).
_TEXT = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_BLANK = r"[ \t\r\n]*"  # the blanks the boundary lets through (\s also holds \x0b and \x0c, which it refuses)
Q_PATTERN = rf"^({_BLANK}|{_BLANK}([0-9] *){{16}}{_BLANK}|{_TEXT}*[^0-9\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]{_TEXT}*)$"


def _csv_pattern(values: list[str]) -> dict[str, str]:
    """The document's pattern of a comma-separated list of these values (what `_csv` accepts)."""
    one = r"[ \t\r\n]*(" + "|".join(values) + r")[ \t\r\n]*"  # spaces the request boundary lets through
    return {"pattern": f"^{one}(,{one})*$"}


def _csv(values: list[str]):
    def check(value: str) -> None:
        bad = [part for part in value.split(",") if part.strip(" \t\r\n") not in values]
        if bad:
            raise ValidationError(f"Nilai tidak dikenal / unknown value: {', '.join(bad)}; one of {values}")

    return check


class HouseholdListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    region = fields.String(metadata={"description": "Region code (city, kecamatan or kelurahan), e.g. 64.72.01"})
    registry_status = fields.String(
        validate=_csv(REGISTRY_STATUSES),
        metadata={
            "description": "Comma-separated; merged households are listed only when asked for",
            **_csv_pattern(REGISTRY_STATUSES),
        },
    )
    verification_status = fields.String(
        validate=_csv(VERIFICATION_STATUSES),
        metadata={"description": "Comma-separated", **_csv_pattern(VERIFICATION_STATUSES)},
    )
    decile = fields.String(
        validate=validate.Regexp(r"^(10|[1-9])(,(10|[1-9]))*$"),
        metadata={"description": "Comma-separated deciles 1-10, e.g. 1,2,3"},
    )
    program = fields.String(
        validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9_-]{1,31}$"),
        metadata={"description": "Program code: households receiving it (family or member)"},
    )
    has_stacking = fields.Boolean(metadata={"description": "Same-category programs with overlapping periods"})
    has_no_aid = fields.Boolean(metadata={"description": "No listed or disbursed aid at all"})
    assigned = fields.Boolean(
        metadata={"description": "Assigned to an enumerator in an active round (true) or to none (false)"}
    )
    enumerator_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "Assigned to this enumerator in an active round"}
    )
    flag = fields.String(
        validate=validate.OneOf(HOUSEHOLD_FLAGS),
        metadata={"description": "Households carrying this review flag, e.g. nik_duplicate"},
    )
    q = fields.String(
        validate=validate.Length(min=2, max=100),
        metadata={
            "description": "16 digits (spaces allowed between): exact NIK or No. KK; otherwise fuzzy name (head or "
            "member) or the exact registry id (as listed or in capitals; ranked first), which must hold something "
            "other than digits",
            "pattern": Q_PATTERN,
        },
    )
    sort = fields.String(
        validate=validate.OneOf(HOUSEHOLD_SORTS),
        metadata={
            "description": "Order: region (kelurahan, then head name: the default without a name search), name, "
            "decile, verification, updated; `_desc` reverses it. A name search without `sort` is ordered by "
            "similarity. A cursor belongs to the order it was issued for"
        },
    )
    cursor = fields.String(metadata={"description": "`meta.next_cursor` of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class LocationSchema(Schema):
    lon = fields.Float(required=True, validate=validate.Range(min=94.0, max=142.0))
    lat = fields.Float(required=True, validate=validate.Range(min=-11.5, max=6.5))
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(min=0))


class _MaskingSchema(Schema):
    def __init__(self, *args: Any, masked: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.masked = masked

    def _number(self, value: str | None) -> str | None:
        return mask_number(value) if self.masked else value


class HouseholdSummarySchema(_MaskingSchema):
    id = fields.UUID()
    registry_id = fields.String(allow_none=True)
    kk_number = fields.Method("dump_kk", metadata={"type": "string", "nullable": True})
    head_name = fields.String()
    address = fields.String(allow_none=True)
    rt = fields.String(allow_none=True)
    rw = fields.String(allow_none=True)
    region_code = fields.String()
    kelurahan_name = fields.String()
    decile = fields.Integer(allow_none=True)
    registry_status = fields.String()
    verification_status = fields.String()
    source = fields.String()
    merged_into_id = fields.UUID(allow_none=True)
    flags = fields.List(
        fields.String(),
        metadata={
            "description": "Review flags kept until settled, e.g. nik_duplicate (a NIK also in another household)"
        },
    )
    version = fields.Integer()
    member_count = fields.Integer()
    updated_at = fields.DateTime()
    location = fields.Method(
        "dump_location",
        metadata={"type": "object", "nullable": True, "description": "{lon, lat, accuracy_m}; null for viewers"},
    )

    def dump_kk(self, row: dict) -> str | None:
        return self._number(row["kk_number"])

    def dump_location(self, row: dict) -> dict | None:
        if self.masked or row.get("lon") is None:
            return None
        return {"lon": row["lon"], "lat": row["lat"], "accuracy_m": row.get("location_accuracy_m")}


class MemberSchema(_MaskingSchema):
    id = fields.UUID()
    nik = fields.Method("dump_nik", metadata={"type": "string", "nullable": True})
    name = fields.String()
    sex = fields.Integer()
    birth_date = fields.Date(allow_none=True)
    birth_place = fields.String(allow_none=True)
    relationship_code = fields.Integer()
    presence_status = fields.String()
    updated_at = fields.DateTime()

    def dump_nik(self, member: Any) -> str | None:
        return self._number(member.nik)


class AidReceiptSchema(Schema):
    id = fields.Integer()
    program_code = fields.String()
    program_name = fields.String()
    category = fields.String()
    member_id = fields.UUID(allow_none=True)
    period_start = fields.Date()
    period_end = fields.Date()
    # Rupiah as an exact decimal string ("504000.00"); documented as a string, as it is sent.
    amount = fields.Decimal(
        as_string=True, allow_none=True, metadata={"type": "string", "format": "decimal", "example": "504000.00"}
    )
    status = fields.String()
    source = fields.String()


class VisitHistorySchema(DeviceTimeMixin, Schema):
    id = fields.UUID()
    outcome = fields.String()
    device_time = fields.Method("dump_device_time", metadata=DEVICE_TIME)
    received_at = fields.DateTime()
    enumerator_id = fields.Integer()
    enumerator_username = fields.String()
    review_status = fields.String()
    review_comment = fields.String(allow_none=True)
    flags = fields.List(fields.Raw())
    supersedes_id = fields.UUID(allow_none=True)


class HouseholdDetailSchema(HouseholdSummarySchema):
    members = fields.Method(
        "dump_members", metadata={"type": "array", "items": {"$ref": "#/components/schemas/Member"}}
    )
    aid = fields.List(fields.Nested(AidReceiptSchema))
    visits = fields.List(fields.Nested(VisitHistorySchema))

    def dump_members(self, row: dict) -> list[dict]:
        return MemberSchema(many=True, masked=self.masked).dump(row["members"])


def nik_field(value: str | None) -> None:
    if value is None:
        return
    checked = check_nik(value)
    if not checked.ok:
        raise ValidationError(checked.reasons)


def kk_field(value: str | None) -> None:
    if value is None:
        return
    checked = check_kk(value)
    if not checked.ok:
        raise ValidationError(checked.reasons)


class HouseholdPatchSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    kk_number = fields.String(allow_none=True, validate=kk_field)
    head_name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    rt = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{1,3}$"))
    rw = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{1,3}$"))
    region_code = fields.String(validate=validate.Length(min=2, max=13))
    decile = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=10))
    registry_status = fields.String(
        validate=validate.OneOf([s for s in REGISTRY_STATUSES if s != RegistryStatus.MERGED.value])
    )
    location = fields.Nested(LocationSchema, allow_none=True)
    flags = fields.List(
        fields.String(validate=validate.OneOf(HOUSEHOLD_FLAGS)),
        metadata={"description": "The review flags that remain (send the list without a settled flag to clear it)"},
    )

    @validates_schema
    def not_empty(self, data: dict, **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Tidak ada perubahan / nothing to change", "_schema")


def plausible_birth_date(value: date | None) -> None:
    if value is not None and not date(1900, 1, 1) <= value <= date.today():
        raise ValidationError(
            "Tanggal lahir harus antara 1900-01-01 dan hari ini / birth date must be between 1900-01-01 and today"
        )


class MemberWriteSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    nik = fields.String(allow_none=True, validate=nik_field)
    name = fields.String(validate=validate.Length(min=1, max=200))
    sex = fields.Integer(validate=validate.OneOf([1, 2]))
    birth_date = fields.Date(allow_none=True, validate=plausible_birth_date)
    birth_place = fields.String(allow_none=True, validate=validate.Length(max=100))
    relationship_code = fields.Integer(validate=validate.Range(min=1, max=8))
    presence_status = fields.String(validate=validate.OneOf(PRESENCES))


class MemberCreateSchema(MemberWriteSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sex = fields.Integer(required=True, validate=validate.OneOf([1, 2]))
    relationship_code = fields.Integer(required=True, validate=validate.Range(min=1, max=8))


class MergeSchema(Schema):
    duplicate_id = fields.UUID(required=True, metadata={"description": "The household merged into this one"})
    duplicate_version = fields.Integer(
        metadata={"description": "If given, the duplicate's version the caller saw (stale → 412)"}
    )
    reason = fields.String(validate=validate.Length(max=500))


class HouseholdListResponseSchema(Schema):
    data = fields.List(fields.Nested(HouseholdSummarySchema))
    meta = fields.Nested(ListMetaSchema)


class HouseholdResponseSchema(Schema):
    data = fields.Nested(HouseholdDetailSchema)


class MemberResponseSchema(Schema):
    data = fields.Nested(MemberSchema)


class MergeResultSchema(Schema):
    survivor = fields.Nested(HouseholdDetailSchema)
    merged = fields.Dict(metadata={"description": "The duplicate's id and what moved over (counts)"})


class MergeResponseSchema(Schema):
    data = fields.Nested(MergeResultSchema)


class HouseholdExportQuerySchema(Schema):
    region = fields.String(
        validate=validate.Regexp(r"^\d{2}(\.\d{2}){0,2}(\.\d{4})?$"),
        metadata={"description": "Region code prefix (kecamatan or kelurahan); none = everything you may see"},
    )


class HouseholdExportRequestSchema(Schema):
    region = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^\d{2}(\.\d{2}){0,2}(\.\d{4})?$"),
        metadata={"description": "Region code prefix (kecamatan or kelurahan); none = everything you may see"},
    )
