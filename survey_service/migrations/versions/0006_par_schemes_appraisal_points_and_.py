"""PAR schemes, appraisal points and computations

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "par_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(length=64), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "definition", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("content_hash"),
    )
    with op.batch_alter_table("par_schemes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_par_schemes_scheme_id"), ["scheme_id"], unique=False)

    op.create_table(
        "appraisal_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("self_points", sa.Float(), nullable=True),
        sa.Column("evidence", sa.String(length=4000), nullable=False),
        sa.Column(
            "links", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("appraised_points", sa.Float(), nullable=True),
        sa.Column("reviewer_comment", sa.String(length=4000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "unit_id", "code"),
    )
    with op.batch_alter_table("appraisal_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_points_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "campaign_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("par_scheme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["par_scheme_id"], ["par_schemes.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "group"),
    )
    op.create_table(
        "par_computations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column(
            "schemes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("analysis_run_id", sa.Integer(), nullable=True),
        sa.Column("appraisal_checksum", sa.String(length=64), nullable=False),
        sa.Column(
            "results", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "components", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=254), nullable=True),
        sa.ForeignKeyConstraint(["analysis_run_id"], ["analysis_runs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("par_computations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_par_computations_campaign_id"), ["campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("par_computations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_par_computations_campaign_id"))

    op.drop_table("par_computations")
    op.drop_table("campaign_schemes")
    with op.batch_alter_table("appraisal_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_points_campaign_id"))

    op.drop_table("appraisal_points")
    with op.batch_alter_table("par_schemes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_par_schemes_scheme_id"))

    op.drop_table("par_schemes")
