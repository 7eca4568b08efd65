"""Rubric editions (issue 14): every version records the edition of 附件1 it was scored under, and is
always re-shown and re-tallied under it. Versions stored before editions existed were all scored under
the 2020 附件1, which is the edition named yiyang-2020.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FIRST_EDITION = "yiyang-2020"  # the only rubric there was before editions; a historical fact, not configuration


def upgrade() -> None:
    # A NOT NULL column with a default fills the rows there are, on SQLite without rebuilding the table
    # (which other tables' foreign keys would refuse). New rows always name their edition, so PostgreSQL,
    # which can, drops the default again.
    op.add_column("submissions", sa.Column("edition", sa.String(60), nullable=False, server_default=FIRST_EDITION))
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("submissions", "edition", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("edition")
