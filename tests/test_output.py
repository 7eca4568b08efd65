"""What `check` writes: a record with a finding added reads exactly as the record written again would."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shared.checks import SubmissionResult
from shared.findings import finding
from shared.output import record_text, rendered_line, with_finding


def parsed_and_written_again(record: bytes, found) -> bytes:
    """The plain way: parse the record, append the finding, write it again."""
    parsed = json.loads(record)
    parsed["findings"].append(found.as_contract())
    return record_text(parsed).encode("utf-8", errors="replace")


def record_of(result: SubmissionResult) -> bytes:
    _, _, line = rendered_line(result)
    return line.rstrip(b"\n").partition(b"\t")[2]


def results() -> list[SubmissionResult]:
    plain = SubmissionResult(source="市委办公室.zip", org_name="市委办公室", org_category="市直党政机关", assess_year=2020,
                             claimed_total=Decimal("82.5"), rescored_total=Decimal("80"), evidenced_total=Decimal(0),
                             qualifies=True, rules={"2.2.5": {"claimed": 4.5, "score": Decimal(4)},
                                                    "1.1.1": {"claimed": "满分", "score": Decimal(0)}})
    with_findings = SubmissionResult(source="a/“引号”\\b.xlsx", org_name="单位\ud800名", rules=plain.rules)
    with_findings.findings += [
        finding("field_missing", cell="备案表!C3", where="a.xlsx", label="单位名称"),
        finding("cap_exceeded", rule="2.2.5", item="2.2", cell="自评表!F23", where="a.xlsx", value="6", max="4",
                allowed="0、2、4 分"),
    ]
    unreadable = SubmissionResult(source="坏.xlsx")
    unreadable.findings.append(finding("unreadable", where="坏.xlsx", reason="文件已损坏或不完整"))
    return [plain, with_findings, unreadable]


@pytest.mark.parametrize("result", results(), ids=["no findings", "findings and a lone surrogate", "unreadable"])
def test_a_finding_added_to_a_record_reads_as_the_record_written_again(result):
    record = record_of(result)
    for found in (finding("duplicate_submission", where=result.source, other="单位00012.xlsx", org="市委办公室"),
                  finding("duplicate_submission/many", where=result.source, other="x\"y", org="z", count=12)):
        added = with_finding(record, found)
        assert added == parsed_and_written_again(record, found)
        assert json.loads(added)["findings"][-1] == found.as_contract()
        record = added


def test_text_in_another_shape_is_parsed_and_written_again():
    found = finding("duplicate_submission", where="a.xlsx", other="b.xlsx", org="市委办公室")
    record = b'{"findings": [], "source": "a.xlsx"}'
    assert with_finding(record, found) == parsed_and_written_again(record, found)
