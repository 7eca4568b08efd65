"""Checks: small tables of named values in, the expected findings out (pyxform style)."""

from dataclasses import replace
from decimal import Decimal

import pytest

from shared.energy import ENERGY, Typical
from shared.checks import SubmissionResult, check_duplicates, check_roster, check_values, evidence_paths
from shared.findings import KINDS
from shared.rubric import RUBRIC
from shared.scoring import rescore


class Book:
    """Named values as a workbook would hold them, with made-up addresses."""

    def __init__(self, values):
        self.values = values

    def value(self, name):
        return self.values.get(name)

    def address(self, name):
        return f"自评表!F{len(name)}" if name in self.values else None


class Evidence:
    def __init__(self, status="ok", reason=""):
        self.status, self.reason = status, reason


def ok_evidence(path):
    return Evidence()


GOOD_FIGURES = dict(floor_area_m2=12000, headcount=300, energy_tce=95.5, water_t=7000,
                    base_floor_area_m2=12000, base_headcount=300, base_energy_tce=100.0, base_water_t=7400)


def complete(**changes):
    """A complete, clean 自评表 claiming full marks, with the saved cells Excel would compute."""
    values = {
        "org_name": "市委办公室", "org_category": "市直党政机关", "org_address": "益阳市赫山区",
        "contact_name": "张三", "contact_phone": "13800000000", "assess_year": 2020,
        "org_profile": "本单位" * 50, "achievements": "创建" * 350, **GOOD_FIGURES,
    }
    for rule in RUBRIC.rules:
        if not rule.computed:
            values[rule.score_name] = float(rule.points)
            values[rule.evidence_name] = f"{rule.id}/材料.pdf"
    values.update(changes)
    judged = rescore({r.id: values.get(r.score_name) for r in RUBRIC.rules}, values, 2020)
    for rule in RUBRIC.computed_rules:
        values.setdefault(rule.score_name, float(judged.card.rules[rule.id]))
    for item in RUBRIC.items:
        values.setdefault(item.score_name, float(judged.card.items[item.id]))
    values.setdefault("total_score", float(judged.total))
    values.setdefault("energy_per_capita", values["energy_tce"] * 1000 / values["headcount"]
                      if isinstance(values["energy_tce"], (int, float)) and values["headcount"] else None)
    return values


def check(values, evidence=ok_evidence, year=None):
    return check_values(Book(values), where="市委办公室.zip", year=year, evidence=evidence)


def codes(result):
    return sorted((f.kind, f.rule) for f in result.findings)


def test_a_complete_workbook_has_no_findings():
    result = check(complete())
    assert result.findings == []
    assert result.rescored_total == result.claimed_total == result.evidenced_total == 100
    assert result.qualifies and result.assess_year == 2020 and result.org_name == "市委办公室"


@pytest.mark.parametrize("name, value, kind", [
    ("score_2_2_5", 6, "cap_exceeded"),
    ("score_2_2_5", 2.5, "invalid_value/between"),
    ("score_2_2_5", -1, "invalid_value/negative"),
    ("score_2_2_5", "3", "invalid_value/number_as_text"),
    ("score_2_2_5", "满分", "invalid_value/text"),
    ("score_2_2_5", True, "invalid_value/text"),
])
def test_bad_claims(name, value, kind):
    result = check(complete(**{name: value}))
    assert (kind, "2.2.5") in codes(result)
    message = next(f.message for f in result.findings if f.kind == kind)
    assert message.startswith("市委办公室.zip › 自评表") and "规则 2.2.5" in message


def test_a_cap_message_names_the_cell_the_max_and_the_fix():
    result = check(complete(score_2_2_5=6))
    message = next(f.message for f in result.findings if f.code == "cap_exceeded")
    assert message == ("市委办公室.zip › 自评表 F11（规则 2.2.5）：填报 6 分，超过本规则最高 4 分，按 4 分计。"
                       "请改为 0、1、2、3、4 分之一。")


