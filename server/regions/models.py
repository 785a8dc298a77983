"""Administrative regions (Kemendagri codes): province, city, kecamatan, kelurahan, with optional shapes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import RegionLevel, code_enum, point


class Region(db.Model):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    level: Mapped[RegionLevel] = mapped_column(code_enum(RegionLevel, "region_level", 12))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    boundary = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True)
    centroid = mapped_column(point(), nullable=True)
    # Where the boundary came from: "bundled: …" (the shipped public dataset, reloaded at start) or
    # "import: <file> sha256:…" (an official file loaded by `flask regions import-boundaries`, never overwritten).
    boundary_source: Mapped[str | None] = mapped_column(sa.String(300))
    boundary_updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index("ix_regions_boundary", "boundary", postgresql_using="gist"),
        sa.Index("ix_regions_centroid", "centroid", postgresql_using="gist"),
        sa.Index("ix_regions_level", "level"),
    )
