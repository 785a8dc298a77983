"""Marshmallow schemas of the sync push: a batch of visits as the phones send them (docs/sync-protocol.md)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from server.errors import PushStatus
from server.households.schemas import kk_field, nik_field, plausible_birth_date
from server.openapi.schemas import JsonBoolean
from server.sync.schemas import ClientReportSchema
from server.visits.form import HOUSE_CONDITION, HOUSE_NUMBERS, OUTCOMES, PHOTO_KINDS, VISIT_PRESENCE

MAX_ITEMS = 500
# One visit as the phone sends it is 1-3 kB (notes up to 4,000 characters, members, photo declarations);
# anything far beyond is not a visit. Checked on the item's JSON before it is validated.
MAX_ITEM_BYTES = 64 * 1024
UNKNOWN_FIELD = "Isian tidak dikenal / unknown field"


class StrictSchema(Schema):
    """Push items are the phones' contract: a field it does not name is refused (never stored silently)."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": UNKNOWN_FIELD}


SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="SHA-256 harus 64 heksadesimal / SHA-256 must be 64 hex digits")
DIGITS = validate.Regexp(r"^[0-9]{1,3}$")


class GpsSchema(StrictSchema):
    """A fix (lon, lat, accuracy, fix time) or an explicit "no fix" with the reason."""

    lon = fields.Float(validate=validate.Range(min=94.0, max=142.0))
    lat = fields.Float(validate=validate.Range(min=-11.5, max=6.5))
    accuracy_m = fields.Float(validate=validate.Range(min=0, max=100_000))
    fixed_at = fields.AwareDateTime(allow_none=True)
    no_fix = JsonBoolean()
    reason = fields.String(validate=validate.Length(max=200))

    @validates_schema
    def fix_or_reason(self, data: dict, **kwargs: Any) -> None:
        if data.get("no_fix"):
            if not data.get("reason"):
                raise ValidationError("Alasan wajib tanpa GPS / a reason is required without a fix", "reason")
            return
        missing = [name for name in ("lon", "lat", "accuracy_m") if data.get(name) is None]
        if missing:
            raise ValidationError(
                {name: ["Wajib bila ada GPS / required with a fix (or send no_fix)"] for name in missing}
            )


class MemberChangeSchema(StrictSchema):
    member_id = fields.UUID(allow_none=True, load_default=None)
    presence = fields.String(required=True, validate=validate.OneOf([p["code"] for p in VISIT_PRESENCE]))
    name = fields.String(validate=validate.Length(min=1, max=200))
    nik = fields.String(allow_none=True, validate=nik_field)
    sex = fields.Integer(validate=validate.OneOf([1, 2]))
    birth_date = fields.Date(allow_none=True, validate=plausible_birth_date)
    relationship_code = fields.Integer(validate=validate.Range(min=1, max=8))

    @validates_schema
    def new_or_known(self, data: dict, **kwargs: Any) -> None:
        if data["presence"] == "new":
            # Only the name is indispensable at the door; the reviewer completes what the family could not say.
            if not data.get("name"):
                raise ValidationError("Wajib untuk anggota baru / required for a new member", "name")
        elif data.get("member_id") is None:
            raise ValidationError("Wajib kecuali anggota baru / required unless presence is new", "member_id")


class CaptureLocationSchema(StrictSchema):
    """The phone's GPS fix when the photo was taken (the app's own record, beside the camera's EXIF)."""

    lon = fields.Float(required=True, validate=validate.Range(min=94.0, max=142.0))
    lat = fields.Float(required=True, validate=validate.Range(min=-11.5, max=6.5))
    accuracy_m = fields.Float(allow_none=True, load_default=None, validate=validate.Range(min=0, max=100_000))


class PhotoDeclarationSchema(StrictSchema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([k["code"] for k in PHOTO_KINDS]))
    sha256 = fields.String(required=True, validate=SHA256)
    captured_at = fields.AwareDateTime(allow_none=True, load_default=None)
    capture_location = fields.Nested(CaptureLocationSchema, allow_none=True, load_default=None)


