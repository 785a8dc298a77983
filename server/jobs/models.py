"""The job queue and its workers, kept in PostgreSQL (no other server).

A job row is inserted in the transaction of the request that asks for the work, so it exists only if that
request commits. Workers claim queued rows with `FOR UPDATE SKIP LOCKED`, renew a lease (`heartbeat_at`)
while they run them, and write the outcome in the same transaction as the work itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import utcnow_default

JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
FINAL_STATES = ("done", "failed", "cancelled")


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(sa.String(48))
    state: Mapped[str] = mapped_column(sa.String(10), default="queued", server_default="queued")
    # What the kind needs to run (file keys in the job store, options); never cell values of uploads.
    payload: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # The lease: a running job whose heartbeat is older than JOBS_LEASE_SECONDS lost its worker.
    heartbeat_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(sa.String(96))
    attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    phase: Mapped[str | None] = mapped_column(sa.String(24))
    progress_done: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    progress_total: Mapped[int | None] = mapped_column(sa.BigInteger)
    result: Mapped[dict | None] = mapped_column(JSONB)
    # {"code", "message", "details"}: the same envelope as an HTTP error, in words (Indonesian / English).
    error: Mapped[dict | None] = mapped_column(JSONB)

    __table_args__ = (
        sa.CheckConstraint(f"state IN {JOB_STATES!r}", name="state_value"),
        # The claim: oldest queued first, an index that holds only the waiting rows.
        sa.Index("ix_jobs_queued_created_at", "created_at", postgresql_where=sa.text("state = 'queued'")),
        sa.Index("ix_jobs_running_heartbeat_at", "heartbeat_at", postgresql_where=sa.text("state = 'running'")),
        sa.Index("ix_jobs_created_by_id_created_at", "created_by_id", "created_at"),
    )


class JobWorker(db.Model):
    """One running `flask jobs worker` process and its last sign of life (for /api/v1/health)."""

    __tablename__ = "job_workers"

    id: Mapped[str] = mapped_column(sa.String(96), primary_key=True)  # host:pid:random
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    heartbeat_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())
    current_job_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    jobs_done: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
