"""Accounts (issue 12): who may log in, with which role and district or unit; and each district's
年度备案 (its 创建总体情况 filed to the city), from which the city's 抽查 draws.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("district", sa.String(50), nullable=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", name="fk_accounts_unit_id_units"), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.UniqueConstraint("login", name="uq_accounts_login"),
    )
    op.create_table(
        "district_filings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("district", sa.String(50), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("filed_by", sa.String(100), nullable=False),
        sa.Column("filed_at", WHEN, nullable=False),
        sa.Column("units", sa.JSON, nullable=False),
    )
    op.create_index("ix_district_filings_year", "district_filings", ["year", "district"])


def downgrade() -> None:
    op.drop_index("ix_district_filings_year", table_name="district_filings")
    op.drop_table("district_filings")
    op.drop_table("accounts")
