"""`jyjg demo` plays a whole year as the 评价小组 would (shared/demo_year.py), once however often it runs,
and every output it leaves shows that year."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from types import SimpleNamespace

import docx
import openpyxl
import pytest

from jyjg_runs import run_jyjg
from shared.demo_year import RECORDED_BY, review_verdict
from shared.store import (APPROVE, FAILED, PASSED, REJECT, RETURN, STAGE_REVIEW, STAGE_SITE, Store)
from shared.template import write_named_values, write_template


@pytest.fixture(scope="module")
def store(demo_run):
    with Store(demo_run.db) as opened:
        yield opened


def test_a_second_run_changes_nothing_in_the_store(demo_run):
    first, second = demo_run.stores
    assert first == second
    packages = len(list(demo_run.inbox.iterdir())) + len(list((demo_run.out / "补正材料").iterdir()))
    assert len(first["versions"]) == packages == 69
    superseded = sorted((v[1], v[3]) for v in first["versions"] if v[6] is not None)
    # only real resubmissions: the corrected packages (the renamed unit's is its first under the roster name),
    # and the 法院's bare workbook sent after its zip
    assert superseded == [("市中级人民法院", 1), ("市中级人民法院", 2), ("市委组织部", 1), ("市审计局", 1)]
    assert "未重复记入或决定" in demo_run.outputs[1][0]
    assert "69 份申报（新记入 69 份）" in demo_run.outputs[0][0]


def test_the_group_plays_every_step_of_the_year(store):
    versions = store.versions(year=2020)
    decisions = [d for v in versions for d in store.decisions(v.id)]
    made = Counter((d.stage, d.outcome) for d in decisions)
    assert made[(STAGE_REVIEW, APPROVE)] >= 40 and made[(STAGE_REVIEW, RETURN)] >= 10
    assert made[(STAGE_SITE, APPROVE)] >= 40 and made[(STAGE_SITE, REJECT)] == 2
    assert all(d.opinion for d in decisions)
    rejected = [d for d in decisions if d.outcome == REJECT]
    assert all("核定总分" in d.opinion and "整改" in d.opinion for d in rejected)
    assert all(v.status != "待初审" for v in versions if v.current)  # nothing left waiting at year's end

    cards = {v.id: store.verified_card(v.id) for v in versions if v.status in (PASSED, FAILED)}
    assert all(card.complete for card in cards.values())
    marked = [card for card in cards.values() if card.marked_down]
    assert len(marked) >= 4
    assert all(card.rules[r].reason for card in marked for r in card.marked_down if not card.rules[r].computed)
    corrected = [card for card in cards.values() if card.corrections]
    assert len(corrected) == 1 and set(corrected[0].corrections) == {"energy_tce"}
    assert corrected[0].rules["1.1.1"].claimed == 4 and corrected[0].rules["1.1.1"].score == 0

    resubmitted = [v for v in versions if (v.number or 0) >= 2 and v.status == PASSED]
    assert {v.unit_name for v in resubmitted} == {"市委组织部", "市审计局", "市中级人民法院"}
    passed = {s.unit.name for s in store.unit_states(2020) if s.state == PASSED}
    assert "市市场监督管理局" in passed  # sent again under its roster name after being returned for it
    assert [(e.district, e.version_id is not None) for e in store.sample(2020)] == [("赫山区", True)]
    assert {v.recorded_by for v in store.versions()} == {RECORDED_BY}


def test_the_export_notice_sample_and_report_show_the_year(demo_run, store):
    passed = [s for s in store.unit_states(2020) if s.state == PASSED]
    book = openpyxl.load_workbook(next(demo_run.out.glob("*汇总.xlsx")))
    listed = [[c.value for c in row] for row in book["名单"].iter_rows()]
    states = Counter(row[3] for row in listed)
    assert states[PASSED] == len(passed) and states[FAILED] == 2
    sampled = [c.value for row in book["抽查"].iter_rows() for c in row]
    assert store.sample(2020)[0].unit.name in sampled

    notice = "\n".join(p.text for p in docx.Document(next(demo_run.out.glob("*通报*.docx"))).paragraphs)
    assert f"经初审、实地验收和抽查，{len(passed)}家单位评价得分达到80分" in notice
    assert "另有2家单位实地验收未通过" in notice and "益阳市市场监督管理局机关" not in notice

    report = openpyxl.load_workbook(demo_run.out / "验收评分表（示例）.xlsx")["验收评分表"]
    text = " ".join(str(c.value) for row in report.iter_rows() for c in row if c.value is not None)
    assert "验收未通过" in text and "核定总分未达到 80 分" in text and "未核定" not in text

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(demo_run.folder)
        code, out, _ = run_jyjg(["sample", "--year", "2020"])
        assert code == 0 and "本次未抽取" not in out and store.sample(2020)[0].unit.name in out


def test_the_demo_says_where_its_outputs_went_and_what_to_run_next(demo_run):
    out, err = demo_run.outputs[0]
    assert "输出文件" in out and "下一步" in out
    for name in ("2020年度节约型机关创建汇总.xlsx", "2020年度节约型机关创建情况通报（草稿）.docx", "验收评分表（示例）.xlsx"):
        assert f"jyjg-demo/{name}" in out and (demo_run.out / name).is_file()
    for command in ("serve", "report --unit 市委办公室 --year 2020 --out 验收评分表.pdf", "sample --year 2020"):
        assert f"jyjg {command}" in out
    progress = [line for line in err.splitlines() if line.startswith("生成演示申报：")]
    assert len(progress) >= 5 and progress[-1].endswith("/" + progress[-1].split("/")[-1])
    done, total = progress[-1].split("：")[1].split("/")
    assert done == total


def test_the_demo_never_writes_into_a_store_with_real_submissions(tmp_path):
    db = f"sqlite:///{tmp_path / 'real.db'}"
    real = write_named_values(write_template(tmp_path / "t.xlsx"), tmp_path / "市商务局.xlsx",
                              {"org_name": "市商务局", "org_category": "市直党政机关", "assess_year": 2020})
    assert run_jyjg(["load", str(real), "--db", db])[0] == 0
    code, out, err = run_jyjg(["demo", "--db", db, "--out", str(tmp_path / "demo")])
    assert code == 1 and "1 份非演示的申报" in err and "--db" in err
    assert not (tmp_path / "demo").exists()
    with Store(db) as kept:
        assert [v.unit_name for v in kept.versions()] == ["市商务局"] and not kept.decisions(kept.versions()[0].id)


def _version(total, findings=()):
    return SimpleNamespace(rescored_total=None if total is None else Decimal(total), findings=list(findings))


@pytest.mark.parametrize("version, outcome, said", [
    (_version(None, [{"severity": "error", "code": "unreadable", "message": "x.xls：这是旧版 .xls 文件"}]), RETURN,
     "x.xls：这是旧版 .xls 文件\n请使用《自评表.xlsx》模板填写"),
    (_version("73.5"), RETURN, "自评分为 73.5 分，低于 80 分"),
    (_version("100", [{"severity": "error", "code": "cap_exceeded", "message": f"问题{i}"} for i in range(5)]),
     RETURN, "1. 问题0\n2. 问题1\n3. 问题2\n（另有 2 处问题"),
    (_version("90", [{"severity": "warning", "code": "not_on_roster", "message": "不在名单中"}]), RETURN, "不在名单中"),
    (_version("90", [{"severity": "warning", "code": "text_length", "message": "字数"}]), APPROVE, "同意进入实地验收"),
    (_version("96", [{"severity": "error", "code": "invalid_value", "message":
                      "市委政策研究室.zip › 自评表 E17（规则 3.1.2）：填报“满分”不是数值，按 0 分计。请从下拉列表中选择 0、2 分之一。"}]),
     RETURN, "请按以下问题补正后重新提交：\n1. 自评表 E17（规则 3.1.2）：填报“满分”不是数值，按 0 分计"),
])
def test_review_verdicts(version, outcome, said):
    got, opinion = review_verdict(version)
    assert got == outcome and said in opinion
    assert " › " not in opinion and "请从下拉列表" not in opinion  # what and where, briefly: the findings hold the rest
