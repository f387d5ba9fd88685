"""The first schema: rounds, respondents, answers and a key-value table.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "briefgen_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("org_name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("org_id", "number", name="uq_rounds_org_number"),
    )
    op.create_index("ix_rounds_org_id", "rounds", ["org_id"])
    op.create_table(
        "respondents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("importance", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("round_id", "number", name="uq_respondents_round_number"),
    )
    op.create_index("ix_respondents_round_id", "respondents", ["round_id"])
    op.create_table(
        "answers",
        sa.Column("respondent_id", sa.Integer, sa.ForeignKey("respondents.id"),
                  primary_key=True),
        sa.Column("key", sa.String(96), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_index("ix_respondents_round_id", "respondents")
    op.drop_table("respondents")
    op.drop_index("ix_rounds_org_id", "rounds")
    op.drop_table("rounds")
    op.drop_table("briefgen_meta")
