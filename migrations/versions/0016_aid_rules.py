"""Programme rules as data (exclusivity, same purpose, desil eligibility, standard amounts) with versions of
the rule set, seeded with DESIGN.md §2's facts; frozen analysis snapshots; the materialised findings of each analysed period (runs).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 09:20:00

"""

from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

KEPMENSOS_54 = (
    "Kepmensos 54/HUK/2020: BST dan BST-Sembako untuk keluarga yang tidak menerima PKH maupun Program Sembako "
    "/ BST and BST-Sembako were for families in neither PKH nor Sembako"
)
SK_PFM = (
    "SK Dirjen PFM 18/6/SK/HK.02.02/4/2020: BLT Dana Desa untuk keluarga bukan penerima PKH/BPNT dan tidak "
    "bersamaan dengan BST / BLT-DD for non-PKH, non-BPNT families, never together with BST"
)
KEPMENSOS_79 = "Kepmensos 79/HUK/2025: PKH untuk desil 1-4; Sembako, PBI-JK dan program lain untuk desil 1-5"
FOOD = (
    "Kebijakan kerja Dinas Sosial (bukan peraturan; sesuaikan): bantuan pangan provinsi/kota tidak ditumpuk "
    "dengan Program Sembako pada periode yang sama / working rule of the office, not a regulation"
)
CHECK = " (nilai standar untuk perkiraan; periksa dengan petunjuk teknis berlaku / standard value for estimates)"

SEED = [
    # kind, programs, label, desil_max, amount, amount_per, valid_from, valid_until, legal_basis
    ("exclusive", ["BST-COVID", "PKH"], None, None, None, None, "2020-04-01", "2021-12-31", KEPMENSOS_54),
    ("exclusive", ["BST-COVID", "BPNT"], None, None, None, None, "2020-04-01", "2021-12-31", KEPMENSOS_54),
    ("exclusive", ["BLT-DD", "PKH"], None, None, None, None, "2020-04-01", None, SK_PFM),
    ("exclusive", ["BLT-DD", "BPNT"], None, None, None, None, "2020-04-01", None, SK_PFM),
    ("exclusive", ["BLT-DD", "BST-COVID"], None, None, None, None, "2020-04-01", "2021-12-31", SK_PFM),
    ("same_purpose", ["BPNT", "SMD-SSN"], "Bantuan pangan / food aid", None, None, None, "2022-01-01", None, FOOD),
    ("eligibility", ["PKH"], None, 4, None, None, "2025-01-01", None, KEPMENSOS_79),
    ("eligibility", ["BPNT"], None, 5, None, None, "2025-01-01", None, KEPMENSOS_79),
    ("eligibility", ["PBI-JK"], None, 5, None, None, "2025-01-01", None, KEPMENSOS_79),
    ("eligibility", ["PIP"], None, 5, None, None, "2025-01-01", None, KEPMENSOS_79),
    ("standard_amount", ["BST-COVID"], None, None, 600000, "month", "2020-04-01", "2020-06-30", KEPMENSOS_54),
    ("standard_amount", ["BST-COVID"], None, None, 300000, "month", "2020-07-01", "2021-12-31", KEPMENSOS_54),
    ("standard_amount", ["BPNT"], None, None, 200000, "month", "2020-03-01", None, "Program Sembako" + CHECK),
    ("standard_amount", ["PBI-JK"], None, None, 42000, "month", "2020-07-01", None, "Perpres 64/2020" + CHECK),
    ("standard_amount", ["PIP"], None, None, 450000, "year", "2020-01-01", None, "PIP jenjang SD" + CHECK),
    ("standard_amount", ["BLT-BBM-2022"], None, None, 600000, "once", "2022-09-01", "2022-12-31", "BLT BBM" + CHECK),
    (
        "standard_amount",
        ["BLT-ELNINO-2023"],
        None,
        None,
        400000,
        "once",
        "2023-11-01",
        "2023-12-31",
        "BLT El Niño" + CHECK,
    ),
]


def upgrade():
    rules = op.create_table(
        "aid_rules",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("programs", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("desil_max", sa.SmallInteger(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("amount_per", sa.String(length=8), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('exclusive', 'same_purpose', 'eligibility', 'standard_amount')",
            name=op.f("ck_aid_rules_kind_value"),
        ),
        sa.CheckConstraint(
            "(kind = 'exclusive' AND cardinality(programs) = 2)"
            " OR (kind = 'same_purpose' AND cardinality(programs) >= 2)"
            " OR (kind IN ('eligibility', 'standard_amount') AND cardinality(programs) = 1)",
            name=op.f("ck_aid_rules_programs_count"),
        ),
        sa.CheckConstraint(
            "kind <> 'eligibility' OR desil_max BETWEEN 1 AND 10", name=op.f("ck_aid_rules_eligibility_desil")
        ),
        sa.CheckConstraint(
            "kind <> 'standard_amount' OR (amount >= 0 AND amount_per IN ('month', 'quarter', 'year', 'once'))",
            name=op.f("ck_aid_rules_standard_amount_value"),
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from",
            name=op.f("ck_aid_rules_valid_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_rules")),
    )
    op.create_table(
        "aid_rule_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_aid_rule_versions_actor_id_users")),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_aid_rule_versions")),
    )
    op.create_table(
        "analytics_snapshots",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=13), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_analytics_snapshots_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_version"],
            ["aid_rule_versions.version"],
            name=op.f("fk_analytics_snapshots_rule_set_version_aid_rule_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_snapshots")),
    )
    op.create_table(
        "analytics_runs",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("rule_set_version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("compute_ms", sa.Integer(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_runs")),
        sa.UniqueConstraint("period_start", "period_end", name="uq_analytics_runs_period"),
    )
    op.create_table(
        "analytics_findings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("programs", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("household_id", sa.UUID(), nullable=True),
        sa.Column("region_code", sa.String(length=13), nullable=True),
        sa.Column("rt", sa.String(length=3), nullable=True),
        sa.Column("rw", sa.String(length=3), nullable=True),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.Column("rupiah", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("unknown_amount", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analytics_runs.id"],
            name=op.f("fk_analytics_findings_run_id_analytics_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_findings")),
    )
    op.create_index(
        "ix_analytics_findings_run_id_kind_region_code", "analytics_findings", ["run_id", "kind", "region_code"]
    )
    op.create_index("ix_analytics_findings_run_id_region_code", "analytics_findings", ["run_id", "region_code"])
    op.bulk_insert(
        rules,
        [
            {
                "kind": kind,
                "programs": programs,
                "label": label,
                "desil_max": desil_max,
                "amount": amount,
                "amount_per": amount_per,
                "valid_from": _date(valid_from),
                "valid_until": _date(valid_until),
                "legal_basis": basis,
            }
            for kind, programs, label, desil_max, amount, amount_per, valid_from, valid_until, basis in SEED
        ],
    )
    op.execute(
        """
        INSERT INTO aid_rule_versions (version, summary, rules)
        SELECT 1, 'Seed: DESIGN.md §2', coalesce(jsonb_agg(to_jsonb(r) - 'created_at' - 'updated_at' ORDER BY r.id),
                                              '[]'::jsonb)
          FROM aid_rules r
        """
    )


def _date(text):
    return None if text is None else date.fromisoformat(text)


def downgrade():
    op.drop_table("analytics_findings")
    op.drop_table("analytics_runs")
    op.drop_table("analytics_snapshots")
    op.drop_table("aid_rule_versions")
    op.drop_table("aid_rules")