def test_blank_claim_is_not_a_finding_but_scores_zero():
    values = complete(score_3_1_1=None, evidence_3_1_1=None)
    result = check(values)
    assert result.rules["3.1.1"]["score"] == 0 and result.rescored_total == 98
    assert codes(result) == []


def test_saved_total_that_differs_is_an_error():
    (found,) = [f for f in check(complete(total_score=99)).findings if f.code == "total_mismatch"]
    assert found.severity == "error"


def test_a_total_with_no_saved_value_is_a_warning_and_the_rescore_stands():
    """CONTRACT: a workbook written by a program that does not calculate: total_mismatch, a warning,
    claimed_total null."""
    result = check(complete(total_score=None))
    (found,) = [f for f in result.findings if f.code == "total_mismatch"]
    assert found.severity == "warning" and found.kind == "total_mismatch/unsaved"
    assert "重新计算为 100 分" in found.message
    contract = result.as_contract()
    assert contract["claimed_total"] is None and contract["rescored_total"] == 100
    assert contract["findings"][0]["severity"] == "warning"


def test_a_total_saved_as_text_is_an_error():
    result = check(complete(total_score="#REF!"))
    (found,) = [f for f in result.findings if f.code == "total_mismatch"]
    assert found.severity == "error" and "“#REF!”" in found.message
    assert result.claimed_total is None


def test_item_cell_above_its_cap():
    assert ("cap_exceeded/item", None) in codes(check(complete(item_2_1=9)))


@pytest.mark.parametrize("field", ["org_name", "org_address", "contact_phone", "assess_year", "org_profile"])
def test_required_fields(field):
    assert ("field_missing", None) in codes(check(complete(**{field: "  "})))


def test_category_and_year_must_be_valid():
    assert ("field_missing/category", None) in codes(check(complete(org_category="市直单位")))
    assert ("field_missing/year", None) in codes(check(complete(assess_year="2020年")))


@pytest.mark.parametrize("name, text, flagged", [
    ("org_profile", "字" * 300, False), ("org_profile", "字" * 301, True),
    ("achievements", "字" * 600, False), ("achievements", "字" * 800, False),
    ("achievements", "字" * 599, True), ("achievements", "字" * 801, True),
])
def test_text_lengths(name, text, flagged):
    assert (("text_length", None) in codes(check(complete(**{name: text})))) == flagged


def test_energy_figures_missing_zero_negative_text():
    result = check(complete(headcount=0, base_water_t=None, floor_area_m2=-3, base_energy_tce="约100"))
    kinds = [f for f in result.findings if f.kind == "energy_data_invalid"]
    assert len(kinds) == 4
    headcount = next(f for f in kinds if "用能人数" in f.message)
    assert "1.1.1、1.1.2" in headcount.message and "填写为 0" in headcount.message


def test_a_saved_energy_score_that_the_figures_do_not_support():
    values = complete(score_1_1_1=4.0, energy_tce=99.0)  # only 1 % lower: misses 2.5 %
    result = check(values)
    assert ("energy_mismatch", "1.1.1") in codes(result)
    assert result.rules["1.1.1"]["score"] == 0


def test_derived_indicator_that_contradicts_the_totals():
    assert ("energy_data_invalid/derived", None) in codes(check(complete(energy_per_capita=400)))


def test_tce_entered_as_kgce_is_a_magnitude_warning():
    result = check(complete(energy_tce=95500, base_energy_tce=100000))
    found = [f for f in result.findings if f.kind == "energy_data_invalid/magnitude"]
    assert found and all(f.severity == "warning" for f in found)


def test_magnitude_levels_and_their_sources_are_configuration():
    result = check(complete(energy_tce=95500, base_energy_tce=100000))
    per_capita = next(f for f in result.findings if f.kind == "energy_data_invalid/magnitude" and "人均" in f.message)
    assert "2020 年全国公共机构人均综合能耗 329.56 kgce/人" in per_capita.message
    # A province whose agencies use far more: the same figures are within its range.
    levels = ENERGY.plausibility[2020]
    own = replace(levels, typical={**levels.typical, "energy_per_capita": Typical(Decimal("30000"), "本省平均")})
    province = replace(ENERGY, plausibility={2020: own})
    result = check_values(Book(complete(energy_tce=95500, base_energy_tce=100000)), where="x.xlsx", energy=province)
    assert not [f for f in result.findings if f.kind == "energy_data_invalid/magnitude" and "人均" in f.message]


