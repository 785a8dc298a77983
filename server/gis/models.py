"""The map's derived household facts (live programmes, stacking, last visit outcome), cached per kecamatan.

Computing the facts from receipts, members and visits costs about a second for a city; tiles and OGC pages
read them from here instead, refreshed one kecamatan at a time when its data version (server/gis/tiles.py)
differs from the one the rows were computed at. UNLOGGED: a crash empties both tables together, and the
next read recomputes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


class MapHouseholdFacts(db.Model):
    __tablename__ = "map_household_facts"
    __table_args__ = (sa.Index("ix_map_household_facts_kecamatan", "kecamatan"), {"prefixes": ["UNLOGGED"]})

    household_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kecamatan: Mapped[str] = mapped_column(sa.String(8))
    programmes: Mapped[list[str]] = mapped_column(ARRAY(sa.String(32)))
    stacking: Mapped[bool] = mapped_column(sa.Boolean)
    last_outcome: Mapped[str | None] = mapped_column(sa.String(14))


class MapFactVersion(db.Model):
    __tablename__ = "map_fact_versions"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    kecamatan: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(40))
    refreshed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.text("now()"))
