"""The engagement: respondents' roles, names and e-mail addresses, a comment per part of the
form, further links per respondent (a reminder's), and the log of every message sent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PARTS = ("importance", "capabilities", "effects", "impact")   # the form's parts, as in 0003


def upgrade() -> None:
    op.add_column("respondents", sa.Column("role", sa.String(40), nullable=True))
    op.add_column("respondents", sa.Column("name", sa.String(200), nullable=True))
    op.add_column("respondents", sa.Column("email", sa.String(254), nullable=True))
    for part in PARTS:
        op.add_column("respondents", sa.Column(f"comment_{part}", sa.Text, nullable=True))
    # One person once per round (NULL, no address, may repeat).
    op.create_index("ix_respondents_round_email", "respondents", ["round_id", "email"],
                    unique=True)
    op.create_table(
        "respondent_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("respondent_id", sa.Integer, sa.ForeignKey("respondents.id"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_respondent_links_respondent_id", "respondent_links", ["respondent_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("respondent_id", sa.Integer, sa.ForeignKey("respondents.id"),
                  nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=True),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("error", sa.String(300), nullable=True),
    )
    op.create_index("ix_messages_respondent_id", "messages", ["respondent_id"])


def downgrade() -> None:
    op.drop_index("ix_messages_respondent_id", "messages")
    op.drop_table("messages")
    op.drop_index("ix_respondent_links_respondent_id", "respondent_links")
    op.drop_table("respondent_links")
    op.drop_index("ix_respondents_round_email", "respondents")
    with op.batch_alter_table("respondents") as batch:
        for column in ("role", "name", "email", *(f"comment_{p}" for p in PARTS)):
            batch.drop_column(column)