@pytest.mark.parametrize("energy_tce, flagged", [
    ("300", False), ("300.0000001", True),  # typical 100 kgce/人 × 10 = 1000 kgce/人 for 300 people: the top
    ("3", False), ("2.9999999", True),  # 100 / 10 = 10 kgce/人: the bottom
])
def test_a_magnitude_is_flagged_only_beyond_its_bounds_exactly(energy_tce, flagged):
    levels = ENERGY.plausibility[2020]
    own = replace(levels, magnitude_factor=Decimal(10),
                  typical={**levels.typical, "energy_per_capita": Typical(Decimal(100), "本省平均")})
    values = complete(energy_tce=Decimal(energy_tce), base_energy_tce=Decimal(energy_tce), energy_per_capita=None,
                      base_energy_per_capita=None)
    result = check_values(Book(values), where="x.xlsx", energy=replace(ENERGY, plausibility={2020: own}))
    this_year = [f for f in result.findings if f.kind == "energy_data_invalid/magnitude"
                 and "（人均综合能耗）" in f.message]
    assert bool(this_year) == flagged


# --- 能耗折算: a unit that fills its bills -------------------------------------------------------------

# 800 000 kWh and 20 000 m³ of gas the year before, 780 000 kWh and 19 000 m³ now (GB/T 2589's 0.1229 and
# 1.2143): 122.606 tce and 118.9337 tce, 2.995 % less for the same 300 people in the same 12 000 m².
BILLS = dict(base_use_electricity_kwh=800000, base_use_natural_gas_m3=20000, use_electricity_kwh=780000,
             use_natural_gas_m3=19000)


def bills(**changes):
    """A workbook filled by carrier, with the totals Excel saves (binary floating point)."""
    saved = dict(energy_tce=118.93370000000002, use_total_tce=118.93370000000002, base_energy_tce=122.606,
                 base_use_total_tce=122.606)
    values = complete(**{**BILLS, **saved, **changes})
    values["energy_per_capita"] = 118.9337 * 1000 / 300
    return values


def test_a_unit_that_fills_only_its_bills_is_scored_from_them():
    result = check(bills())
    assert result.findings == []
    assert result.figures["energy_tce"] == Decimal("118.9337") and result.figures["base_energy_tce"] == Decimal("122.606")
    assert result.rules["1.1.1"]["score"] == 4 and result.rules["1.1.3"]["score"] == 3


def test_a_saved_total_that_disagrees_with_the_bills_is_an_error():
    result = check(bills(energy_tce=118.0))
    (found,) = [f for f in result.findings if f.kind == "energy_data_invalid/conversion"]
    assert found.code == "energy_data_invalid" and found.severity == "error"
    assert found.cell == "自评表!F10"  # energy_tce's made-up address
    assert "118" in found.message and "118.9337" in found.message
    assert result.rules["1.1.1"]["score"] == 4  # scored from the bills, not from the saved 118


def test_a_typed_total_beside_the_bills_must_agree_as_rounded():
    assert check(bills(energy_tce_typed=118.93)).findings == []  # the total, rounded as typed
    assert check(bills(base_energy_tce_typed=123)).findings == []
    result = check(bills(energy_tce_typed=95.5))
    (found,) = result.findings
    assert (found.kind, found.severity, found.cell) == ("energy_data_invalid/typed_total", "warning", "自评表!F16")
    assert "直接填写 95.5 tce" in found.message and "118.9337 tce" in found.message


