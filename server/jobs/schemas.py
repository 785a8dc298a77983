"""Marshmallow schemas of the job resource (responses are dumped through them: ISO 8601 times)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from server.jobs.models import JOB_STATES
from server.openapi.schemas import ErrorBodySchema, ListMetaSchema


class JobProgressSchema(Schema):
    phase = fields.String(
        allow_none=True,
        metadata={"description": "Current phase, e.g. reading, validating, staging, applying (imports); writing"},
    )
    done = fields.Integer(metadata={"description": "Units done in this phase (rows, households…)"})
    total = fields.Integer(allow_none=True, metadata={"description": "Units in this phase, when known"})


class JobActorSchema(Schema):
    id = fields.Integer(allow_none=True, metadata={"description": "None for jobs started by a `flask` command"})
    username = fields.String(allow_none=True)


class JobLinksSchema(Schema):
    self = fields.String()
    cancel = fields.String()


class JobSchema(Schema):
    id = fields.String(metadata={"format": "uuid"})
    kind = fields.String(metadata={"description": "import.registry, import.aid, export.households…"})
    title = fields.String(metadata={"description": "The kind in words (Bahasa Indonesia / English)"})
    state = fields.String(validate=validate.OneOf(JOB_STATES), metadata={"enum": list(JOB_STATES)})
    progress = fields.Nested(JobProgressSchema)
    result = fields.Dict(
        allow_none=True,
        metadata={"description": "When done: the kind's outcome with `links` (report, file download)"},
    )
    error = fields.Nested(
        ErrorBodySchema,
        allow_none=True,
        metadata={"description": "When failed or cancelled: why, in words (the error envelope's body)"},
    )
    created_by = fields.Nested(JobActorSchema)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    attempts = fields.Integer(metadata={"description": "Runs started (a job whose worker died is run again)"})
    max_attempts = fields.Integer()
    cancellable = fields.Boolean()
    cancel_requested = fields.Boolean()
    links = fields.Nested(JobLinksSchema)


class JobEnvelopeSchema(Schema):
    data = fields.Nested(JobSchema)


class JobListQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(validate=validate.OneOf(JOB_STATES))
    kind = fields.String()
    everyone = fields.Boolean(
        load_default=False, metadata={"description": "Admins: every user's jobs (default: only the caller's)"}
    )
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class JobListResponseSchema(Schema):
    data = fields.List(fields.Nested(JobSchema))
    meta = fields.Nested(ListMetaSchema)


class JobUploadSchema(Schema):
    id = fields.String(metadata={"format": "uuid"})
    offset = fields.Integer(metadata={"description": "Bytes received so far"})
    links = fields.Dict()


class JobUploadEnvelopeSchema(Schema):
    data = fields.Nested(JobUploadSchema)
