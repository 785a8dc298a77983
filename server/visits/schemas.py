"""Marshmallow schemas of visits as staff read them (the push format lives with the sync push)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from server.openapi.schemas import ListMetaSchema
from server.types import ReviewStatus


def utc_offset_minutes(moment: datetime) -> int | None:
    """The UTC offset of an aware datetime in whole minutes (None when naive or outside -12:00..+14:00)."""
    offset = moment.utcoffset()
    if offset is None:
        return None
    minutes = int(offset.total_seconds() // 60)
    return minutes if -720 <= minutes <= 840 else None


def device_local_time(moment: datetime | None, offset_min: int | None) -> str | None:
    """ISO 8601 text of `moment` at the phone's own UTC offset (UTC when the offset is unknown)."""
    if moment is None:
        return None
    return moment.astimezone(timezone(timedelta(minutes=offset_min or 0))).isoformat()


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


DEVICE_TIME = {
    "type": "string",
    "format": "date-time",
    "description": "The phone's clock reading, with the UTC offset the phone had (e.g. +08:00 in WITA)",
}


class DeviceTimeMixin:
    def dump_device_time(self, obj: Any) -> str | None:
        return device_local_time(_get(obj, "device_time"), _get(obj, "device_utc_offset_min"))


class VisitLocationSchema(Schema):
    lon = fields.Float()
    lat = fields.Float()
    accuracy_m = fields.Float(allow_none=True)


class VisitSchema(DeviceTimeMixin, Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    region_code = fields.String()
    campaign_id = fields.Integer(allow_none=True)
    enumerator_id = fields.Integer()
    device_id = fields.UUID(allow_none=True)
    supersedes_id = fields.UUID(allow_none=True)
    base_version = fields.Integer(allow_none=True)
    device_time = fields.Method("dump_device_time", metadata=DEVICE_TIME)
    received_at = fields.DateTime()
    clock_skew_s = fields.Float(allow_none=True)
    location = fields.Nested(VisitLocationSchema, allow_none=True)
    location_fixed_at = fields.DateTime(allow_none=True)
    no_fix_reason = fields.String(allow_none=True)
    outcome = fields.String()
    consent = fields.Boolean()
    answers = fields.Dict()
    notes = fields.String(allow_none=True)
    flags = fields.List(fields.Raw())
    review_status = fields.String()
    reviewed_by_id = fields.Integer(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_comment = fields.String(allow_none=True)


class VisitListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    review_status = fields.String(validate=validate.OneOf([status.value for status in ReviewStatus]))
    region = fields.String(metadata={"description": "Region code (kecamatan or kelurahan)"})
    household_id = fields.UUID()
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class VisitResponseSchema(Schema):
    data = fields.Nested(VisitSchema)


class VisitListResponseSchema(Schema):
    data = fields.List(fields.Nested(VisitSchema))
    meta = fields.Nested(ListMetaSchema)


class FlagSchema(Schema):
    code = fields.String()
    label_id = fields.String()
    label_en = fields.String()
    weight = fields.Integer(metadata={"description": "Default weight in the priority score"})
    threshold = fields.Float(allow_none=True, metadata={"description": "Default threshold, in `unit`"})
    unit = fields.String(allow_none=True)
    conflict = fields.Boolean(metadata={"description": "Makes the push answer accepted_with_conflict"})


class FlagListResponseSchema(Schema):
    data = fields.List(fields.Nested(FlagSchema))