@pytest.mark.parametrize("raw, problem", [("约1万", "“约1万”不是数值"), (-20, "填写为负数 -20"), (True, "“TRUE”不是数值")])
def test_a_bill_that_is_not_a_number_zeroes_the_energy_rules_and_names_its_cell(raw, problem):
    result = check(bills(use_diesel_l=raw, energy_tce=None, use_total_tce=None))
    found = [f for f in result.findings if f.code == "energy_data_invalid"]
    assert [(f.kind, f.cell) for f in found] == [("energy_data_invalid/carrier", "自评表!F12")]
    assert problem in found[0].message and "1.1.1、1.1.3" in found[0].message
    assert result.rules["1.1.1"]["score"] == 0 and result.rules["1.1.3"]["score"] == 0
    assert result.rules["1.1.2"]["score"] == 3  # water needs no energy


def test_bills_that_add_up_to_nothing():
    result = check(bills(base_use_electricity_kwh=0, base_use_natural_gas_m3=None, base_energy_tce=None,
                         base_use_total_tce=0))
    (found,) = [f for f in result.findings if f.kind == "energy_data_invalid/carrier"]
    assert "合计为 0" in found.message and found.cell == "自评表!F18"


def test_a_typed_total_that_is_text_is_reported_at_the_typed_cell():
    values = complete(energy_tce=None, energy_tce_typed="约95")
    (found,) = [f for f in check(values).findings if f.kind == "energy_data_invalid"]
    assert found.cell == "自评表!F16" and "“约95”不是数值" in found.message


def test_a_figure_that_triples_is_a_jump_warning():
    assert ("energy_data_invalid/jump", None) in codes(check(complete(floor_area_m2=36000)))


@pytest.mark.parametrize("floor_area, flagged", [("24000", False), ("24000.0000001", True),
                                                 ("6000", False), ("5999.9999999", True)])
def test_a_jump_is_flagged_only_beyond_double_or_half_exactly(floor_area, flagged):
    jumps = [f for f in check(complete(floor_area_m2=Decimal(floor_area))).findings
             if f.kind == "energy_data_invalid/jump"]
    assert bool(jumps) == flagged


def test_evidence_missing_not_found_unsafe_broken_and_the_backed_total():
    statuses = {"a.pdf": Evidence("not_found"), "../x.pdf": Evidence("unsafe", "含有 ..，指向包外"),
                "b.pdf": Evidence("broken", "无法作为 PDF 打开")}
    values = complete(evidence_2_1_1=None, evidence_2_1_2="a.pdf", evidence_2_2_1="../x.pdf",
                      evidence_2_2_2="ok.pdf\nb.pdf")
    result = check(values, evidence=lambda p: statuses.get(p, Evidence()))
    assert [k for k, r in codes(result) if r in ("2.1.1", "2.1.2", "2.2.1", "2.2.2")] == [
        "evidence_broken", "evidence_missing", "evidence_not_found", "evidence_unsafe"]
    assert result.evidenced_total == 100 - 4 - 4 - 4 - 2
    assert result.rescored_total == 100


def test_energy_rules_need_no_evidence():
    result = check(complete())
    assert all(result.rules[r.id]["evidenced"] for r in RUBRIC.computed_rules)


def test_without_a_package_every_named_file_is_not_found():
    result = check(complete(), evidence=None)
    assert sum(1 for f in result.findings if f.code == "evidence_not_found") == 33
    assert result.evidenced_total == 10


def test_evidence_paths_split_lines():
    assert evidence_paths("a.pdf\r\n 制度/b.pdf \n\n") == ["a.pdf", "制度/b.pdf"]
    assert evidence_paths(None) == [] and evidence_paths("   ") == []


def test_year_option_applies_only_when_the_workbook_has_none():
    assert check(complete(assess_year=None), year=2021).assess_year is None
    assert check(complete(), year=2021).assess_year == 2020


