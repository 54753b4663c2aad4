"""sampling: frames, plans, sample units, invitations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frames",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contacts_purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_frames_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "frame_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frame_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "attributes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["frame_id"], ["frames.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("frame_id", "external_id"),
    )
    with op.batch_alter_table("frame_rows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_frame_rows_frame_id"), ["frame_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_frame_rows_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "sample_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("frame_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "strata_vars", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("moe", sa.Float(), nullable=True),
        sa.Column("total_n", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("allocation", sa.String(length=16), nullable=False),
        sa.Column(
            "stddev", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("cost", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("response_rate", sa.Float(), nullable=False),
        sa.Column("reserve_share", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["frame_id"], ["frames.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sample_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sample_plans_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sample_plans_frame_id"), ["frame_id"], unique=False)

    op.create_table(
        "frame_contacts",
        sa.Column("frame_row_id", sa.Integer(), nullable=False),
        sa.Column(
            "contact", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["frame_row_id"], ["frame_rows.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("frame_row_id"),
    )
    op.create_table(
        "sample_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("frame_row_id", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(length=200), nullable=False),
        sa.Column("inclusion_probability", sa.Float(), nullable=False),
        sa.Column("design_weight", sa.Float(), nullable=False),
        sa.Column("replicate", sa.Integer(), nullable=False),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["frame_row_id"], ["frame_rows.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["plan_id"], ["sample_plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "frame_row_id"),
    )
    with op.batch_alter_table("sample_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_units_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("sample_unit_id", sa.Integer(), nullable=True),
        sa.Column("stratum", sa.String(length=200), nullable=False),
        sa.Column("design_weight", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sample_unit_id"], ["sample_units.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitations_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_invitations_code"), ["code"], unique=True)
        batch_op.create_index(batch_op.f("ix_invitations_unit_id"), ["unit_id"], unique=False)

    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stratum", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("design_weight", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("design_weight")
        batch_op.drop_column("stratum")

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_unit_id"))
        batch_op.drop_index(batch_op.f("ix_invitations_code"))
        batch_op.drop_index(batch_op.f("ix_invitations_campaign_id"))

    op.drop_table("invitations")
    with op.batch_alter_table("sample_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_units_plan_id"))

    op.drop_table("sample_units")
    op.drop_table("frame_contacts")
    with op.batch_alter_table("sample_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_plans_frame_id"))
        batch_op.drop_index(batch_op.f("ix_sample_plans_campaign_id"))

    op.drop_table("sample_plans")
    with op.batch_alter_table("frame_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frame_rows_unit_id"))
        batch_op.drop_index(batch_op.f("ix_frame_rows_frame_id"))

    op.drop_table("frame_rows")
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frames_campaign_id"))

    op.drop_table("frames")
