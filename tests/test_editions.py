"""Rubric editions over the years (issue 14): a revised 附件1 for a later year never rewrites a past year.

One unit's 2020 workbook is scored, verified, passed and exported under the 2020 edition; then the city
adds a revised 2021 edition (rule 2.2.5 now in steps of 2, a pass mark of 85) and a line in targets.toml.
The 2020 result — claimed, re-scored, verified, the export and the 验收评分表 — is unchanged, while 2021's
workbooks are scored under the new edition, and one filled on the old template is told so.
"""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from shared.batch import check_paths, load_paths
from shared.demo import saved_formula_values, stamp_cached_values
from shared.export import build_annual_export
from shared.report import build_acceptance_report
from shared.rubric import DATA_DIR, City, load_city
from shared.store import APPROVE, STAGE_REVIEW, STAGE_SITE, Store
from shared.template import write_named_values, write_template

UNIT = "市委办公室"
FIGURES = dict(floor_area_m2=12000, headcount=300, energy_tce=95.5, water_t=7000, base_floor_area_m2=12000,
               base_headcount=300, base_energy_tce=100.0, base_water_t=7400)
DROPPED = ("5.1.1", "5.1.3", "5.2.1", "3.2.1")  # 13 points not claimed: 87 before 2.2.5


def city_with(folder: Path, revised: bool) -> City:
    """A copy of the shipped city data; with `revised`, the 2021 edition installed and configured."""
    shutil.copytree(DATA_DIR / "editions", folder / "editions")
    for name in ("city.toml", "roster.toml", "targets.toml"):
        shutil.copy(DATA_DIR / name, folder / name)
    if revised:
        text = (folder / "editions" / "yiyang-2020.toml").read_text(encoding="utf-8")
        for old, new in (('name = "yiyang-2020"', 'name = "yiyang-2021"'), ('issued = "2020"', 'issued = "2021"'),
                         ('qualify_at = "80"', 'qualify_at = "85"'),
                         ('allowed = ["0", "1", "2", "3", "4"]', 'allowed = ["0", "2", "4"]')):
            assert old in text
            text = text.replace(old, new, 1)
        (folder / "editions" / "yiyang-2021.toml").write_text(text, encoding="utf-8")
        targets = folder / "targets.toml"
        targets.write_text(targets.read_text(encoding="utf-8").replace(
            '2020 = "yiyang-2020"', '2020 = "yiyang-2020"\n2021 = "yiyang-2021"'), encoding="utf-8")
    return load_city(folder / "city.toml")


def workbook(city: City, edition: str, year: int, path: Path) -> Path:
    """A filled 自评表 on an edition's template, with the values a calculating engine saves."""
    rubric = city.edition(edition)
    template = write_template(path.with_name(f"template-{edition}.xlsx"), edition, city)
    values = {"org_name": UNIT, "org_category": "市直党政机关", "org_address": "地址", "contact_name": "张三",
              "contact_phone": "13800000000", "assess_year": year, "org_profile": "本单位" * 50,
              "achievements": "创建" * 350, **FIGURES}
    for rule in rubric.rules:
        if not rule.computed:
            values[rule.score_name] = 0 if rule.id in DROPPED else (3 if rule.id == "2.2.5" else float(rule.points))
    write_named_values(template, path, values)
    path.write_bytes(stamp_cached_values(path.read_bytes(), saved_formula_values(values, rubric, city.config)))
    return path


