"""The city's data, loaded from TOML and validated: the city itself (city.toml), its rubric editions
(附件1, one file per edition under editions/), the yearly targets and the edition of each year
(targets.toml), and the roster (附件4).

Nothing else in the project knows a point value, a cap, a target, the city's name or its agencies: it
asks this module. The city is city.toml beside this file, or the file JYJG_CITY names.
"""
from __future__ import annotations

import difflib
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
DEFAULT_CITY_FILE = DATA_DIR / "city.toml"


class RubricError(ValueError):
    """The rubric or configuration data contradicts itself."""


def _hashed_once(self) -> int:
    """A frozen record's hash, worked out from its fields once. Rules and editions are cache keys in every
    check of every workbook, and the generated hash walks an edition's units, items and rules each time."""
    cached = self.__dict__.get("_hash")
    if cached is None:
        cached = self.__dict__["_hash"] = hash(tuple(getattr(self, f.name) for f in fields(self)))
    return cached


def _state_without_hash(self) -> dict:
    """Pickled without the cached hash: another process may hash strings differently (PYTHONHASHSEED)."""
    return {key: value for key, value in self.__dict__.items() if key != "_hash"}


@dataclass(frozen=True)
class Grade:
    name: str  # 优秀, 良好 …
    at: Decimal  # at least this score (judged as the pass mark is), and the unit qualifies


@dataclass(frozen=True)
class Condition:
    """A further pass condition: a unit's score at least `at` (运行管理 at least its mark in the central scheme)."""

    unit_id: str
    at: Decimal
    label: str


# How a rule's evidence is checked on site (shown to the 评价小组); an edition may name others.
METHODS = ("查阅资料", "现场检查", "问卷调查", "座谈访谈", "系统核查")

# Kinds of unit: scored points (the base total), a gate (必须完成项 / 符合性评价: pass or fail, no points),
# bonus points above the base total (附加分).
SCORED, GATE, BONUS = "scored", "gate", "bonus"
UNIT_KINDS = {"": SCORED, "scored": SCORED, "gate": GATE, "bonus": BONUS}


@dataclass(frozen=True)
class Band:
    """Points by the ratio of a unit's figure to the same-type average: above < ratio <= up_to."""

    above: Decimal | None  # None: from 0
    up_to: Decimal | None  # None: no upper end
    points: Decimal


@dataclass(frozen=True)
class Rule:
    __hash__ = _hashed_once
    __getstate__ = _state_without_hash

    id: str
    unit_id: str
    item_id: str
    label: str
    text: str
    points: Decimal
    allowed: tuple[Decimal, ...]
    computed: bool = False  # scored from the 备案表 figures, not from a claim
    indicator: str | None = None
    gate: bool = False  # a pass/fail rule of a gate unit: 1 met, 0 not; no points
    star: bool = False  # ★: the unit fails if this rule scores 0
    deduct: Decimal | None = None  # 每缺一项扣 deduct 分, down to 0: the claim is the count of what is missing
    bands: tuple[Band, ...] = ()  # benchmark bands (computed): points by the ratio to the same-type average
    method: str = ""  # how it is verified (查阅资料 / 现场检查 / 问卷调查 …)

    @property
    def kind(self) -> str:
        """claim, energy (a decline against its target), band, or deduction."""
        if self.computed:
            return "band" if self.bands else "energy"
        return "deduction" if self.deduct is not None else "claim"

    @cached_property  # names are asked for in every check of every workbook
    def key(self) -> str:
        """The id as it appears in defined names: 2.2.5 -> 2_2_5."""
        return self.id.replace(".", "_")

    @cached_property
    def score_name(self) -> str:
        return f"score_{self.key}"

    @cached_property
    def evidence_name(self) -> str:
        return f"evidence_{self.key}"

    @cached_property
    def count_name(self) -> str:
        """A deduction rule's input: how many requirements are missing (its score is a formula)."""
        return f"count_{self.key}"

    @cached_property
    def claim_name(self) -> str:
        """The cell a unit fills for this rule: the count for a deduction rule, else the score."""
        return self.count_name if self.deduct is not None else self.score_name

    @property
    def number(self) -> int:
        return int(self.id.rsplit(".", 1)[1])


