"""Review and the registry change history: registry_changes, review columns on visits (reason, version,
claim, priority), reason and origin of each review decision, and the `superseded` review status.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:30:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "approved", "rejected", "revisit")
OLD_DECISIONS = ("approve", "reject", "revisit")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade():
    op.create_table(
        "registry_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=False),
        sa.Column("member_id", sa.UUID(), nullable=True),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("new_value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "source_kind",
            sa.Enum(
                "import",
                "staff_edit",
                "review",
                "musyawarah",
                "merge",
                name="change_source",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "applied",
                "proposed",
                "accepted",
                "overturned",
                "reverted",
                name="change_state",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("household_version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_registry_changes_decided_by_id_users")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_registry_changes_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_registry_changes_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_changes")),
    )
    op.create_index("ix_registry_changes_household_id_id", "registry_changes", ["household_id", "id"])
    op.create_index("ix_registry_changes_source_kind_source_id", "registry_changes", ["source_kind", "source_id"])
    op.create_index(
        "ix_registry_changes_state_proposed",
        "registry_changes",
        ["household_id"],
        postgresql_where=sa.text("state = 'proposed'"),
    )

    op.add_column("visits", sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
    op.add_column("visits", sa.Column("review_reason_code", sa.String(length=40), nullable=True))
    op.add_column("visits", sa.Column("review_version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("visits", sa.Column("claimed_by_id", sa.Integer(), nullable=True))
    op.add_column("visits", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(op.f("fk_visits_claimed_by_id_users"), "visits", "users", ["claimed_by_id"], ["id"])
    op.create_index(
        "ix_visits_review_status_priority_received_at", "visits", ["review_status", "priority", "received_at"]
    )
    op.drop_constraint(op.f("ck_visits_review_status"), "visits", type_="check")
    op.create_check_constraint("review_status", "visits", _in("review_status", (*OLD_STATUSES, "superseded")))

    op.add_column("visit_reviews", sa.Column("reason_code", sa.String(length=40), nullable=True))
    op.add_column(
        "visit_reviews",
        sa.Column(
            "via",
            sa.Enum(
                "reviewer",
                "bulk",
                "policy",
                "system",
                name="review_via",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            server_default="reviewer",
            nullable=False,
        ),
    )
    op.alter_column("visit_reviews", "reviewer_id", existing_type=sa.Integer(), nullable=True)
    op.drop_constraint(op.f("ck_visit_reviews_review_decision"), "visit_reviews", type_="check")
    op.create_check_constraint("review_decision", "visit_reviews", _in("decision", (*OLD_DECISIONS, "supersede")))


def downgrade():
    op.execute("DELETE FROM visit_reviews WHERE decision = 'supersede' OR reviewer_id IS NULL")
    op.drop_constraint(op.f("ck_visit_reviews_review_decision"), "visit_reviews", type_="check")
    op.create_check_constraint("review_decision", "visit_reviews", _in("decision", OLD_DECISIONS))
    op.alter_column("visit_reviews", "reviewer_id", existing_type=sa.Integer(), nullable=False)
    op.drop_constraint(op.f("ck_visit_reviews_review_via"), "visit_reviews", type_="check")
    op.drop_column("visit_reviews", "via")
    op.drop_column("visit_reviews", "reason_code")

    op.execute("UPDATE visits SET review_status = 'pending' WHERE review_status = 'superseded'")
    op.drop_constraint(op.f("ck_visits_review_status"), "visits", type_="check")
    op.create_check_constraint("review_status", "visits", _in("review_status", OLD_STATUSES))
    op.drop_index("ix_visits_review_status_priority_received_at", table_name="visits")
    op.drop_constraint(op.f("fk_visits_claimed_by_id_users"), "visits", type_="foreignkey")
    op.drop_column("visits", "claimed_until")
    op.drop_column("visits", "claimed_by_id")
    op.drop_column("visits", "review_version")
    op.drop_column("visits", "review_reason_code")
    op.drop_column("visits", "priority")

    op.drop_index("ix_registry_changes_state_proposed", table_name="registry_changes")
    op.drop_index("ix_registry_changes_source_kind_source_id", table_name="registry_changes")
    op.drop_index("ix_registry_changes_household_id_id", table_name="registry_changes")
    op.drop_table("registry_changes")
