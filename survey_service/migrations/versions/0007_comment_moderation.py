"""comment moderation

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_moderation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "item_id"),
    )
    with op.batch_alter_table("comment_moderation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_moderation_response_id"), ["response_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("comment_moderation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_moderation_response_id"))

    op.drop_table("comment_moderation")
