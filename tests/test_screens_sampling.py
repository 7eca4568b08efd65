"""抽查 (workbench/screens/sampling.py): the administrator sees which districts filed, draws only from
them, and sees the draw; the draw is audited under the administrator."""
from __future__ import annotations

import pytest

from shared.accounts import Accounts
from shared.scoped_store import ScopedStore
from shared.store import file_district
from year_fixtures import Year, district_units


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from workbench.app import Workbench

    year = Year(tmp_path_factory.mktemp("sampling-screen"))
    for district, count in (("赫山区", 4), ("资阳区", 2)):
        year.store.import_units(district_units(district, count), district)
        for name, _, _ in district_units(district, count):
            year.passed(name, county=True)
    file_district(year.store, "赫山区", 2020, by="赫山丙（heshan）")
    Accounts(year.store).add("admin", "管理员", name="局长甲")
    bench = Workbench(ScopedStore(year.store, "admin"))
    yield year, bench, bench.screen("sampling")
    year.close()


def test_filed_and_unfiled_districts_are_shown(world):
    _, _, screen = world
    table = screen.districts.value
    heshan = table.split("赫山区")[1].split("</tr>")[0]
    ziyang = table.split("资阳区")[1].split("</tr>")[0]
    assert "已备案" in heshan and "赫山丙（heshan）" in heshan
    assert "未备案（不参与抽查）" in ziyang
    assert "本年度尚未抽查" in screen.result.value


def test_the_draw_comes_from_filed_districts_only_and_is_audited(world):
    year, bench, screen = world
    screen.rate.value = "50%"
    screen.seed.value = "测试种子"
    screen.draw_button.click()
    assert "已从 1 个已备案的区县（市）抽取 2 家单位" in screen.message.value
    drawn = year.store.sample(2020)
    assert len(drawn) == 2 and {e.district for e in drawn} == {"赫山区"}
    result = screen.result.value
    assert all(e.unit.name in result for e in drawn) and "资阳区" not in result
    assert "随机种子“测试种子”" in result and "比例 50%" in result
    assert f"open:{drawn[0].version_id}" in result  # each drawn unit opens from here
    assert [a.actor for a in year.store.audit_log() if a.action == "sample_drawn"][-1] == "局长甲（admin）"
    again = bench.screen("sampling")
    again.draw_button.click()  # the same seed draws the same units
    assert [e.unit.name for e in year.store.sample(2020)] == [e.unit.name for e in drawn]


def test_a_wrong_rate_is_said_in_chinese(world):
    _, _, screen = world
    screen.rate.value = "很多"
    screen.draw_button.click()
    assert "抽查比例“很多”不是数值" in screen.message.value
