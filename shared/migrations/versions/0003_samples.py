"""抽查 (方案 四（三）): the units the city draws from each 区县's passed units in a year.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "samples",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("district", sa.String(50), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", name="fk_samples_unit_id_units"), nullable=False),
        sa.Column("submission_id", sa.Integer,
                  sa.ForeignKey("submissions.id", name="fk_samples_submission_id_submissions"), nullable=True),
        sa.Column("seed", sa.String(100), nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.Column("drawn_by", sa.String(100), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("year", "unit_id", name="uq_samples_year"),
    )
    op.create_index("ix_samples_year", "samples", ["year"])


def downgrade() -> None:
    op.drop_index("ix_samples_year", table_name="samples")
    op.drop_table("samples")
