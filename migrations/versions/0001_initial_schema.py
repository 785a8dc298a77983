"""Initial schema: PostGIS and pg_trgm, every table, change stamping for sync, append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 17:51:03.849161

"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# Tables whose rows phones pull: every insert/update gets a fresh change_seq and the writing
# transaction's id, so sync can page by sequence yet never skip a transaction that commits late.
STAMPED_TABLES = ("households", "assignments", "sync_tombstones")


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "aid_programs",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "national",
                "province",
                "city",
                name="program_level",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column(
            "unit",
            sa.Enum("family", "person", name="program_unit", native_enum=False, create_constraint=True, length=8),
            nullable=False,
        ),
        sa.Column(
            "form",
            sa.Enum(
                "cash",
                "non_cash",
                "goods",
                "premium",
                name="program_form",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column(
            "period",
            sa.Enum(
                "monthly",
                "quarterly",
                "yearly",
                "one_off",
                name="program_period",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_until", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_programs")),
        sa.UniqueConstraint("code", name=op.f("uq_aid_programs_code")),
    )
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "provinsi",
                "kota",
                "kabupaten",
                "kecamatan",
                "kelurahan",
                "desa",
                name="region_level",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("parent_code", sa.String(length=13), nullable=True),
        sa.Column(
            "boundary",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "centroid",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(["parent_code"], ["regions.code"], name=op.f("fk_regions_parent_code_regions")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index("ix_regions_boundary", ["boundary"], unique=False, postgresql_using="gist")
        batch_op.create_index("ix_regions_centroid", ["centroid"], unique=False, postgresql_using="gist")
        batch_op.create_index("ix_regions_level", ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_regions_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "supervisor",
                "reviewer",
                "enumerator",
                "viewer",
                name="role",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=True),
        sa.Column("device_id", sa.UUID(), nullable=True),
        sa.Column("client_addr", postgresql.INET(), nullable=True),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_audit_log_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor_id_at", ["actor_id", "at"], unique=False)
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_log_object_type_object_id", ["object_type", "object_id"], unique=False)

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_campaigns_period_order")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_campaigns_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "data_imports",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_data_imports_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_imports")),
    )
    with op.batch_alter_table("data_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_imports_sha256"), ["sha256"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_devices_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_user_id"), ["user_id"], unique=False)

    op.create_table(
        "households",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("registry_id", sa.String(length=32), nullable=True),
        sa.Column("kk_number", sa.String(length=16), nullable=True),
        sa.Column("head_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("rt", sa.String(length=3), nullable=True),
        sa.Column("rw", sa.String(length=3), nullable=True),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("decile", sa.SmallInteger(), nullable=True),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("location_accuracy_m", sa.Float(), nullable=True),
        sa.Column(
            "registry_status",
            sa.Enum(
                "active",
                "moved",
                "deceased",
                "not_found",
                "duplicate",
                "merged",
                "proposed",
                "removed",
                name="registry_status",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column(
            "verification_status",
            sa.Enum(
                "unverified",
                "visited",
                "approved",
                "rejected",
                "revisit",
                name="verification_status",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum("registry", "field", name="household_source", native_enum=False, create_constraint=True, length=10),
            nullable=False,
        ),
        sa.Column("merged_into_id", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("change_xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kk_number ~ '^[0-9]{16}$'", name=op.f("ck_households_kk_number_digits")),
        sa.CheckConstraint("decile BETWEEN 1 AND 10", name=op.f("ck_households_decile_range")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["households.id"], name=op.f("fk_households_merged_into_id_households")
        ),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_households_region_code_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("registry_id", name=op.f("uq_households_registry_id")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index("ix_households_change_seq", ["change_seq"], unique=False)
        batch_op.create_index(
            "ix_households_head_name_trgm",
            ["head_name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"head_name": "gin_trgm_ops"},
        )
        batch_op.create_index(batch_op.f("ix_households_kk_number"), ["kk_number"], unique=False)
        batch_op.create_index("ix_households_location", ["location"], unique=False, postgresql_using="gist")
        batch_op.create_index("ix_households_region_code_rt_rw", ["region_code", "rt", "rw"], unique=False)
        batch_op.create_index("ix_households_registry_status", ["registry_status"], unique=False)

    op.create_table(
        "user_scopes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_user_scopes_region_code_regions")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_scopes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "region_code", name=op.f("pk_user_scopes")),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("enumerator_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("unassigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("change_xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["assigned_by_id"], ["users.id"], name=op.f("fk_assignments_assigned_by_id_users")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_assignments_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["enumerator_id"], ["users.id"], name=op.f("fk_assignments_enumerator_id_users")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_assignments_household_id_households"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_enumerator_id_change_seq", ["enumerator_id", "change_seq"], unique=False)
        batch_op.create_index("ix_assignments_household_id", ["household_id"], unique=False)
        batch_op.create_index(
            "uq_assignments_live_campaign_household",
            ["campaign_id", "household_id"],
            unique=True,
            postgresql_where=sa.text("unassigned_at IS NULL"),
        )

    op.create_table(
        "members",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("nik", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sex", sa.SmallInteger(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_place", sa.String(length=100), nullable=True),
        sa.Column("relationship_code", sa.SmallInteger(), nullable=False),
        sa.Column(
            "presence_status",
            sa.Enum(
                "present",
                "not_found",
                "moved",
                "deceased",
                "duplicate",
                "no_documents",
                "new",
                name="presence",
                native_enum=False,
                create_constraint=True,
                length=14,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("nik ~ '^[0-9]{16}$'", name=op.f("ck_members_nik_digits")),
        sa.CheckConstraint("relationship_code BETWEEN 1 AND 8", name=op.f("ck_members_relationship_code_range")),
        sa.CheckConstraint("sex IN (1, 2)", name=op.f("ck_members_sex_code")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_members_household_id_households"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_household_id"), ["household_id"], unique=False)
        batch_op.create_index(
            "ix_members_name_trgm",
            ["name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
        batch_op.create_index(batch_op.f("ix_members_nik"), ["nik"], unique=False)

    op.create_table(
        "refresh_tokens",
        sa.Column("jti", sa.UUID(), nullable=False),
        sa.Column("family_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_refresh_tokens_device_id_devices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_refresh_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_refresh_tokens")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_tokens_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refresh_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sync_tombstones",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "unassigned",
                "merged",
                "removed",
                name="tombstone_reason",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("merged_into_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("change_xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_sync_tombstones_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["households.id"], name=op.f("fk_sync_tombstones_merged_into_id_households")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sync_tombstones_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_tombstones")),
    )
    with op.batch_alter_table("sync_tombstones", schema=None) as batch_op:
        batch_op.create_index("ix_sync_tombstones_change_seq", ["change_seq"], unique=False)
        batch_op.create_index("ix_sync_tombstones_user_id", ["user_id"], unique=False)

    op.create_table(
        "visits",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("enumerator_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.UUID(), nullable=True),
        sa.Column("supersedes_id", sa.UUID(), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("clock_skew_s", sa.Float(), nullable=True),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("location_accuracy_m", sa.Float(), nullable=True),
        sa.Column("location_fixed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("no_fix_reason", sa.String(length=200), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "found",
                "not_found",
                "moved_within",
                "moved_outside",
                "deceased",
                "duplicate",
                "merged",
                "refused",
                "building_gone",
                name="outcome",
                native_enum=False,
                create_constraint=True,
                length=14,
            ),
            nullable=False,
        ),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "flags", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column(
            "review_status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "revisit",
                name="review_status",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(location IS NULL) = (location_accuracy_m IS NULL)", name=op.f("ck_visits_location_has_accuracy")
        ),
        sa.CheckConstraint("location IS NOT NULL OR no_fix_reason IS NOT NULL", name=op.f("ck_visits_fix_or_reason")),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_visits_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_visits_device_id_devices"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["enumerator_id"], ["users.id"], name=op.f("fk_visits_enumerator_id_users")),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_visits_household_id_households"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"], name=op.f("fk_visits_reviewed_by_id_users")),
        sa.ForeignKeyConstraint(["supersedes_id"], ["visits.id"], name=op.f("fk_visits_supersedes_id_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_enumerator_id_received_at", ["enumerator_id", "received_at"], unique=False)
        batch_op.create_index("ix_visits_household_id_device_time", ["household_id", "device_time"], unique=False)
        batch_op.create_index("ix_visits_location", ["location"], unique=False, postgresql_using="gist")
        batch_op.create_index("ix_visits_review_status_received_at", ["review_status", "received_at"], unique=False)
        batch_op.create_index("ix_visits_supersedes_id", ["supersedes_id"], unique=False)

    op.create_table(
        "aid_receipts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=True),
        sa.Column("member_id", sa.UUID(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "agency_list",
                "registry",
                "field_report",
                name="receipt_source",
                native_enum=False,
                create_constraint=True,
                length=14,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "listed",
                "disbursed",
                "not_received",
                "suspended",
                name="receipt_status",
                native_enum=False,
                create_constraint=True,
                length=14,
            ),
            nullable=False,
        ),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "household_id IS NOT NULL OR member_id IS NOT NULL", name=op.f("ck_aid_receipts_has_recipient")
        ),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_aid_receipts_period_order")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_aid_receipts_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["data_imports.id"], name=op.f("fk_aid_receipts_import_id_data_imports")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_aid_receipts_member_id_members"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["aid_programs.id"], name=op.f("fk_aid_receipts_program_id_aid_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_receipts")),
    )
    with op.batch_alter_table("aid_receipts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_aid_receipts_household_id_period_start", ["household_id", "period_start"], unique=False
        )
        batch_op.create_index("ix_aid_receipts_member_id", ["member_id"], unique=False)
        batch_op.create_index("ix_aid_receipts_program_id_period_start", ["program_id", "period_start"], unique=False)

    op.create_table(
        "photos",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("visit_id", sa.UUID(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "house_front",
                "living_room",
                "kitchen",
                "bathroom",
                "family_card",
                "other",
                name="photo_kind",
                native_enum=False,
                create_constraint=True,
                length=14,
            ),
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("media_type", sa.String(length=32), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("thumbnail_key", sa.String(length=200), nullable=True),
        sa.Column("exif_taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "exif_location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_photos_sha256_hex")),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_photos_visit_id_visits"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_photos_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "visit_reviews",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("visit_id", sa.UUID(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "approve",
                "reject",
                "revisit",
                name="review_decision",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_visit_reviews_reviewer_id_users")),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_reviews_visit_id_visits"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_reviews")),
    )
    with op.batch_alter_table("visit_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_reviews_visit_id"), ["visit_id"], unique=False)

    op.execute("CREATE SEQUENCE sync_change_seq")
    op.execute(
        """
        CREATE FUNCTION stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.change_seq := nextval('sync_change_seq');
          NEW.change_xid := pg_current_xact_id()::text::bigint;
          RETURN NEW;
        END $$
        """
    )
    for table in STAMPED_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_stamp_change BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION stamp_change()"
        )
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER trg_audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER trg_audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade():
    op.execute("DROP TRIGGER trg_audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER trg_audit_log_no_change ON audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    for table in STAMPED_TABLES:
        op.execute(f"DROP TRIGGER trg_{table}_stamp_change ON {table}")
    op.execute("DROP FUNCTION stamp_change()")
    op.execute("DROP SEQUENCE sync_change_seq")
    with op.batch_alter_table("visit_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_reviews_visit_id"))

    op.drop_table("visit_reviews")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_visit_id"))
        batch_op.drop_index(batch_op.f("ix_photos_sha256"))

    op.drop_table("photos")
    with op.batch_alter_table("aid_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_aid_receipts_program_id_period_start")
        batch_op.drop_index("ix_aid_receipts_member_id")
        batch_op.drop_index("ix_aid_receipts_household_id_period_start")

    op.drop_table("aid_receipts")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_supersedes_id")
        batch_op.drop_index("ix_visits_review_status_received_at")
        batch_op.drop_index("ix_visits_location", postgresql_using="gist")
        batch_op.drop_index("ix_visits_household_id_device_time")
        batch_op.drop_index("ix_visits_enumerator_id_received_at")

    op.drop_table("visits")
    with op.batch_alter_table("sync_tombstones", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_tombstones_user_id")
        batch_op.drop_index("ix_sync_tombstones_change_seq")

    op.drop_table("sync_tombstones")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_family_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_device_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_nik"))
        batch_op.drop_index("ix_members_name_trgm", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"})
        batch_op.drop_index(batch_op.f("ix_members_household_id"))

    op.drop_table("members")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("uq_assignments_live_campaign_household", postgresql_where=sa.text("unassigned_at IS NULL"))
        batch_op.drop_index("ix_assignments_household_id")
        batch_op.drop_index("ix_assignments_enumerator_id_change_seq")

    op.drop_table("assignments")
    op.drop_table("user_scopes")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index("ix_households_registry_status")
        batch_op.drop_index("ix_households_region_code_rt_rw")
        batch_op.drop_index("ix_households_location", postgresql_using="gist")
        batch_op.drop_index(batch_op.f("ix_households_kk_number"))
        batch_op.drop_index(
            "ix_households_head_name_trgm", postgresql_using="gin", postgresql_ops={"head_name": "gin_trgm_ops"}
        )
        batch_op.drop_index("ix_households_change_seq")

    op.drop_table("households")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_user_id"))

    op.drop_table("devices")
    with op.batch_alter_table("data_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_imports_sha256"))

    op.drop_table("data_imports")
    op.drop_table("campaigns")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_object_type_object_id")
        batch_op.drop_index("ix_audit_log_at")
        batch_op.drop_index("ix_audit_log_actor_id_at")

    op.drop_table("audit_log")
    op.drop_table("users")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regions_parent_code"))
        batch_op.drop_index("ix_regions_level")
        batch_op.drop_index("ix_regions_centroid", postgresql_using="gist")
        batch_op.drop_index("ix_regions_boundary", postgresql_using="gist")

    op.drop_table("regions")
    op.drop_table("aid_programs")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    op.execute("DROP EXTENSION IF EXISTS postgis")