def test_duplicates_name_each_other():
    """Every submission of a unit sent more than once is flagged, the first too, each naming the others."""
    a, b, c, d = (SubmissionResult(source=s, org_name=n) for s, n in
                  (("a.zip", "市委办公室"), ("b.zip", "益阳市委办公室"), ("c.zip", "市商务局"), ("d.zip", "市委办公室")))
    check_duplicates([a, b, c, d])
    assert c.findings == []
    for result, others in ((a, ("b.zip", "d.zip")), (b, ("a.zip", "d.zip")), (d, ("a.zip", "b.zip"))):
        (found,) = result.findings
        assert found.code == "duplicate_submission" and found.message.startswith(f"{result.source}：")
        assert f"与“{others[0]}”“{others[1]}”是同一单位" in found.message


def test_a_unit_sent_many_times_keeps_a_bounded_memory_and_names_the_first_few():
    from shared.checks import DUPLICATES_NAMED, Duplicates

    duplicates = Duplicates()
    sources = [f"{i:03d}.xlsx" for i in range(DUPLICATES_NAMED * 10)]
    for source in sources:
        duplicates.see("市委办公室", source)
    duplicates.see("市商务局", "other.xlsx")
    (group,) = duplicates._groups.values()
    assert len(group.named) == DUPLICATES_NAMED + 1 and group.count == len(sources) and group.tagged == []
    first, late = duplicates.finding_for("市委办公室", sources[0]), duplicates.finding_for("市委办公室", sources[-1])
    assert first.code == late.code == "duplicate_submission" and first.kind == "duplicate_submission/many"
    assert f"等另外 {len(sources) - 1} 份申报" in first.message and sources[1] in first.message
    assert sources[0] in late.message and sources[-2] not in late.message
    assert duplicates.finding_for("市商务局", "other.xlsx") is None


def test_roster():
    inside = SubmissionResult(source="a", org_name="益阳市教育局", org_category="市直党政机关")
    outside = SubmissionResult(source="b", org_name="市某某局", org_category="市直党政机关")
    county = SubmissionResult(source="c", org_name="赫山区某局", org_category="区县（市）党政机关")
    for r in (inside, outside, county):
        check_roster(r)
    assert [len(r.findings) for r in (inside, outside, county)] == [0, 1, 0]
    assert "名单中有" not in outside.findings[0].message  # nothing on the roster is like 市某某局


@pytest.mark.parametrize("written, suggested", [
    ("益阳市市场监督管理局机关", "市市场监督管理局"),  # the roster's name plus a suffix
    ("中共益阳市委办公厅", "市委办公室"),  # one character off
    ("益阳市市场监管局", "市市场监督管理局"),  # the usual abbreviation
    ("益阳日报社", None),  # nothing on the roster is like it
])
def test_a_near_miss_suggests_the_roster_name(written, suggested):
    result = SubmissionResult(source="x.zip", org_name=written, org_category="市直党政机关")
    check_roster(result)
    finding, = result.findings
    assert finding.code == "not_on_roster"
    if suggested:
        assert finding.kind == "not_on_roster/near"
        assert f"名单中有“{suggested}”，如是本单位，请把单位名称改为“{suggested}”" in finding.message
    else:
        assert finding.kind == "not_on_roster" and "名单中有" not in finding.message


def test_hyperlink_formula_typed_as_a_name_stays_text():
    result = check(complete(org_name='=HYPERLINK("http://x","点我")'))
    assert result.org_name == '=HYPERLINK("http://x","点我")'
    assert result.as_contract()["org_name"].startswith("=HYPERLINK")


def test_contract_json_shape():
    doc = check(complete(score_2_2_5=6)).as_contract()
    assert set(doc) == {"source", "org_name", "org_category", "assess_year", "claimed_total", "rescored_total",
                        "evidenced_total", "qualifies", "rules", "findings"}
    assert len(doc["rules"]) == 36 and doc["rules"]["2.2.5"] == {"claimed": 6, "score": 4}
    assert set(doc["findings"][0]) == {"code", "severity", "rule", "item", "message"}


