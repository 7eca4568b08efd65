"""A new scheme by one data file (issue 15's done-when): the made-up edition (tests/data/made_up) goes through
its template, the checker, the store's decisions, the annual export, the 验收评分表 and the 通报 with no code
knowing it. Its gates, ★ items, 不评分 item, band and grades show wherever a score or a verdict does.
(tests/engine/test_made_up_edition_in_libreoffice.py runs the same workbooks through LibreOffice first.)"""
from __future__ import annotations

from decimal import Decimal

import pytest

from made_up_year import (ALL_MET, EDITION, GATE_FOUND_NOT_MET, MADE_UP_CITY, SKIPPED, STAR_ZERO, YEAR, run_year,
                          write_workbooks)
from shared.export import build_annual_export
from shared.notice import build_notice
from shared.report import build_acceptance_report
from shared.store import FAILED, PASSED, RETURNED, Store


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    base = tmp_path_factory.mktemp("made_up")
    paths = write_workbooks(base / "inbox")
    store = Store(f"sqlite:///{base / 'jyjg.db'}", data_dir=base / "data", city=MADE_UP_CITY)
    said = run_year(store, paths)
    yield store, said
    store.close()


def rows_of(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(values_only=True)]


def row_of(ws, name: str) -> dict:
    """The row of a unit in a sheet whose header is row 3, as {header: value}."""
    header = [str(h).split("\n")[0] if h else h for h in rows_of(ws)[2]]
    (row,) = [r for r in rows_of(ws)[3:] if name in r]
    return dict(zip(header, row))


def test_the_checker_scored_each_case_under_the_made_up_edition(year):
    _, said = year
    versions = said["versions"]
    assert {v.edition for v in versions.values()} == {EDITION.name}
    assert versions[ALL_MET].rescored_total == 105 and versions[ALL_MET].qualifies
    assert versions[SKIPPED].rescored_total == 70 and versions[SKIPPED].qualifies  # 70 of 80 that apply
    assert versions[STAR_ZERO].rescored_total == 85 and not versions[STAR_ZERO].qualifies
    assert "star_zero" in {f["code"] for f in versions[STAR_ZERO].findings}
    assert {v.unit_name: v.status for v in versions.values()} == {
        ALL_MET: PASSED, SKIPPED: PASSED, STAR_ZERO: RETURNED, GATE_FOUND_NOT_MET: FAILED}


def test_a_star_at_zero_cannot_pass_the_first_review_whatever_its_total(year):
    _, said = year
    message = said["review_refused"]
    assert "★ 项 2.3.1 得 0 分" in message and "不符合申报条件" in message and "★ 项均不得 0 分" in message


def test_a_gate_found_not_met_on_site_cannot_pass_and_the_draft_says_why(year):
    store, said = year
    card = said["gate_card"]
    assert card.total == 105 and not card.card.qualifies and card.card.gates_failed == ("1.1.2",)
    assert said["site_refused"].startswith("核定结果必须完成项 1.1.2 未达到，不能验收通过")
    opinion = said["rejected"].opinion
    assert opinion.startswith("核定总分 105 分，不符合通过条件：必须完成项 1.1.2 未达到。")
    assert "1.1.2 无违规使用公物（自评符合，核定不符合）：现场核查" in opinion  # the requirement found not met


def test_the_export_lists_grades_verdicts_and_items_as_the_edition_has_them(year):
    store, _ = year
    book = build_annual_export(store, YEAR)
    listing = book["名单"]
    assert "等级" in rows_of(listing)[2]
    assert row_of(listing, ALL_MET)["等级"] == "甲等" and row_of(listing, SKIPPED)["等级"] == "乙等"
    assert row_of(listing, GATE_FOUND_NOT_MET)["等级"] == ""
    scores = book["评分"]
    header = rows_of(scores)[2]
    assert "2.1\n★制度\n（20分）" in header and "1.1\n前提\n（必须完成）" in header and "4.1\n创新\n（附加5分）" in header
    met, skipped = row_of(scores, ALL_MET), row_of(scores, SKIPPED)
    assert met["重算结论"] == "符合通过条件（等级：甲等）" and met["核定结论"] == "符合通过条件（等级：甲等）"
    assert met["等级"] == "甲等" and skipped["等级"] == "乙等"
    assert met["1.1"] == "符合" and met["2.2"] == 20 and skipped["2.2"] == "不适用" and skipped["3.1"] == 40
    star = row_of(scores, STAR_ZERO)
    assert star["重算结论"] == "不符合通过条件：★ 项 2.3.1 得 0 分" and star["2.3"] == 0
    gate = row_of(scores, GATE_FOUND_NOT_MET)
    assert gate["重算结论"].startswith("符合") and gate["核定结论"] == "不符合通过条件：必须完成项 1.1.2 未达到"
    assert "按通过条件（必须完成项全部达到、能耗水平得分不低于 12 分" in rows_of(scores)[1][0]


def test_the_acceptance_report_shows_gates_stars_skipped_items_bands_and_the_grade(year):
    store, _ = year
    book = build_acceptance_report(store, SKIPPED, YEAR)
    texts = [str(v) for row in rows_of(book["验收评分表"]) for v in row if v is not None]
    assert "★制度\n（20分）" in texts and "前提\n（必须完成）" in texts and "创新\n（附加5分）" in texts
    assert texts.count("不适用") == 2 and "符合" in texts  # 2.2 claimed and verified; the gate item met
    assert any(t.startswith("★") and "核查方式：现场检查" in t for t in texts)  # ★ rule 2.3.1
    assert "单位填报缺 0 项，计 20 分。" in texts  # a deduction rule's count, not a score
    assert "核定结果符合通过条件（按适用项目折算 87.5 分，等级：乙等）" in texts
    assert any("通过条件：必须完成项全部达到、能耗水平得分不低于 12 分、得分达到 70 分（含）以上（有不评分项目的，按适用项目折算）"
               in t for t in texts)
    figures = [str(v) for row in rows_of(book["能耗数据核定"]) for v in row if v is not None]
    assert "3.1.1 单位建筑面积能耗与同类平均值（20 kgce/m²，测试用虚构数据）之比" in figures
    assert figures.count("0.75 倍") == 2 and "计 20 分（满分 20 分）" in figures
    assert any("人均综合能耗较上年" in t for t in figures) and not any("单位建筑面积能耗较上年" in t for t in figures)

    failed = [str(v) for row in rows_of(build_acceptance_report(store, GATE_FOUND_NOT_MET, YEAR)["验收评分表"])
              for v in row if v is not None]
    assert "不符合" in failed and "核定结果不符合通过条件：必须完成项 1.1.2 未达到" in failed


def test_the_notice_names_the_pass_rule_and_the_grades(year):
    store, _ = year
    text = "\n".join(p.text for p in build_notice(store, YEAR).paragraphs)
    assert "2家单位达到评价标准（必须完成项全部达到、能耗水平得分不低于 12 分" in text
    assert "其中评为“甲等”的1家：市委办公室。" in text and "其中评为“乙等”的1家：市政府办公室。" in text
    assert "丙等" not in text


def test_the_version_card_is_the_re_score_with_its_skipped_items(year):
    from shared.store import rescored_card
    store, said = year
    card = rescored_card(said["versions"][SKIPPED], EDITION)
    assert card.skipped == ("2.2",) and card.applicable == 80 and card.pass_score == Decimal("87.5")
    assert card.grade == "乙等" and card.total == said["versions"][SKIPPED].rescored_total
