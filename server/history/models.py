"""One row per change of one field of a household or member, from any source (import, staff edit, review,
musyawarah), with its state in the registry's lifecycle.

`applied` and `accepted` rows changed the registry; `proposed` rows wait for the musyawarah (`accepted` or
`overturned` then); `reverted` rows were applied once and undone later (the undoing is its own `applied`
row). `household_version` is the household's version right after the change took effect (None while
proposed), which is what lets `history.service.household_at_version` rebuild an older household.
Member creation is recorded as field `member` with the whole member as the new value.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import ChangeSource, ChangeState, code_enum, utcnow_default


class RegistryChange(db.Model):
    __tablename__ = "registry_changes"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    household_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("households.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(sa.String(40))
    old_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    source_kind: Mapped[ChangeSource] = mapped_column(code_enum(ChangeSource, "change_source", 12))
    source_id: Mapped[str | None] = mapped_column(sa.String(64))
    state: Mapped[ChangeState] = mapped_column(code_enum(ChangeState, "change_state", 12))
    household_version: Mapped[int | None] = mapped_column(sa.Integer)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=utcnow_default())

    __table_args__ = (
        sa.Index("ix_registry_changes_household_id_id", "household_id", "id"),
        sa.Index("ix_registry_changes_source_kind_source_id", "source_kind", "source_id"),
        sa.Index("ix_registry_changes_state_proposed", "household_id", postgresql_where=sa.text("state = 'proposed'")),
    )
