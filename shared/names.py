"""The workbook-scoped defined names of CONTRACT.md, and the Chinese label of each.

Every tool finds a 自评表's cells by these names, never by address.
"""
from __future__ import annotations

from .rubric import RUBRIC

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

SCORE_NAMES = {rule.score_name: rule.id for rule in RUBRIC.rules}
EVIDENCE_NAMES = {rule.evidence_name: rule.id for rule in RUBRIC.rules}
ITEM_NAMES = {item.score_name: item.id for item in RUBRIC.items}

# The 备案表 fields a submission must fill (field_missing when empty).
REQUIRED_FIELDS = {**TEXT_FIELDS, **YEAR_FIELD, **LONG_TEXTS}

LABELS: dict[str, str] = {
    **TEXT_FIELDS,
    **YEAR_FIELD,
    **FIGURES,
    **BASE_FIGURES,
    **DERIVED,
    **LONG_TEXTS,
    TOTAL: "自评分",
    **{name: f"规则 {rid} 分项得分" for name, rid in SCORE_NAMES.items()},
    **{name: f"规则 {rid} 佐证材料" for name, rid in EVIDENCE_NAMES.items()},
    **{name: f"项目 {iid} 项目得分" for name, iid in ITEM_NAMES.items()},
}

# Every name the CONTRACT fixes. A workbook with none of them is not a 自评表.
ALL_NAMES: tuple[str, ...] = tuple(LABELS)

# Enough of these present means "this is our template" (possibly damaged) rather than foreign.
CORE_NAMES = (TOTAL, *SCORE_NAMES)
