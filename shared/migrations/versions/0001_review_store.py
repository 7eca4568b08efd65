"""The review store: units, submitted versions, decisions, comments and the append-only audit log.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCORE = sa.String(40)  # exact decimals as text: SQLite has no exact numeric type
WHEN = sa.DateTime(timezone=True)

AUDIT_READ_ONLY = "审计日志只能追加，不能修改或删除"


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("district", sa.String(50), nullable=True),
        sa.Column("group_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("creation_year", sa.Integer, nullable=True),
        sa.Column("listed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("roster_order", sa.Integer, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.UniqueConstraint("name_key", name="uq_units_name_key"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", name="fk_submissions_unit_id_units"), nullable=True),
        sa.Column("assess_year", sa.Integer, nullable=True),
        sa.Column("number", sa.Integer, nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("stored_name", sa.String(200), nullable=False),
        sa.Column("original_name", sa.String(500), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("org_name", sa.Text, nullable=True),
        sa.Column("org_category", sa.Text, nullable=True),
        sa.Column("claimed_total", SCORE, nullable=True),
        sa.Column("rescored_total", SCORE, nullable=True),
        sa.Column("evidenced_total", SCORE, nullable=True),
        sa.Column("qualifies", sa.Boolean, nullable=False),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("warning_count", sa.Integer, nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("named_values", sa.JSON, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("superseded_by", sa.Integer,
                  sa.ForeignKey("submissions.id", name="fk_submissions_superseded_by_submissions"), nullable=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.UniqueConstraint("content_hash", name="uq_submissions_content_hash"),
        sa.UniqueConstraint("unit_id", "assess_year", "number", name="uq_submissions_unit_id"),
    )
    op.create_index("ix_submissions_unit_year", "submissions", ["unit_id", "assess_year"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer,
                  sa.ForeignKey("submissions.id", name="fk_decisions_submission_id_submissions"), nullable=False),
        sa.Column("stage", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("opinion", sa.Text, nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("decided_at", WHEN, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_index("ix_decisions_submission_id", "decisions", ["submission_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer,
                  sa.ForeignKey("submissions.id", name="fk_comments_submission_id_submissions"), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_comments_submission_id", "comments", ["submission_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id", name="fk_audit_log_unit_id_units"), nullable=True),
        sa.Column("submission_id", sa.Integer,
                  sa.ForeignKey("submissions.id", name="fk_audit_log_submission_id_submissions"), nullable=True),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("before", sa.JSON, nullable=True),
        sa.Column("after", sa.JSON, nullable=True),
    )
    op.create_index("ix_audit_log_submission_id", "audit_log", ["submission_id"])
    _make_audit_append_only()


def _make_audit_append_only() -> None:
    """The database itself refuses UPDATE and DELETE on audit_log, whatever program connects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{AUDIT_READ_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{AUDIT_READ_ONLY}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    for table in ("audit_log", "comments", "decisions", "submissions", "units"):
        op.drop_table(table)