@dataclass(frozen=True)
class Item:
    __hash__ = _hashed_once
    __getstate__ = _state_without_hash

    id: str
    unit_id: str
    name: str
    cap: Decimal
    rules: tuple[Rule, ...]
    text: str | None = None  # an item-wide 评分规则 (1.1), when its rules share one paragraph
    star: bool = False  # ★: the unit fails if this item scores 0
    may_skip: bool = False  # 不评分: a unit may mark it not applicable; the pass mark is judged on what applies
    method: str = ""  # how it is verified, for rules that do not say
    kind: str = SCORED  # its unit's kind

    @cached_property
    def key(self) -> str:
        return self.id.replace(".", "_")

    @cached_property
    def score_name(self) -> str:
        return f"item_{self.key}"

    @cached_property
    def skip_name(self) -> str:
        """The cell a unit marks 不适用 when the item does not apply (may_skip items only)."""
        return f"na_{self.key}"

    @property
    def gate(self) -> bool:
        return self.kind == GATE


@dataclass(frozen=True)
class Unit:
    __hash__ = _hashed_once
    __getstate__ = _state_without_hash

    id: str
    name: str
    cap: Decimal
    items: tuple[Item, ...]
    kind: str = SCORED


@dataclass(frozen=True)
class Rubric:
    """One edition of the rubric: a named, dated data file. Every stored version records the edition it
    was scored under, and is always re-shown and re-tallied under it."""

    __hash__ = _hashed_once
    __getstate__ = _state_without_hash

    title: str
    total: Decimal
    qualify_at: Decimal
    notes: tuple[str, ...]
    units: tuple[Unit, ...]
    name: str = ""  # the edition's name (the file's stem), e.g. yiyang-2020
    issued: str = ""  # when it was published
    source: str = ""  # where it comes from
    example: str = ""  # for an example edition: what it was built from (not an official text)
    bonus: Decimal = Decimal(0)  # 附加分 above the base total
    grades: tuple[Grade, ...] = ()  # highest first
    conditions: tuple[Condition, ...] = ()  # further pass conditions (a unit's score at least …)

    @property
    def label(self) -> str:
        """The edition as people name it: 《<title>》（2020 版）."""
        return f"《{self.title}》（{self.issued} 版）" if self.issued else f"《{self.title}》"

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for unit in self.units for item in unit.items)

    @cached_property
    def scored_items(self) -> tuple[Item, ...]:
        """The items whose points count (base and bonus), gates left out."""
        return tuple(item for item in self.items if not item.gate)

    @cached_property
    def gate_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.gate)

    @property
    def maximum(self) -> Decimal:
        return self.total + self.bonus

    @property
    def simple(self) -> bool:
        """Only listed-value claims and energy rules, items with caps, one pass mark: the 2020 附件1's shape."""
        return not (self.gate_rules or self.bonus or self.grades or self.conditions
                    or any(i.star or i.may_skip for i in self.items)
                    or any(r.star or r.kind in ("band", "deduction") for r in self.rules))

    @cached_property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for item in self.items for rule in item.rules)

    @cached_property
    def _rule_index(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    @cached_property
    def _item_index(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    def rule(self, rule_id: str) -> Rule:
        return self._rule_index[rule_id]

    def item(self, item_id: str) -> Item:
        return self._item_index[item_id]

    @property
    def computed_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.computed)


def _dec(text: object, where: str) -> Decimal:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise RubricError(f"{where}：“{text}”不是数值。") from None
    if not value.is_finite():
        raise RubricError(f"{where}：“{text}”不是数值。")
    return value


def _need(table: dict, key: str, where: str):
    if key not in table:
        raise RubricError(f"{where}：缺少 {key}。")
    return table[key]


def load_rubric(path: Path) -> Rubric:
    """One edition file, validated: a mistake fails at load with a Chinese message naming the file,
    the item or rule, and what is wrong."""
    path = Path(path)
    file = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RubricError(f"{file}：无法读取评价指标文件（{error}）。") from None
    units = []
    for u in _need(data, "units", file):
        unit_where = f"{file} 单元 {u.get('id', '?')}"
        kind = UNIT_KINDS.get(str(u.get("kind", "")))
        if kind is None:
            raise RubricError(f"{unit_where}：kind = \"{u.get('kind')}\" 不是已知的单元类型（gate、bonus 或不写）。")
        items = []
        for it in _need(u, "items", unit_where):
            item_where = f"{file} 项目 {it.get('id', '?')}"
            item_method = str(it.get("method", ""))
            rules = []
            for r in _need(it, "rules", item_where):
                rules.append(_load_rule(r, u, it, kind, item_method, f"{file} 规则 {r.get('id', '?')}"))
            cap = Decimal(0) if kind == GATE else _dec(_need(it, "cap", item_where), item_where)
            items.append(Item(str(_need(it, "id", item_where)), str(u["id"]), _need(it, "name", item_where),
                              cap, tuple(rules), it.get("text"), star=bool(it.get("star", False)),
                              may_skip=bool(it.get("may_skip", False)), method=item_method, kind=kind))
        cap = Decimal(0) if kind == GATE else _dec(_need(u, "cap", unit_where), unit_where)
        units.append(Unit(str(_need(u, "id", unit_where)), _need(u, "name", unit_where), cap, tuple(items), kind))
    grades = tuple(Grade(str(_need(g, "name", f"{file} grades")), _dec(_need(g, "at", f"{file} grades"), f"{file} grades"))
                   for g in data.get("grades", ()))
    conditions = tuple(
        Condition(str(_need(c, "unit", f"{file} conditions")), _dec(_need(c, "at", f"{file} conditions"), f"{file} conditions"),
                  str(c.get("label", "")))
        for c in data.get("conditions", ()))
    rubric = Rubric(
        title=_need(data, "title", file),
        total=_dec(_need(data, "total", file), file),
        qualify_at=_dec(_need(data, "qualify_at", file), file),
        notes=tuple(data.get("notes", ())),
        units=tuple(units),
        name=str(data.get("name", path.stem)),
        issued=str(data.get("issued", "")),
        source=str(data.get("source", "")),
        example=str(data.get("example", "")),
        bonus=_dec(data.get("bonus", "0"), file),
        grades=grades,
        conditions=conditions,
    )
    if rubric.name != path.stem:
        raise RubricError(f"{file}：name = \"{rubric.name}\" 与文件名不符，应为 \"{path.stem}\"。")
    validate_rubric(rubric, file)
    return rubric


def _load_rule(r: dict, u: dict, it: dict, kind: str, item_method: str, where: str) -> Rule:
    computed = bool(r.get("computed", False))
    bands = tuple(
        Band(None if b.get("above") is None else _dec(b["above"], where),
             None if b.get("up_to") is None else _dec(b["up_to"], where),
             _dec(_need(b, "points", f"{where} 分档"), where))
        for b in r.get("bands", ()))
    deduct = None if r.get("deduct") is None else _dec(r["deduct"], where)
    if kind == GATE:
        # A pass/fail requirement: 1 met (符合), 0 not (不符合); it earns no points.
        points, allowed = Decimal(1), (Decimal(0), Decimal(1))
    else:
        points = _dec(_need(r, "points", where), where)
        if bands:
            allowed = tuple(sorted({b.points for b in bands} | {Decimal(0)}))
        elif deduct is not None:
            if deduct <= 0:
                raise RubricError(f"{where}：每缺一项扣分 deduct = {deduct} 应大于 0。")
            steps = int(points // deduct)
            allowed = tuple(sorted({Decimal(0), *(points - deduct * k for k in range(steps + 1))}))
        elif computed:
            allowed = (Decimal(0), points)  # an energy target: met or not
            if "allowed" in r:
                allowed = tuple(sorted(_dec(a, where) for a in r["allowed"]))
        else:
            allowed = tuple(sorted(_dec(a, where) for a in _need(r, "allowed", where)))
    return Rule(
        id=str(_need(r, "id", where)),
        unit_id=str(u["id"]),
        item_id=str(it["id"]),
        label=_need(r, "label", where),
        text=_need(r, "text", where),
        points=points,
        allowed=allowed,
        computed=computed,
        indicator=r.get("indicator"),
        gate=kind == GATE,
        star=bool(r.get("star", False)),
        deduct=deduct,
        bands=bands,
        method=str(r.get("method", "")) or item_method,
    )


def validate_rubric(rubric: Rubric, file: str = "评价指标") -> None:
    """Refuse data that contradicts itself, so a typo in the TOML fails at load, in Chinese, naming the item."""
    problems = []
    scored = [u for u in rubric.units if u.kind == SCORED]
    bonus = [u for u in rubric.units if u.kind == BONUS]
    if sum(u.cap for u in scored) != rubric.total:
        problems.append(f"各单元分值之和 {sum(u.cap for u in scored)} 与满分 {rubric.total} 不符")
    if sum(u.cap for u in bonus) != rubric.bonus:
        problems.append(f"附加分单元分值之和 {sum(u.cap for u in bonus)} 与附加分 bonus = {rubric.bonus} 不符")
    if not scored:
        problems.append("没有计分的单元")
    seen = set()
    for unit in rubric.units:
        if unit.kind != GATE and sum(i.cap for i in unit.items) != unit.cap:
            problems.append(f"单元 {unit.id}：各项目上限之和 {sum(i.cap for i in unit.items)} 与单元分值 {unit.cap} 不符")
        for item in unit.items:
            problems += _item_problems(unit, item, seen)
    if not (0 < rubric.qualify_at <= rubric.total):
        problems.append(f"合格线 qualify_at = {rubric.qualify_at} 不在 0 到满分之间")
    previous = None
    for grade in rubric.grades:
        if not (0 < grade.at <= rubric.maximum):
            problems.append(f"等级“{grade.name}”的分数线 {grade.at} 不在 0 到最高分 {rubric.maximum} 之间")
        if previous is not None and grade.at >= previous.at:
            problems.append(f"等级“{grade.name}”的分数线 {grade.at} 应低于上一等级“{previous.name}”的 {previous.at}"
                            "（等级按分数线从高到低排列）")
        previous = grade
    if rubric.grades and rubric.grades[-1].at < rubric.qualify_at:
        problems.append(f"最低等级“{rubric.grades[-1].name}”的分数线 {rubric.grades[-1].at} 低于合格线 {rubric.qualify_at}"
                        "（不合格的单位不评等级）")
    units = {u.id: u for u in rubric.units}
    for condition in rubric.conditions:
        unit = units.get(condition.unit_id)
        if unit is None or unit.kind == GATE:
            problems.append(f"合格条件：没有可计分的单元 {condition.unit_id}")
        elif not (0 < condition.at <= unit.cap):
            problems.append(f"合格条件：单元 {unit.id} 的分数线 {condition.at} 不在 0 到单元分值 {unit.cap} 之间")
    if problems:
        raise RubricError(f"{file}：" + "；".join(problems) + "。")


def _item_problems(unit: Unit, item: Item, seen: set) -> list[str]:
    problems = []
    if not item.id.startswith(unit.id + "."):
        problems.append(f"项目 {item.id}：编号不在单元 {unit.id} 之下")
    if not item.rules:
        problems.append(f"项目 {item.id}：没有评分规则")
    if unit.kind != GATE and sum(r.points for r in item.rules) != item.cap:
        problems.append(f"项目 {item.id}：各规则最高分之和 {sum(r.points for r in item.rules)} 与项目上限 {item.cap} 不符")
    if item.may_skip and unit.kind == GATE:
        problems.append(f"项目 {item.id}：必须完成项不能“不评分”")
    if item.star and unit.kind == GATE:
        problems.append(f"项目 {item.id}：必须完成项本身就须全部符合，不能再标 ★")
    if item.star and item.may_skip:
        problems.append(f"项目 {item.id}：★ 项目不能“不评分”")
    for rule in item.rules:
        where = f"规则 {rule.id}"
        if rule.id in seen:
            problems.append(f"{where}：编号重复")
        seen.add(rule.id)
        if not rule.id.startswith(item.id + "."):
            problems.append(f"{where}：编号不在项目 {item.id} 之下")
        if not rule.allowed or rule.allowed[0] != 0 or rule.allowed[-1] != rule.points:
            problems.append(f"{where}：允许分值应从 0 到本规则最高分 {rule.points}")
        if rule.computed and rule.indicator not in INDICATORS:
            problems.append(f"{where}：自动计算的规则须指明已知的能耗指标（{'、'.join(INDICATORS)}）")
        if rule.bands and not rule.computed:
            problems.append(f"{where}：按同类平均值分档的规则须写 computed = true 并指明 indicator")
        if rule.bands:
            problems += [f"{where}：{p}" for p in _band_problems(rule)]
        if rule.deduct is not None and (rule.computed or rule.gate):
            problems.append(f"{where}：扣分规则（deduct）由单位填写缺项数，不能是自动计算的或必须完成的规则")
        if rule.star and rule.gate:
            problems.append(f"{where}：必须完成项本身就须符合，不能再标 ★")
        if rule.star and rule.bands and min(b.points for b in rule.bands) > 0:
            problems.append(f"{where}：★ 规则的分档中没有 0 分，★ 永远不会生效")
        if (rule.star or item.star) and unit.kind == BONUS:
            problems.append(f"{where}：附加分不能标 ★")
    return problems


def _band_problems(rule: Rule) -> list[str]:
    """Bands run from 0 upward without a gap or an overlap: each starts where the one before ends."""
    problems = []
    bands = rule.bands
    if bands[0].above not in (None, Decimal(0)):
        problems.append(f"第一档应从 0 起（above 不写），现为 above = {bands[0].above}")
    for before, after in zip(bands, bands[1:]):
        if before.up_to is None:
            problems.append("只有最后一档可以不写 up_to")
        elif after.above != before.up_to:
            gap = "空档" if after.above is None or after.above > before.up_to else "重叠"
            problems.append(f"分档有{gap}：上一档到 {before.up_to} 为止，下一档从 {after.above} 起")
    if bands[-1].up_to is not None:
        problems.append(f"最后一档应不写 up_to（比值大于 {bands[-1].up_to} 的单位也要有分）")
    for band in bands:
        if band.above is not None and band.up_to is not None and band.up_to <= band.above:
            problems.append(f"分档 {band.above}–{band.up_to} 的上限不大于下限")
        if not (0 <= band.points <= rule.points):
            problems.append(f"分档分值 {band.points} 不在 0 到本规则最高分 {rule.points} 之间")
    if max(b.points for b in bands) != rule.points:
        problems.append(f"分档最高分 {max(b.points for b in bands)} 与本规则最高分 {rule.points} 不符")
    return problems


def load_editions(folder: Path) -> dict[str, Rubric]:
    """Every edition file (*.toml) in a folder, by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RubricError(f"找不到评价指标版本文件夹 {folder}。")
    editions = {}
    for path in sorted(folder.glob("*.toml")):
        edition = load_rubric(path)
        editions[edition.name] = edition
    if not editions:
        raise RubricError(f"评价指标版本文件夹 {folder} 中没有任何版本（*.toml）。")
    return editions


# The three energy indicators of item 1.1: what each divides by what.
@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    unit: str
    numerator: str  # a 备案表 figure name (this year's; base_ prefix for last year's)
    denominator: str
    factor: int  # tce -> kgce


INDICATORS = {
    "energy_per_capita": Indicator("energy_per_capita", "人均综合能耗", "kgce/人", "energy_tce", "headcount", 1000),
    "water_per_capita": Indicator("water_per_capita", "人均用水量", "吨/人", "water_t", "headcount", 1),
    "energy_per_area": Indicator("energy_per_area", "单位建筑面积能耗", "kgce/m²", "energy_tce", "floor_area_m2", 1000),
}


@dataclass(frozen=True)
class EnergyTargets:
    """Required declines, in percent, for one assessed year."""

    year: int  # the configured year these come from
    percent: dict[str, Decimal] = field(default_factory=dict)

    @cached_property
    def share(self) -> dict[str, Fraction]:
        """The same targets as exact fractions (2.5 % -> 1/40), for the energy rule's comparison."""
        return {key: Fraction(value) / 100 for key, value in self.percent.items()}


@dataclass(frozen=True)
class RosterUnit:
    name: str
    year: int
    group: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Benchmarks:
    """Same-type averages of a year (同类型单位平均值), for benchmark bands: by category, by indicator."""

    year: int
    source: str  # where the averages come from
    values: dict[str, dict[str, Decimal]]  # category (or "*" for every category) -> indicator -> average

    def average(self, category: str | None, indicator: str) -> Decimal | None:
        for key in (category, "*"):
            value = self.values.get(key or "", {}).get(indicator) if key else None
            if value is not None:
                return value
        return None


@dataclass(frozen=True)
class Config:
    energy: dict[int, EnergyTargets]
    creation: dict[int, dict[str, Decimal]]
    editions: dict[int, str] = field(default_factory=dict)  # first year -> edition name
    benchmarks: dict[int, Benchmarks] = field(default_factory=dict)

    def benchmark(self, year: int | None, category: str | None, indicator: str) -> tuple[Decimal | None, str]:
        """The same-type average of an indicator in force for a year and 单位类别, and its source."""
        found = _by_year(self.benchmarks, year)
        if found is None:
            return None, ""
        return found.average(category, indicator), found.source

    def edition_name(self, year: int | None) -> str | None:
        """The edition an assessed year is scored under, looked up as the targets are."""
        return _by_year(self.editions, year)

    def energy_targets(self, year: int | None) -> EnergyTargets:
        """The targets in force for an assessed year: its own, else the latest earlier year's,
        else (no year, or one before the first) the first year's — as the template's LOOKUP does."""
        return _by_year(self.energy, year)

    def creation_target(self, year: int, category: str) -> Decimal | None:
        return self.creation.get(year, {}).get(category)


def _by_year(table: dict[int, object], year: int | None):
    """A year's own entry, else the latest earlier year's, else (no year, or one before the first) the
    first year's — as the template's LOOKUP does."""
    if not table:
        return None
    years = sorted(table)
    if year is None:
        return table[years[0]]
    earlier = [y for y in years if y <= year]
    return table[earlier[-1] if earlier else years[0]]


def load_config(path: Path = DATA_DIR / "targets.toml") -> Config:
    path = Path(path)
    file = path.name
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    energy = {}
    for year, table in data.get("energy", {}).items():
        unknown = set(table) - set(INDICATORS)
        missing = set(INDICATORS) - set(table)
        if unknown or missing:
            raise RubricError(f"{file} [energy.{year}]：未知的指标 {sorted(unknown)}，缺少的指标 {sorted(missing)}。")
        percents = {k: _dec(v, f"{file} [energy.{year}] {k}") for k, v in table.items()}
        for key, percent in percents.items():
            # At most 8 decimals of a percent: a share with at most 10, the energy rule's declared precision,
            # so that the template's ROUND(target/100,10) is the target itself.
            if not (0 <= percent < 100) or percent.normalize().as_tuple().exponent < -8:
                raise RubricError(f"{file} [energy.{year}] {key} = \"{percent}\"：下降目标应为 0 到 100 之间的百分数，"
                                  "最多 8 位小数。")
        energy[int(year)] = EnergyTargets(int(year), percents)
    if not energy:
        raise RubricError(f"{file} 中没有能耗下降目标（[energy.年度]）。")
    creation = {int(y): {k: _dec(v, f"{file} [creation.{y}] {k}") for k, v in t.items()}
                for y, t in data.get("creation", {}).items()}
    editions = {int(y): str(name) for y, name in data.get("editions", {}).items()}
    benchmarks = {}
    for year, table in data.get("benchmarks", {}).items():
        where = f"{file} [benchmarks.{year}]"
        values = {}
        for category, averages in table.items():
            if category == "source":
                continue
            if not isinstance(averages, dict) or set(averages) - set(INDICATORS):
                raise RubricError(f"{where} {category}：应为各能耗指标（{'、'.join(INDICATORS)}）的同类平均值。")
            values[category] = {k: _dec(v, f"{where} {category}.{k}") for k, v in averages.items()}
            if any(v <= 0 for v in values[category].values()):
                raise RubricError(f"{where} {category}：同类平均值应大于 0。")
        if not str(table.get("source", "")).strip():
            raise RubricError(f"{where}：请写明同类平均值的来源（source）。")
        benchmarks[int(year)] = Benchmarks(int(year), str(table["source"]), values)
    return Config(energy, creation, editions, benchmarks)


def load_roster(path: Path = DATA_DIR / "roster.toml", city_name: str = "") -> tuple[RosterUnit, ...]:
    path = Path(path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    units = tuple(
        RosterUnit(u["name"], int(u["year"]), u.get("group", ""), tuple(u.get("aliases", ())))
        for u in data["units"]
    )
    names = [normalize_org_name(n, city_name) for u in units for n in (u.name, *u.aliases)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RubricError(f"{path.name}：单位重复列出：{'、'.join(twice)}。")
    return units


_SPACE = re.compile(r"\s+")


def normalize_org_name(name: str, city_name: str | None = None) -> str:
    """Fold the ways one agency's name gets written: width, spaces, 中共 and city-name prefixes
    (中共<city>委办公室, <city>委办公室 and 市委办公室 are one unit)."""
    city_name = CITY.name if city_name is None else city_name
    text = unicodedata.normalize("NFKC", str(name))
    text = _SPACE.sub("", text)
    text = text.replace("(", "（").replace(")", "）")
    if city_name:
        for prefix in ("中国共产党", "中共"):
            if text.startswith(prefix + city_name):
                text = text[len(prefix):]
        if text.startswith(city_name):
            text = "市" + text[len(city_name):]
    return text


# --- the city ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Categories:
    city: str  # the city's own agencies (市直党政机关)
    county: str  # its 区县's agencies

    @property
    def all(self) -> tuple[str, str]:
        return (self.city, self.county)


NEAR_MISS_RATIO = 0.8  # how alike (difflib's ratio) a name must be to a roster name to be suggested


@dataclass(frozen=True)
class City:
    """Everything a city changes, as data (city.toml and the files it names)."""

    name: str
    action_plan: str
    roster_title: str
    lead_agency: str
    signers: tuple[str, ...]
    recipients: str
    districts: tuple[str, ...]
    demo_district: str
    categories: Categories
    config: Config
    roster: tuple[RosterUnit, ...]
    editions: dict[str, Rubric]
    path: Path | None = None

    def edition(self, name: str | None) -> Rubric:
        """An installed edition by name; KeyError when there is none of that name."""
        if name not in self.editions:
            raise KeyError(f"没有名为“{name}”的评价指标版本（已安装：{'、'.join(self.editions)}）。")
        return self.editions[name]

    def edition_for(self, year: int | None) -> Rubric:
        """The edition an assessed year is scored under (targets.toml [editions])."""
        return self.editions[self.config.edition_name(year)]

    @property
    def default_edition(self) -> Rubric:
        """The edition of the latest configured year: what `jyjg template` writes by default."""
        return self.editions[self.config.editions[max(self.config.editions)]]

    def years_of(self, name: str) -> str:
        """The years an edition applies to, as `jyjg editions` prints them: 2020-2022, 2023- (open), or —."""
        years = sorted(self.config.editions)
        spans = []
        for i, year in enumerate(years):
            if self.config.editions[year] != name:
                continue
            end = years[i + 1] - 1 if i + 1 < len(years) else None
            spans.append(f"{year}-" if end is None else (str(year) if end == year else f"{year}-{end}"))
        return ",".join(spans) or "—"

    def years_label(self, name: str) -> str:
        """The same in words: 2020 年起的创建年度, 2020–2022 年度, 未用于任何创建年度."""
        spans = self.years_of(name)
        if spans == "—":
            return "未用于任何创建年度"
        words = [f"{s[:-1]} 年起的创建年度" if s.endswith("-") else f"{s.replace('-', '–')} 年度" for s in spans.split(",")]
        return "、".join(words)

    def full_name(self, roster_name: str) -> str:
        """An agency as it signs a document: 市财政局 -> <city name>财政局."""
        return self.name + roster_name[1:] if roster_name.startswith("市") else roster_name

    @property
    def signing_agencies(self) -> tuple[str, ...]:
        return tuple(self.full_name(s) for s in self.signers)

    @cached_property
    def _roster_index(self) -> dict[str, RosterUnit]:
        return {normalize_org_name(n, self.name): u for u in self.roster for n in (u.name, *u.aliases)}

    def find_roster_unit(self, name: str | None) -> RosterUnit | None:
        if not name:
            return None
        return self._roster_index.get(normalize_org_name(name, self.name))

    def closest_roster_unit(self, name: str | None) -> RosterUnit | None:
        """The roster unit a name not on the roster most likely means: one whose name (or alias) the name
        contains, or, failing that, the most alike; None when nothing is close (the city's name + "市场监督管理局机关" ->
        市市场监督管理局)."""
        if not name or self.find_roster_unit(name) is not None:
            return None
        key = normalize_org_name(name, self.name)
        contained = [k for k in self._roster_index if len(k) >= 4 and k in key]
        if contained:
            return self._roster_index[max(contained, key=len)]
        scored = [(difflib.SequenceMatcher(None, key, k).ratio(), k) for k in self._roster_index]
        ratio, best = max(scored)
        return self._roster_index[best] if ratio >= NEAR_MISS_RATIO else None


def load_city(path: str | Path = DEFAULT_CITY_FILE) -> City:
    """A city file and the roster, targets and editions it names, each validated."""
    path = Path(path)
    file = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RubricError(f"{path}：无法读取城市配置文件（{error}）。") from None
    files = _need(data, "files", file)
    categories = _need(data, "categories", file)
    name = str(_need(data, "name", file))
    roster = load_roster(path.parent / _need(files, "roster", file), name)
    config = load_config(path.parent / _need(files, "targets", file))
    editions = load_editions(path.parent / _need(files, "editions", file))
    if not config.editions:
        raise RubricError(f"{_need(files, 'targets', file)}：没有 [editions]，无法确定各年度适用的评价指标版本。")
    unknown = sorted({e for e in config.editions.values() if e not in editions})
    if unknown:
        raise RubricError(f"{_need(files, 'targets', file)} [editions]：没有名为 {'、'.join(unknown)} 的评价指标版本"
                          f"（已安装：{'、'.join(editions)}）。")
    for year, edition_name in config.editions.items():
        for rule in editions[edition_name].rules:
            if rule.bands and config.benchmark(year, None, rule.indicator) == (None, "") and \
                    _by_year(config.benchmarks, year) is None:
                raise RubricError(f"{_need(files, 'targets', file)}：{year} 年度的评价指标版本 {edition_name} 按同类平均值"
                                  f"分档计分（规则 {rule.id}），但没有配置同类平均值 [benchmarks]。")
    city = City(
        name=name,
        action_plan=str(_need(data, "action_plan", file)),
        roster_title=str(_need(data, "roster_title", file)),
        lead_agency=str(_need(data, "lead_agency", file)),
        signers=tuple(_need(data, "signers", file)),
        recipients=str(_need(data, "recipients", file)),
        districts=tuple(_need(data, "districts", file)),
        demo_district=str(data.get("demo_district") or _need(data, "districts", file)[0]),
        categories=Categories(str(_need(categories, "city", file)), str(_need(categories, "county", file))),
        config=config,
        roster=roster,
        editions=editions,
        path=path,
    )
    for signer in city.signers:
        if city.find_roster_unit(signer) is None:
            raise RubricError(f"{file} signers：“{signer}”不在单位名单中。通报须按名单上的名称署名。")
    return city


CITY = load_city(os.environ.get("JYJG_CITY") or DEFAULT_CITY_FILE)

# The city's data under the names the rest of the code has always used.
RUBRIC = CITY.default_edition  # the edition of the latest configured year
CONFIG = CITY.config
ROSTER = CITY.roster
CATEGORY_CITY = CITY.categories.city
CATEGORY_COUNTY = CITY.categories.county
CATEGORIES = CITY.categories.all


def find_roster_unit(name: str | None) -> RosterUnit | None:
    return CITY.find_roster_unit(name)


def closest_roster_unit(name: str | None) -> RosterUnit | None:
    return CITY.closest_roster_unit(name)
