"""核定得分 (issue 8): the 评价小组's verified score per rule, corrected energy figures,
and what a 实地验收 decision was based on.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCORE = sa.String(40)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "verified_scores",
        sa.Column("submission_id", sa.Integer,
                  sa.ForeignKey("submissions.id", name="fk_verified_scores_submission_id_submissions"),
                  primary_key=True),
        sa.Column("rule_id", sa.String(10), primary_key=True),
        sa.Column("score", SCORE, nullable=False),
        sa.Column("evidence_seen", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_table(
        "figure_corrections",
        sa.Column("submission_id", sa.Integer,
                  sa.ForeignKey("submissions.id", name="fk_figure_corrections_submission_id_submissions"),
                  primary_key=True),
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", SCORE, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("verified_total", SCORE, nullable=True))
        batch.add_column(sa.Column("marked_down", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("marked_down")
        batch.drop_column("verified_total")
    op.drop_table("figure_corrections")
    op.drop_table("verified_scores")
