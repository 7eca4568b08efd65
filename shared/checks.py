"""Checks over one submission's named values and evidence; each check yields findings."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .findings import Finding, count_by_severity
from .scoring import plain_number


@dataclass
class SubmissionResult:
    """What checking one submission gives: the CONTRACT's JSON record plus what the store keeps."""

    source: str
    org_name: str | None = None
    org_category: str | None = None
    assess_year: int | None = None
    claimed_total: Decimal | None = None
    rescored_total: Decimal | None = None
    evidenced_total: Decimal | None = None
    qualifies: bool = False
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"claimed", "score", "evidenced"}
    items: dict[str, Decimal] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # every named value read, for the store
    cells: dict[str, str] = field(default_factory=dict)  # name -> 'Sheet!A1'
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # rule id -> [{path, status, reason}]
    workbook_name: str | None = None  # the workbook's path inside the package

    @property
    def counts(self) -> tuple[int, int]:
        return count_by_severity(self.findings)

    def as_contract(self) -> dict:
        return {
            "source": self.source,
            "org_name": self.org_name,
            "org_category": self.org_category,
            "assess_year": self.assess_year,
            "claimed_total": plain_number(self.claimed_total),
            "rescored_total": plain_number(self.rescored_total),
            "evidenced_total": plain_number(self.evidenced_total),
            "qualifies": self.qualifies,
            "rules": {
                rid: {"claimed": json_value(r["claimed"]), "score": plain_number(r["score"])}
                for rid, r in self.rules.items()
            },
            "findings": [f.as_contract() for f in self.findings],
        }


def json_value(raw: Any) -> Any:
    """A raw cell value as JSON: numbers stay numbers, everything else is its text."""
    if raw is None or isinstance(raw, (bool, int, float, str)):
        return raw
    if isinstance(raw, Decimal):
        return plain_number(raw)
    return str(raw)