def sheet_values(wb) -> dict[str, list[tuple]]:
    """Every sheet's values, less the export time (the only thing meant to differ between two exports)."""
    return {ws.title: [tuple(v for v in row if not (isinstance(v, str) and "导出时间" in v))
                       for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


@pytest.fixture(scope="module")
def years(tmp_path_factory):
    base = tmp_path_factory.mktemp("editions")
    before = city_with(base / "before", revised=False)
    after = city_with(base / "after", revised=True)
    db, data = f"sqlite:///{base / 'jyjg.db'}", base / "data"
    inbox = base / "2020"
    inbox.mkdir()
    book_2020 = workbook(before, "yiyang-2020", 2020, inbox / f"{UNIT}.xlsx")

    with Store(db, data_dir=data, city=before) as store:
        (version,) = load_paths(store, [book_2020])
        store.decide(version.id, STAGE_REVIEW, APPROVE, "", "张初审", version.revision)
        version = store.version(version.id)
        entries = {r.id: (version.rules[r.id]["score"], True, "") for r in before.edition("yiyang-2020").rules
                   if not r.computed}
        entries["2.2.5"] = ("2", True, "只见到 2 项制度")
        entries["4.2.1"] = ("0", False, "未见分类垃圾容器")
        card = store.verify_rules(version.id, entries, "李评价", version.revision)
        store.decide(version.id, STAGE_SITE, APPROVE, "", "李评价", card.revision)
        first = dict(version=store.version(version.id), card=store.verified_card(version.id),
                     export=sheet_values(build_annual_export(store, 2020)),
                     report=sheet_values(build_acceptance_report(store, UNIT, 2020)))
    store = Store(db, data_dir=data, city=after)
    yield dict(before=before, after=after, first=first, store=store, book_2020=book_2020, base=base)
    store.close()


def test_the_2020_result_under_the_2020_edition(years):
    version, card = years["first"]["version"], years["first"]["card"]
    assert version.edition == "yiyang-2020"
    assert version.rules["2.2.5"]["score"] == "3"  # 0–4 in steps of 1 in 2020
    assert (version.claimed_total, version.rescored_total) == (Decimal(86), Decimal(86))
    assert card.total == 81 and card.card.qualifies and card.edition.qualify_at == 80
    assert version.status == "验收通过"


def test_a_revised_edition_leaves_2020_as_it_was(years):
    """Claimed, re-scored, verified, the export and the 验收评分表 of 2020 are unchanged under the new data."""
    store, first = years["store"], years["first"]
    version = store.version(first["version"].id)
    card = store.verified_card(version.id)
    assert version.edition == "yiyang-2020" and card.edition.name == "yiyang-2020"
    assert (version.claimed_total, version.rescored_total) == (first["version"].claimed_total,
                                                               first["version"].rescored_total)
    assert card.total == first["card"].total == 81  # under 2021's 85 it would fail
    assert card.card.qualifies and card.rules["2.2.5"].score == 2
    assert sheet_values(build_annual_export(store, 2020)) == first["export"]
    assert sheet_values(build_acceptance_report(store, UNIT, 2020)) == first["report"]
    (again,) = check_paths([years["book_2020"]], city=years["after"])  # re-checked: still its year's edition
    assert again.edition == "yiyang-2020" and again.rescored_total == 86
    assert not [f for f in again.findings if f.code == "not_a_template"]


def test_2021_is_scored_under_the_revised_edition(years):
    folder = years["base"] / "2021"
    folder.mkdir()
    book = workbook(years["after"], "yiyang-2021", 2021, folder / f"{UNIT}.xlsx")
    (result,) = check_paths([book], city=years["after"])
    assert result.edition == "yiyang-2021"
    assert result.rules["2.2.5"]["score"] == 2  # 3 is between 2021's steps of 2: it earns 2
    assert any(f.kind == "invalid_value/between" and f.rule == "2.2.5" for f in result.findings)
    assert result.rescored_total == 85 and result.qualifies  # 85 含
    assert not [f for f in result.findings if f.code == "not_a_template"]
    store = years["store"]
    (version,) = load_paths(store, [book])
    assert version.edition == "yiyang-2021" and store.edition_of(version).qualify_at == 85
    scores = sheet_values(build_annual_export(store, 2021))["评分"]
    header = next(row for row in scores if row and row[0] == "序号")
    row = next(row for row in scores if row and row[1] == UNIT)
    assert row[header.index(next(h for h in header if h and h.startswith("2.2\n")))] == 18  # 19 in 2020


def test_a_2021_workbook_on_the_old_template_is_told_and_scored_under_2021(years):
    folder = years["base"] / "2021-old"
    folder.mkdir()
    book = workbook(years["before"], "yiyang-2020", 2021, folder / f"{UNIT}.xlsx")
    (result,) = check_paths([book], city=years["after"])
    (told,) = [f for f in result.findings if f.code == "not_a_template"]
    assert told.severity == "error" and told.kind == "not_a_template/edition"
    assert "（2020 版）的模板填写的，2021 年度应使用《益阳市节约型机关评价指标》（2021 版）" in told.message
    assert result.edition == "yiyang-2021" and result.rules["2.2.5"]["score"] == 2


def test_a_workbook_naming_an_edition_not_installed_is_told(years, tmp_path):
    from shared.template import named_cell
    import openpyxl

    book = workbook(years["after"], "yiyang-2021", 2021, tmp_path / "x.xlsx")
    wb = openpyxl.load_workbook(book)
    named_cell(wb, "rubric_edition").value = "yiyang-2030"
    wb.save(book)
    (result,) = check_paths([book], city=years["after"])
    (told,) = [f for f in result.findings if f.code == "not_a_template"]
    assert told.kind == "not_a_template/unknown_edition" and "“yiyang-2030”" in told.message
    assert result.edition == "yiyang-2021"
