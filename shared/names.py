"""The workbook-scoped defined names of CONTRACT.md, and the Chinese label of each.

Every tool finds a 自评表's cells by these names, never by address.
"""
from __future__ import annotations

from .rubric import CITY, RUBRIC, Rubric

# 备案表 fields (text), in form order.
TEXT_FIELDS = {
    "org_name": "单位名称",
    "org_category": "单位类别",
    "org_address": "单位地址",
    "contact_name": "创建联系人",
    "contact_phone": "移动电话",
}
YEAR_FIELD = {"assess_year": "创建年度"}

# 备案表 figures: this year's and the baseline year's.
FIGURES = {
    "floor_area_m2": "总建筑面积（m²）",
    "headcount": "用能人数",
    "energy_tce": "单位综合能源消耗量（tce）",
    "water_t": "单位水消耗量（吨）",
}
BASE_FIGURES = {f"base_{k}": f"上年度{v}" for k, v in FIGURES.items()}

# The 能耗折算 sheet: consumption by carrier, this year's and (base_) the year before's, and their totals
# in tce (formulas). Its carriers and coefficients live in energy.py / energy.toml.
USES = {
    "use_electricity_kwh": "电力（kWh）",
    "use_natural_gas_m3": "天然气（m³）",
    "use_gasoline_l": "汽油（升）",
    "use_diesel_l": "柴油（升）",
    "use_lpg_kg": "液化石油气（kg）",
    "use_heat_gj": "热力（GJ）",
    "use_other_tce": "其他能源（tce）",
    "use_total_tce": "能耗折算合计（tce）",
}
BASE_USES = {f"base_{k}": f"上年度{v}" for k, v in USES.items()}

# Where a unit types its energy total directly; energy_tce is the formula that takes either this or the
# 能耗折算 total. Not a CONTRACT name: the checker reads it only when energy_tce holds no saved value.
TYPED_ENERGY = {
    "energy_tce_typed": "直接填写的单位综合能源消耗量（tce）",
    "base_energy_tce_typed": "上年度直接填写的单位综合能源消耗量（tce）",
}

# Derived indicators of the assessed year (formulas in the template).
DERIVED = {
    "energy_per_area": "单位建筑面积能耗（kgce/m²）",
    "energy_per_capita": "人均能耗（kgce/人）",
    "water_per_capita": "人均水耗（吨/人）",
}

LONG_TEXTS = {
    "org_profile": "单位基本情况",
    "achievements": "节约型机关创建内容完成情况及工作特色",
}
ORG_PROFILE_MAX = 300
ACHIEVEMENTS_RANGE = (600, 800)

TOTAL = "total_score"
EDITION = "rubric_edition"  # the name of the rubric edition the template was generated from


def score_names(rubric: Rubric) -> dict[str, str]:
    return {rule.score_name: rule.id for rule in rubric.rules}


def evidence_names(rubric: Rubric) -> dict[str, str]:
    return {rule.evidence_name: rule.id for rule in rubric.rules}


def item_names(rubric: Rubric) -> dict[str, str]:
    return {item.score_name: item.id for item in rubric.items}


def count_names(rubric: Rubric) -> dict[str, str]:
    """A deduction rule's input (how many requirements are missing), by rule id."""
    return {rule.count_name: rule.id for rule in rubric.rules if rule.deduct is not None}


def skip_names(rubric: Rubric) -> dict[str, str]:
    """The 不适用 cell of each item that may be left out (不评分), by item id."""
    return {item.skip_name: item.id for item in rubric.items if item.may_skip}


# Of the default edition (the latest year's template).
SCORE_NAMES = score_names(RUBRIC)
EVIDENCE_NAMES = evidence_names(RUBRIC)
ITEM_NAMES = item_names(RUBRIC)
# Of every installed edition: what a workbook of any edition may hold.
ANY_SCORE_NAMES = {n: r for e in CITY.editions.values() for n, r in score_names(e).items()}
ANY_EVIDENCE_NAMES = {n: r for e in CITY.editions.values() for n, r in evidence_names(e).items()}
ANY_ITEM_NAMES = {n: i for e in CITY.editions.values() for n, i in item_names(e).items()}
ANY_COUNT_NAMES = {n: r for e in CITY.editions.values() for n, r in count_names(e).items()}
ANY_SKIP_NAMES = {n: i for e in CITY.editions.values() for n, i in skip_names(e).items()}

# The 备案表 fields a submission must fill (field_missing when empty).
REQUIRED_FIELDS = {**TEXT_FIELDS, **YEAR_FIELD, **LONG_TEXTS}

def labels_for(editions) -> dict[str, str]:
    """Every name of the CONTRACT a workbook of any of these editions may hold, with its Chinese label."""
    editions = tuple(editions)
    return {
        **TEXT_FIELDS,
        **YEAR_FIELD,
        **FIGURES,
        **BASE_FIGURES,
        **TYPED_ENERGY,
        **USES,
        **BASE_USES,
        **DERIVED,
        **LONG_TEXTS,
        TOTAL: "自评分",
        EDITION: "评价指标版本",
        **{name: f"规则 {rid} 分项得分" for e in editions for name, rid in score_names(e).items()},
        **{name: f"规则 {rid} 佐证材料" for e in editions for name, rid in evidence_names(e).items()},
        **{name: f"项目 {iid} 项目得分" for e in editions for name, iid in item_names(e).items()},
        **{name: f"规则 {rid} 缺项数" for e in editions for name, rid in count_names(e).items()},
        **{name: f"项目 {iid} 不评分" for e in editions for name, iid in skip_names(e).items()},
    }


LABELS: dict[str, str] = labels_for(CITY.editions.values())

# Every name the CONTRACT fixes, for every installed edition. A workbook with none of them is not a 自评表.
ALL_NAMES: tuple[str, ...] = tuple(LABELS)

_CITY_NAMES: dict[int, tuple[object, tuple[str, ...]]] = {}


def city_names(city) -> tuple[str, ...]:
    """ALL_NAMES for another city's editions (a city checked in this process besides the configured one: its
    editions' rules may have names no installed edition has)."""
    if city is None or city is CITY:
        return ALL_NAMES
    found = _CITY_NAMES.get(id(city))
    if found is None or found[0] is not city:
        found = _CITY_NAMES[id(city)] = (city, tuple(labels_for(city.editions.values())))
    return found[1]


def edition_names(rubric: Rubric) -> tuple[str, ...]:
    """The CONTRACT's names as one edition's template holds them (ALL_NAMES less other editions' rules)."""
    own = {**score_names(rubric), **evidence_names(rubric), **item_names(rubric), **count_names(rubric),
           **skip_names(rubric)}
    return tuple(n for n in ALL_NAMES if n in own or n not in ANY_RULE_AND_ITEM_NAMES)


ANY_RULE_AND_ITEM_NAMES = {**ANY_SCORE_NAMES, **ANY_EVIDENCE_NAMES, **ANY_ITEM_NAMES, **ANY_COUNT_NAMES,
                           **ANY_SKIP_NAMES}

# Enough of these present means "this is our template" (possibly damaged) rather than foreign.
CORE_NAMES = (TOTAL, *ANY_SCORE_NAMES)
