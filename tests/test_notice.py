"""The draft 通报: title, 主送, progress against targets, the year's 节约型机关 by group, 落款 and date."""
from __future__ import annotations

import datetime

import docx
import pytest
from docx.oxml.ns import qn

from shared.notice import opening, requirements, write_notice
from shared.rubric import CITY
from year_fixtures import (AWAITING_SITE_2020, CITY_PASSED_2020, DISTRICTS, FAILED_2020, HYPERLINK, Year,
                           build_scenario)

ISSUED = datetime.date(2020, 12, 20)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    year = build_scenario(tmp_path_factory.mktemp("notice"))
    yield year
    year.close()


@pytest.fixture(scope="module")
def notice(scenario, tmp_path_factory):
    path = write_notice(scenario.store, 2020, tmp_path_factory.mktemp("n") / "通报.docx", ISSUED)
    return docx.Document(path)


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_title_recipients_and_closing(notice):
    lines = texts(notice)
    assert lines[0] == "关于2020年度节约型机关创建情况的通报"
    assert any(line.startswith("各区县（市）公共机构节能管理部门") and line.endswith("市直各机关单位：") for line in lines)
    # Signed as the roster (附件4) calls the agencies: 市发展和改革委员会, not 市发展改革委员会.
    assert lines[-4:] == ["益阳市机关事务管理局", "益阳市发展和改革委员会", "益阳市财政局", "2020年12月20日"]
    assert all(CITY.find_roster_unit(signer) is not None for signer in lines[-4:-1])
    passed = 11 + sum(k for _, k in DISTRICTS.values())
    assert any(f"{passed}家单位评价得分达到80分（含）以上" in line for line in lines)


def test_passed_units_named_by_group_in_annex4_order(notice):
    lines = texts(notice)
    assert "（一）市直单位（11家）" in lines and "（二）区县（市）单位（23家）" in lines
    assert "市委市政府大院办公单位：市委办公室、市委组织部、市委宣传部" in lines
    assert "市人大大院办公单位：市人大常委会机关" in lines
    assert "独立庭院单位：市教育局、市公安局、市财政局、市水利局、市交警支队、市强制隔离戒毒所" in lines
    assert "资阳区：资阳区第01机关、资阳区第02机关" in lines
    body = "\n".join(lines)
    for name in CITY_PASSED_2020:
        assert name in body
    for absent in (FAILED_2020, AWAITING_SITE_2020, HYPERLINK, "赫山区第22机关", "沅江市"):
        assert absent not in body.split("二、2020年度节约型机关名单")[1].split("三、工作要求")[0], absent


def test_progress_against_targets(notice):
    lines = texts(notice)
    assert "市直党政机关共76家，累计建成11家，建成率14.5%，2020年目标为30%以上，尚未完成年度目标。" in lines
    assert "区县（市）党政机关共33家，累计建成23家，建成率69.7%，2020年目标为20%以上，已完成年度目标。" in lines
    assert "全市共109家，累计建成34家，建成率31.2%。" in lines
    assert any(line.startswith("另有1家单位实地验收未通过") for line in lines)


def test_page_and_fonts_are_an_official_documents(notice):
    section = notice.sections[0]
    assert (section.page_width.mm, section.page_height.mm) == (pytest.approx(210, abs=0.1), pytest.approx(297, abs=0.1))
    title_run = notice.paragraphs[0].runs[0]
    assert title_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body_run = notice.paragraphs[4].runs[0]
    assert body_run._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and body_run.font.size.pt == 16


def test_a_year_with_no_passed_units_says_so(tmp_path):
    year = Year(tmp_path / "empty")
    try:
        lines = texts(docx.Document(write_notice(year.store, 2021, tmp_path / "n.docx", ISSUED)))
        assert "（2021年度暂无验收通过的单位。）" in lines
        assert "市直党政机关共76家，累计建成0家，建成率0%，2021年目标为50%以上，尚未完成年度目标。" in lines
        body = "\n".join(lines)
        assert "本年度暂无单位通过验收" in body
        for wrong in ("0家单位", "确定为2021年度节约型机关", "希望获评单位", "抽查"):  # none passed, none drawn
            assert wrong not in body, wrong
    finally:
        year.close()


def test_one_passed_unit_reads_as_one(tmp_path):
    year = Year(tmp_path / "one")
    try:
        year.passed("市委办公室", 2021)
        body = "\n".join(texts(docx.Document(write_notice(year.store, 2021, tmp_path / "n.docx", ISSUED))))
        assert "经初审和实地验收，1家单位评价得分达到80分（含）以上，确定为2021年度节约型机关" in body
        assert "（一）市直单位（1家）" in body and "暂无验收通过" not in body
        assert "希望获评单位珍惜荣誉" in body and "尚未建成的单位要对照评价指标补齐短板" in body
    finally:
        year.close()


@pytest.mark.parametrize("passed, not_built, praised, pushed", [
    (0, True, False, True), (1, True, True, True), (40, False, True, False), (0, False, False, False)])
def test_requirements_fit_the_count(passed, not_built, praised, pushed):
    text = requirements(passed, not_built)
    assert ("希望获评单位珍惜荣誉" in text) is praised
    assert ("尚未建成的单位" in text) is pushed
    assert text.endswith("。") and text.count("。") == 1


@pytest.mark.parametrize("passed, sampled, said", [
    (0, False, "经初审和实地验收，本年度暂无单位通过验收。"),
    (1, False, "经初审和实地验收，1家单位评价得分达到80分（含）以上，确定为2020年度节约型机关，现予以通报。"),
    (43, True, "经初审、实地验收和抽查，43家单位评价得分达到80分（含）以上，确定为2020年度节约型机关，现予以通报。")])
def test_opening_fits_the_count_and_the_checks_done(passed, sampled, said):
    assert said in opening(2020, passed, sampled)


def test_headings_stay_with_their_text(notice):
    headings = [p for p in notice.paragraphs if p.text.startswith(("一、", "二、", "三、", "（一）", "（二）"))]
    assert len(headings) >= 4 and all(p.paragraph_format.keep_with_next for p in headings)
    body = next(p for p in notice.paragraphs if p.text.startswith("希望获评单位"))
    assert not body.paragraph_format.keep_with_next