class NewHouseholdSchema(StrictSchema):
    id = fields.UUID(required=True)
    head_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kk_number = fields.String(allow_none=True, validate=kk_field)
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    rt = fields.String(allow_none=True, validate=DIGITS)
    rw = fields.String(allow_none=True, validate=DIGITS)
    region_code = fields.String(required=True, validate=validate.Length(min=13, max=13))


class MovedToSchema(StrictSchema):
    """Where a household that moved went, as far as the neighbours could say (all optional)."""

    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    rt = fields.String(allow_none=True, validate=DIGITS)
    rw = fields.String(allow_none=True, validate=DIGITS)
    region_code = fields.String(allow_none=True, validate=validate.Length(min=13, max=13))
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


def _house_condition(value: dict) -> None:
    problems = {}
    for key, answer in value.items():
        if key in HOUSE_NUMBERS:
            low, high = HOUSE_NUMBERS[key]
            if not isinstance(answer, int | float) or isinstance(answer, bool) or not low <= answer <= high:
                problems[key] = [f"Angka {low:g}-{high:g} / a number from {low:g} to {high:g}"]
        elif key in HOUSE_CONDITION:
            if not isinstance(answer, str) or answer not in {choice["code"] for choice in HOUSE_CONDITION[key]}:
                problems[key] = ["Pilihan tidak dikenal / unknown choice"]
        else:
            problems[key] = ["Isian tidak dikenal / unknown field"]
    if problems:
        raise ValidationError(problems)


class VisitPushSchema(StrictSchema):
    id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    base_version = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    new_household = fields.Nested(NewHouseholdSchema, allow_none=True, load_default=None)
    supersedes_id = fields.UUID(allow_none=True, load_default=None)
    device_time = fields.AwareDateTime(required=True)
    gps = fields.Nested(GpsSchema, required=True)
    outcome = fields.String(required=True, validate=validate.OneOf([o["code"] for o in OUTCOMES]))
    consent = JsonBoolean(required=True)
    members = fields.List(fields.Nested(MemberChangeSchema), load_default=list, validate=validate.Length(max=60))
    house_condition = fields.Dict(keys=fields.String(), load_default=dict, validate=_house_condition)
    aid_reported = fields.List(
        fields.String(validate=validate.Length(max=32)), load_default=list, validate=validate.Length(max=40)
    )
    notes = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=4000))
    photos = fields.List(fields.Nested(PhotoDeclarationSchema), load_default=list, validate=validate.Length(max=20))
    # Optional additions (no load_default: an item without them hashes as it always did, so an outbox saved by
    # an older PWA replays as `duplicate`). The household this one duplicates or merged into; where it moved.
    duplicate_of = fields.UUID(allow_none=True)
    moved_to = fields.Nested(MovedToSchema, allow_none=True)

    @validates_schema
    def household_matches_proposal(self, data: dict, **kwargs: Any) -> None:
        proposal = data.get("new_household")
        if proposal and proposal["id"] != data["household_id"]:
            raise ValidationError("Harus sama dengan new_household.id / must equal new_household.id", "household_id")
        if not proposal and data.get("base_version") is None:
            raise ValidationError(
                "Wajib untuk rumah tangga terdaftar / required for a listed household", "base_version"
            )


class PushBatchSchema(Schema):
    # Each item is checked on its own: whatever it is (null and non-objects too), a bad one is reported in its
    # own result and the others are kept.
    items = fields.List(
        fields.Raw(allow_none=True, metadata={"description": "A visit (PushItem); a bad one gets `invalid`"}),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
    )
    sent_at = fields.AwareDateTime(
        allow_none=True, load_default=None, metadata={"description": "The phone's clock when sending (clock skew)"}
    )
    client = fields.Nested(
        ClientReportSchema,
        load_default=None,
        metadata={"description": "Optional: the app's version and what it still holds unsent (older apps omit it)"},
    )


class PushResultSchema(Schema):
    id = fields.String(allow_none=True, metadata={"description": "The item's id; null when the item had none usable"})
    status = fields.Enum(PushStatus, by_value=True)
    errors = fields.Dict()
    visit = fields.Dict()


class PushResultsSchema(Schema):
    results = fields.List(fields.Nested(PushResultSchema), metadata={"description": "In item order"})


class PushResponseSchema(Schema):
    data = fields.Nested(PushResultsSchema)
