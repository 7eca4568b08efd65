"""shared/findings.py: every kind's message is what its str.format template says, however it is filled."""
from __future__ import annotations

import string
from datetime import datetime
from decimal import Decimal

import pytest

from shared.findings import KINDS, _percent_template, finding

# Values of each type a check passes as a field, including ones that look like format syntax.
SAMPLES = ["市委办公室.zip", "50%", "{where}", "%(where)s", "", Decimal("12.50"), 3, 2.5, None, True,
           datetime(2026, 12, 1, 9, 30)]


@pytest.mark.parametrize("key", sorted(KINDS))
def test_every_kind_fills_its_template_as_str_format_does(key):
    spec = KINDS[key]
    fields = [name for _, name, _, _ in string.Formatter().parse(spec.template) if name]
    for i, sample in enumerate(SAMPLES):
        values = {name: SAMPLES[(i + j) % len(SAMPLES)] for j, name in enumerate(fields)}
        values["where"] = sample
        made = finding(key, **{k: v for k, v in values.items() if k not in ("rule", "item", "cell")},
                       rule=values.get("rule"), item=values.get("item"))
        expected = spec.template.format_map({**values, "cell": "", "rule": values.get("rule"),
                                             "item": values.get("item")})
        assert made.message == expected


def test_a_cell_is_shown_as_the_sheet_names_it():
    made = finding("evidence_not_found", rule="2.2.5", item="2.2", cell="自评表!F23", where="a.zip", path="x.pdf")
    assert made.message.startswith("a.zip › 自评表 F23（规则 2.2.5）") and made.cell == "自评表!F23"


def test_a_template_with_more_than_plain_fields_is_refused():
    for template in ("{where:>5}", "{where!r}", "{0}", "{a.b}", "{{literal}}"):
        with pytest.raises(ValueError):
            _percent_template(template)
    assert _percent_template("{where}：100%") == "%(where)s：100%%"
