"""Undo without losing anything (issue 13): 撤销决定 is a row of its own beside the decision it
revokes, and 撤回 marks a version recorded by mistake (who, when, why) instead of deleting it.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "decision_revocations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("decision_id", sa.Integer,
                  sa.ForeignKey("decisions.id", name="fk_decision_revocations_decision_id_decisions"), nullable=False),
        sa.Column("submission_id", sa.Integer,
                  sa.ForeignKey("submissions.id", name="fk_decision_revocations_submission_id_submissions"),
                  nullable=False),
        sa.Column("revoked_by", sa.String(100), nullable=False),
        sa.Column("revoked_at", WHEN, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.UniqueConstraint("decision_id", name="uq_decision_revocations_decision_id"),
    )
    op.create_index("ix_decision_revocations_submission_id", "decision_revocations", ["submission_id"])
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("withdrawn_at", WHEN, nullable=True))
        batch.add_column(sa.Column("withdrawn_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("withdraw_reason", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("withdraw_reason")
        batch.drop_column("withdrawn_by")
        batch.drop_column("withdrawn_at")
    op.drop_index("ix_decision_revocations_submission_id", table_name="decision_revocations")
    op.drop_table("decision_revocations")