def test_every_kind_in_the_table_has_a_contract_code():
    contract = {"unreadable", "not_a_template", "package_unsafe", "field_missing", "text_length", "invalid_value",
                "cap_exceeded", "total_mismatch", "energy_data_invalid", "energy_mismatch", "evidence_missing",
                "evidence_not_found", "evidence_unsafe", "evidence_broken", "duplicate_submission", "not_on_roster"}
    # Issue 15's two outcomes of editions with gates and ★ items, for which CONTRACT.md has no code yet; they
    # never occur under an edition without gates or ★ (the 2020 附件1).
    beyond = {"gate_failed", "star_zero"}
    assert {k.code for k in KINDS.values()} == contract | beyond


# --- what a person reads never contradicts the verdict ---------------------------------------------

def energy_message(result, rule_id):
    return next(f.message for f in result.findings if f.code == "energy_mismatch" and f.rule == rule_id)


def test_a_shortfall_of_a_hair_is_shown_with_the_digits_that_explain_the_score():
    """Base 20 tce on 1000 m², this year 19.60000002 tce: a decline of 1.9999999 %, 10⁻⁹ short of 2 %."""
    result = check(complete(floor_area_m2=1000, base_floor_area_m2=1000, base_energy_tce=20.0,
                            energy_tce=19.60000002, score_1_1_3=3.0, headcount=30, base_headcount=30))
    message = energy_message(result, "1.1.3")
    assert "单位建筑面积能耗下降 1.9999999%（目标下降 2%），应得 0 分" in message
    assert "2.00%" not in message


def test_a_rise_reads_as_a_rise():
    result = check(complete(energy_tce=100.66, base_energy_tce=100.0, score_1_1_1=4.0))
    assert "人均综合能耗上升 0.66%（目标下降 2.5%）" in energy_message(result, "1.1.1")


def test_the_issues_real_figures_are_no_mismatch_any_more():
    """Saved by Excel as 3 points (ROUND(decline,10)>=target): the checker now agrees."""
    result = check(complete(floor_area_m2=38847, base_floor_area_m2=36755, energy_tce=1170.42,
                            base_energy_tce=1129.99, score_1_1_3=3.0))
    assert result.rules["1.1.3"]["score"] == 3
    assert not [f for f in result.findings if f.code in ("energy_mismatch", "total_mismatch")]


def test_no_message_uses_scientific_notation():
    """kgce entered as tce: 263 200 kgce/人 reads in full, never 2.632e+05."""
    result = check(complete(energy_tce=7896000, base_energy_tce=8000000, headcount=30, base_headcount=30,
                            score_2_2_5=1e-05, score_3_1_1=1e20))
    messages = " ".join(f.message for f in result.findings)
    assert "263200" in messages and "0.00001" in messages and "100000000000000000000" in messages
    import re
    assert not re.search(r"\d[eE][+-]?\d", messages), messages


@pytest.mark.parametrize("changes", [
    {"base_headcount": 1e-320},  # once an OverflowError: the whole submission was unreadable
    {"headcount": 1e-320, "base_headcount": 5e-324},
    {"energy_tce": 1e308, "base_energy_tce": 1e-300, "water_t": 1.7e308},
    {"floor_area_m2": 1e-320, "base_floor_area_m2": 1e300, "energy_per_area": 1e308},
    {"headcount": 1e300, "base_headcount": 1e-300, "energy_tce": 1e-300},
])
def test_scoring_is_total_for_any_number(changes):
    """Any well-formed figure gives scores, and where it is absurd a finding, never an exception."""
    result = check(complete(**changes))
    assert result.rescored_total is not None and result.qualifies in (True, False)
    assert {f.kind for f in result.findings} & {"energy_data_invalid/magnitude", "energy_data_invalid/jump",
                                                 "energy_data_invalid/derived", "energy_mismatch"}
    for f in result.findings:
        assert "inf" not in f.message and "nan" not in f.message.lower(), f.message


# --- findings of the other schemes' constructs (issue 15), on the made-up edition ------------------------

from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

from shared.rubric import load_city  # noqa: E402

