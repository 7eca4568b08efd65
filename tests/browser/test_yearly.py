"""The 详情 screen's 历年能耗数据: a unit with two years in the store shows both as a table and as charts
whose text is real text. The 2019 submission is loaded by conftest.load_earlier_year."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import EARLIER_UNIT
from .helpers import SCREENSHOTS, STEP_MS, no_traceback, open_dashboard, open_unit, shot

pytestmark = pytest.mark.browser


def test_the_detail_shows_the_units_years_as_a_table_and_charts(dashboard, page):
    open_dashboard(page, dashboard.url)
    open_unit(page, EARLIER_UNIT)
    yearly = page.locator(".jyjg-yearly")
    expect(yearly).to_be_visible(timeout=STEP_MS)
    rows = yearly.locator(".jyjg-years tbody tr.jyjg-year-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("2019")
    asks = yearly.locator(".jyjg-years tbody tr.jyjg-asks-row")
    expect(asks).to_have_count(2)
    expect(asks.nth(0)).to_contain_text(re.compile(r"用能人数较上年 \+20(\.\d+)?%，变化超过 10%，请问明原因"))
    expect(rows.nth(1)).to_contain_text("2020")
    expect(asks.nth(1)).to_contain_text("2019 年度申报为")
    expect(asks.nth(1)).to_contain_text("前后不一致")
    table = yearly.locator(".jyjg-years").bounding_box()
    assert table["x"] + table["width"] <= page.viewport_size["width"]  # no column cut off at the right
    charts = yearly.locator(".jyjg-year-chart svg")
    expect(charts).to_have_count(3)
    labels = charts.first.locator("text").all_text_contents()
    assert {"2018", "2019", "2020"} <= set(labels)
    assert any(label.startswith(("下降", "上升")) for label in labels)
    box = charts.first.bounding_box()
    assert box["width"] >= 250 and box["height"] >= 140  # drawn at a readable size, not squeezed
    # The same warning is among the 2020 submission's findings, made when it was loaded.
    expect(page.locator(".jyjg-detail .jyjg-findings")).to_contain_text("同一年度的数据前后不一致")
    no_traceback(page)
    yearly.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(exist_ok=True)
    yearly.screenshot(path=str(SCREENSHOTS / "12_详情_历年能耗.png"))
    shot(page, "12_详情_历年能耗_整页")
