"""Marshmallow schema of the health answer (public, no personal data)."""

from __future__ import annotations

from marshmallow import Schema, fields


class JobQueueSchema(Schema):
    worker_heartbeat_age_s = fields.Float(allow_none=True)
    workers_alive = fields.Integer()
    oldest_queued_age_s = fields.Float(allow_none=True)
    max_queue_age_s = fields.Integer()
    queued = fields.Integer()
    running = fields.Integer()
    inline = fields.Boolean()


class HealthSchema(Schema):
    status = fields.String(metadata={"example": "ok"})
    version = fields.String()
    database = fields.String()
    postgis = fields.String(allow_none=True)
    migration = fields.String(allow_none=True)
    migration_head = fields.String(allow_none=True)
    jobs = fields.Nested(JobQueueSchema, metadata={"description": 'Background job queue (README, "Background jobs")'})


class HealthResponseSchema(Schema):
    data = fields.Nested(HealthSchema)