MADE_UP_CITY = load_city(Path(__file__).resolve().parent / "data" / "made_up" / "city.toml")


def made_up_values(**changes):
    values = {"org_name": "市财政局", "org_category": "市直机关", "org_address": "某路 1 号", "contact_name": "李四",
              "contact_phone": "13900000000", "assess_year": 2020, "org_profile": "本单位" * 50,
              "achievements": "创建" * 350, "floor_area_m2": 1000, "headcount": 50, "energy_tce": 15, "water_t": 950,
              "base_floor_area_m2": 1000, "base_headcount": 50, "base_energy_tce": 16, "base_water_t": 1000,
              "score_1_1_2": 1, "score_2_1_1": 10, "score_2_1_2": 10, "score_2_2_1": 20, "count_2_3_1": 0,
              "score_4_1_1": 5, "rubric_edition": "made-up-2099"}
    for rule in MADE_UP_CITY.default_edition.rules:
        if not rule.computed:
            values[rule.evidence_name] = f"{rule.id}/材料.pdf"
    values.update(changes)
    return values


def check_made_up(city=MADE_UP_CITY, **changes):
    return check_values(Book(made_up_values(**changes)), "虚构.zip", evidence=ok_evidence, city=city)


def test_a_made_up_workbook_with_everything_met():
    result = check_made_up()
    assert result.edition == "made-up-2099" and result.rescored_total == 105 and result.qualifies
    assert [f for f in result.findings if f.code != "total_mismatch"] == []


def test_a_gate_not_met_is_a_gate_failed_warning():
    result = check_made_up(score_1_1_2=0)
    (found,) = [f for f in result.findings if f.code == "gate_failed"]
    assert found.severity == "warning" and found.rule == "1.1.2" and "“无违规使用公物”未达到" in found.message
    assert not result.qualifies and result.rescored_total == 105


def test_a_star_at_zero_is_a_star_zero_warning_for_the_item_or_the_rule():
    result = check_made_up(score_2_1_1=0, score_2_1_2=0, count_2_3_1=4)
    stars = {(f.item, f.rule) for f in result.findings if f.code == "star_zero"}
    assert stars == {("2.1", None), ("2.3", "2.3.1")} and not result.qualifies


def test_counts_and_skips_that_are_not_what_the_cell_takes():
    result = check_made_up(count_2_3_1=1.5, na_2_2="不用")
    kinds = {f.kind: f for f in result.findings}
    assert "按缺 2 项计，得 10 分" in kinds["invalid_value/count_between"].message
    assert "“不评分”栏填写为“不用”" in kinds["invalid_value/skip"].message
    assert result.rules["2.3.1"]["score"] == 10 and result.items["2.2"] == 20  # not skipped
    assert {f.kind for f in check_made_up(count_2_3_1="两项").findings} >= {"invalid_value/count_text"}
    assert {f.kind for f in check_made_up(count_2_3_1=-1).findings} >= {"invalid_value/count_negative"}
    skipped = check_made_up(na_2_2=" 不适用 ", score_2_2_1=None)
    assert skipped.items["2.2"] == 0 and skipped.qualifies and "evidence_missing" not in {f.code for f in skipped.findings}


def test_a_band_without_its_same_type_average_says_so():
    city = replace(MADE_UP_CITY, config=replace(MADE_UP_CITY.config, benchmarks={}))
    result = check_made_up(city=city)
    (found,) = [f for f in result.findings if f.kind == "energy_data_invalid/benchmark"]
    assert found.rule == "3.1.1" and "2020 年度市直机关的单位建筑面积能耗同类平均值没有配置" in found.message
    assert result.rules["3.1.1"]["score"] == 0


def test_a_saved_band_score_that_the_figures_do_not_support_is_explained():
    result = check_made_up(score_3_1_1=20, energy_tce=20)  # ratio 1: 12 points
    (found,) = [f for f in result.findings if f.code == "energy_mismatch"]
    assert "为同类平均值（20 kgce/m²，测试用虚构数据）的 1 倍，应得 12 分" in found.message
