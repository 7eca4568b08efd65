"""年度备案 (workbench/screens/filing.py): a 区县审核员 sees its own district's 创建总体情况 and files it
once no unit awaits a decision; the administrator may file any district; filings are kept, never replaced."""
from __future__ import annotations

import pytest

from shared.accounts import Accounts
from shared.scoped_store import ScopedStore
from shared.store import APPROVE, PASSED, STAGE_SITE, district_filings
from year_fixtures import Year


@pytest.fixture
def world(tmp_path):
    year = Year(tmp_path)
    year.store.import_units([("赫山区财政局", 2020, ""), ("赫山区教育局", 2020, ""), ("赫山区水利局", 2020, "")], "赫山区")
    year.store.import_units([("资阳区财政局", 2020, "")], "资阳区")
    year.passed("赫山区财政局", county=True)
    waiting = year.awaiting_site("赫山区教育局")
    year.passed("资阳区财政局", county=True)
    accounts = Accounts(year.store)
    accounts.add("heshan", "区县审核员", district="赫山区", name="赫山丙")
    accounts.add("admin", "管理员", name="局长甲")
    yield year, waiting
    year.close()


def bench_for(year, login):
    from workbench.app import Workbench

    bench = Workbench(ScopedStore(year.store, login))
    return bench, bench.screen("filing")


def test_a_district_files_its_own_year_once_nothing_awaits_a_decision(world):
    year, waiting = world
    bench, screen = bench_for(year, "heshan")
    assert screen.district_pick.layout.display == "none"
    assert "赫山区 2020 年度创建总体情况" in screen.heading.value
    units = screen.units.value
    assert all(name in units for name in ("赫山区财政局", "赫山区教育局", "赫山区水利局")) and "资阳区" not in units
    assert "本年度尚未备案" in screen.status.value
    screen.file_button.click()
    assert "还有 1 家单位未完成评审：赫山区教育局（待验收）" in screen.message.value
    card = year.verify(waiting.id, year.store.version(waiting.id).revision)
    year.store.decide(waiting.id, STAGE_SITE, APPROVE, "", "王组长", card.revision)
    bench.reload()
    screen.file_button.click()
    assert "赫山区 2020 年度创建总体情况已备案：3 家单位，验收通过 2 家，未申报 1 家" in screen.message.value
    assert "由 赫山丙（heshan） 备案" in screen.status.value and "备案后没有变化" in screen.status.value
    assert screen.file_button.description.startswith("重新备案")
    filed = district_filings(year.store, 2020)["赫山区"]
    assert {u["unit"]: u["state"] for u in filed.units}["赫山区教育局"] == PASSED
    audit = [a for a in year.store.audit_log() if a.action == "district_filed"]
    assert [a.actor for a in audit] == ["赫山丙（heshan）"]


def test_a_change_after_filing_is_pointed_out_and_filing_again_keeps_the_first(world):
    year, waiting = world
    card = year.verify(waiting.id, year.store.version(waiting.id).revision)
    year.store.decide(waiting.id, STAGE_SITE, APPROVE, "", "王组长", card.revision)
    bench, screen = bench_for(year, "heshan")
    screen.file_button.click()
    year.submit("赫山区水利局", county=True)  # a unit submits after the filing
    bench.reload()
    assert "备案后单位的状态有了变化" in screen.status.value
    screen.file_button.click()
    assert "还有 1 家单位未完成评审：赫山区水利局（待初审）" in screen.message.value
    assert len([a for a in year.store.audit_log() if a.action == "district_filed"]) == 1


def test_the_administrator_picks_any_district(world):
    year, _ = world
    bench, screen = bench_for(year, "admin")
    assert set(screen.district_pick.options) == {"资阳区", "赫山区"}
    screen.district_pick.value = "资阳区"
    assert "资阳区 2020 年度创建总体情况" in screen.heading.value and "资阳区财政局" in screen.units.value
    screen.file_button.click()
    assert "资阳区 2020 年度创建总体情况已备案：1 家单位，验收通过 1 家" in screen.message.value
