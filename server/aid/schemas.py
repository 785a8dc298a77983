"""Marshmallow schemas of the aid API: programs (catalogue entries) and their create/update bodies."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from server.types import ProgramForm, ProgramLevel, ProgramPeriod, ProgramUnit

CODE = validate.Regexp(
    r"^[A-Z0-9][A-Z0-9_-]{1,31}$", error="Kode: huruf besar, angka, _ atau - / code: A-Z, 0-9, _ or -"
)


def _values(kind) -> list[str]:
    return [member.value for member in kind]


class ProgramSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"enum": _values(ProgramLevel)})
    unit = fields.String(metadata={"enum": _values(ProgramUnit)})
    form = fields.String(metadata={"enum": _values(ProgramForm)})
    category = fields.String(metadata={"description": "Same category + overlapping period = stacking"})
    period = fields.String(metadata={"enum": _values(ProgramPeriod)})
    active_from = fields.Date(allow_none=True)
    active_until = fields.Date(allow_none=True)
    description = fields.String(allow_none=True)
    active = fields.Method("dump_active", metadata={"type": "boolean", "description": "Active today"})

    def dump_active(self, program: Any) -> bool:
        today = date.today()
        return (program.active_from is None or program.active_from <= today) and (
            program.active_until is None or today <= program.active_until
        )


class ProgramUpdateSchema(Schema):
    """Fields to change; any other field is refused (422), as the document's additionalProperties says."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    level = fields.String(validate=validate.OneOf(_values(ProgramLevel)))
    unit = fields.String(validate=validate.OneOf(_values(ProgramUnit)))
    form = fields.String(validate=validate.OneOf(_values(ProgramForm)))
    category = fields.String(validate=validate.Regexp(r"^[a-z0-9_]{2,32}$"))
    period = fields.String(validate=validate.OneOf(_values(ProgramPeriod)))
    active_from = fields.Date(allow_none=True)
    active_until = fields.Date(allow_none=True)
    description = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def period_order(self, data: dict, **kwargs: Any) -> None:
        start, end = data.get("active_from"), data.get("active_until")
        if start and end and end < start:
            raise ValidationError("Harus sesudah active_from / must not be before active_from", "active_until")


class ProgramCreateSchema(ProgramUpdateSchema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    level = fields.String(required=True, validate=validate.OneOf(_values(ProgramLevel)))
    unit = fields.String(required=True, validate=validate.OneOf(_values(ProgramUnit)))
    form = fields.String(required=True, validate=validate.OneOf(_values(ProgramForm)))
    category = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{2,32}$"))
    period = fields.String(required=True, validate=validate.OneOf(_values(ProgramPeriod)))


class ProgramListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    active_on = fields.Date(metadata={"description": "Only programs active on this date"})


class ProgramListResponseSchema(Schema):
    data = fields.List(fields.Nested(ProgramSchema))


class ProgramResponseSchema(Schema):
    data = fields.Nested(ProgramSchema)
