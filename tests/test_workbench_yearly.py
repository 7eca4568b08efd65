"""workbench/yearly.py: the 历年能耗数据 HTML from shared/yearly.py's rows."""
from __future__ import annotations

import re

from shared.yearly import year_over_year
from workbench.yearly import render_indicator_chart, render_year_over_year

from test_yearly import Y2019, Y2020, Y2021


def rows():
    return year_over_year([(2019, 3, Y2019), (2020, 5, Y2020), (2021, 7, Y2021)])


def test_the_table_has_a_row_per_year_with_its_questions():
    html = render_year_over_year(rows())
    body = html[html.index("<tbody>"):]
    assert [int(y) for y in re.findall(r'<tr class="jyjg-year-row"><td><b>(\d{4})</b>', body)] == [2019, 2020, 2021]
    assert "用能人数较上年 +13%，变化超过 10%，请问明原因" in html
    assert "上年度用能人数填 220，而 2020 年度申报为 226，前后不一致" in html
    assert "下降 3.85%" in html and "目标下降 2.5%" in html


def test_a_missed_target_reads_as_a_miss_in_table_and_chart():
    missed = dict(Y2019, energy_tce=103.95)  # 104 -> 103.95: 0.05 % less, far from 2.5 %
    (row,) = year_over_year([(2019, 1, missed)])
    html = render_year_over_year([row])
    assert "未达标" in html and 'class="missed"' in html and "下降 0.05%" in html


def test_the_chart_is_svg_with_text_labels_for_every_year_and_value():
    svg = render_indicator_chart(rows(), "energy_per_capita")
    assert "<svg" in svg and 'role="img"' in svg
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"2018", "2019", "2020", "2021"} <= set(labels)
    assert "520" in labels and "500" in labels  # 2018 (2019's base) and 2019, kgce/人


def test_no_years_and_broken_figures_are_said_plainly():
    assert "还没有" in render_year_over_year([])
    (row,) = year_over_year([(2020, 1, dict(Y2020, headcount=None, base_headcount=None))])
    html = render_indicator_chart([row], "energy_per_capita")
    assert "无法作图" in html
