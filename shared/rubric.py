"""The rubric (附件1), the yearly targets and the roster (附件4), loaded from TOML and validated.

Nothing else in the project knows a point value, a cap or a target: it asks this module.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent

CATEGORY_CITY = "市直党政机关"
CATEGORY_COUNTY = "区县（市）党政机关"
CATEGORIES = (CATEGORY_CITY, CATEGORY_COUNTY)


class RubricError(ValueError):
    """The rubric or configuration data contradicts itself."""


@dataclass(frozen=True)
class Rule:
    id: str
    unit_id: str
    item_id: str
    label: str
    text: str
    points: Decimal
    allowed: tuple[Decimal, ...]
    computed: bool = False
    indicator: str | None = None

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

    @property
    def number(self) -> int:
        return int(self.id.rsplit(".", 1)[1])


@dataclass(frozen=True)
class Item:
    id: str
    unit_id: str
    name: str
    cap: Decimal
    rules: tuple[Rule, ...]
    text: str | None = None  # an item-wide 评分规则 (1.1), when its rules share one paragraph

    @cached_property
    def key(self) -> str:
        return self.id.replace(".", "_")

    @cached_property
    def score_name(self) -> str:
        return f"item_{self.key}"


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    cap: Decimal
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Rubric:
    title: str
    total: Decimal
    qualify_at: Decimal
    notes: tuple[str, ...]
    units: tuple[Unit, ...]

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for unit in self.units for item in unit.items)

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


def _dec(text: str) -> Decimal:
    return Decimal(str(text))


def load_rubric(path: Path = DATA_DIR / "rubric.toml") -> Rubric:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    units = []
    for u in data["units"]:
        items = []
        for it in u["items"]:
            rules = tuple(
                Rule(
                    id=r["id"],
                    unit_id=u["id"],
                    item_id=it["id"],
                    label=r["label"],
                    text=r["text"],
                    points=_dec(r["points"]),
                    allowed=tuple(sorted(_dec(a) for a in r["allowed"])),
                    computed=bool(r.get("computed", False)),
                    indicator=r.get("indicator"),
                )
                for r in it["rules"]
            )
            items.append(Item(it["id"], u["id"], it["name"], _dec(it["cap"]), rules, it.get("text")))
        units.append(Unit(u["id"], u["name"], _dec(u["cap"]), tuple(items)))
    rubric = Rubric(
        title=data["title"],
        total=_dec(data["total"]),
        qualify_at=_dec(data["qualify_at"]),
        notes=tuple(data["notes"]),
        units=tuple(units),
    )
    validate_rubric(rubric)
    return rubric


def validate_rubric(rubric: Rubric) -> None:
    """Refuse data whose numbers do not add up, so a typo in the TOML fails at import."""
    problems = []
    if sum(u.cap for u in rubric.units) != rubric.total:
        problems.append("unit caps do not sum to the total")
    seen = set()
    for unit in rubric.units:
        if sum(i.cap for i in unit.items) != unit.cap:
            problems.append(f"unit {unit.id}: item caps do not sum to the unit cap")
        for item in unit.items:
            if not item.id.startswith(unit.id + "."):
                problems.append(f"item {item.id} is not numbered inside unit {unit.id}")
            if sum(r.points for r in item.rules) != item.cap:
                problems.append(f"item {item.id}: rule maxima do not sum to the item cap")
            for rule in item.rules:
                if rule.id in seen:
                    problems.append(f"rule {rule.id} appears twice")
                seen.add(rule.id)
                if not rule.id.startswith(item.id + "."):
                    problems.append(f"rule {rule.id} is not numbered inside item {item.id}")
                if not rule.allowed or rule.allowed[0] != 0 or rule.allowed[-1] != rule.points:
                    problems.append(f"rule {rule.id}: allowed values must run from 0 to its points")
                if rule.computed and rule.indicator not in INDICATORS:
                    problems.append(f"rule {rule.id}: computed rules need a known indicator")
    if not (0 < rubric.qualify_at <= rubric.total):
        problems.append("qualify_at is outside the scale")
    if problems:
        raise RubricError("; ".join(problems))


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
class Config:
    energy: dict[int, EnergyTargets]
    creation: dict[int, dict[str, Decimal]]

    def energy_targets(self, year: int | None) -> EnergyTargets:
        """The targets in force for an assessed year: its own, else the latest earlier year's,
        else (no year, or one before the first) the first year's — as the template's LOOKUP does."""
        years = sorted(self.energy)
        if year is None:
            return self.energy[years[0]]
        earlier = [y for y in years if y <= year]
        return self.energy[earlier[-1] if earlier else years[0]]

    def creation_target(self, year: int, category: str) -> Decimal | None:
        return self.creation.get(year, {}).get(category)


def load_config(path: Path = DATA_DIR / "targets.toml") -> Config:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    energy = {}
    for year, table in data.get("energy", {}).items():
        unknown = set(table) - set(INDICATORS)
        missing = set(INDICATORS) - set(table)
        if unknown or missing:
            raise RubricError(f"targets.toml energy.{year}: unknown {sorted(unknown)}, missing {sorted(missing)}")
        percents = {k: _dec(v) for k, v in table.items()}
        for key, percent in percents.items():
            # At most 8 decimals of a percent: a share with at most 10, the energy rule's declared precision,
            # so that the template's ROUND(target/100,10) is the target itself.
            if not (0 <= percent < 100) or percent.normalize().as_tuple().exponent < -8:
                raise RubricError(f"{path.name} [energy.{year}] {key} = \"{percent}\"：下降目标应为 0 到 100 之间的百分数，"
                                  "最多 8 位小数。")
        energy[int(year)] = EnergyTargets(int(year), percents)
    if not energy:
        raise RubricError("targets.toml has no energy targets")
    creation = {int(y): {k: _dec(v) for k, v in t.items()} for y, t in data.get("creation", {}).items()}
    return Config(energy, creation)


def load_roster(path: Path = DATA_DIR / "roster.toml") -> tuple[RosterUnit, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    units = tuple(
        RosterUnit(u["name"], int(u["year"]), u.get("group", ""), tuple(u.get("aliases", ())))
        for u in data["units"]
    )
    names = [normalize_org_name(n) for u in units for n in (u.name, *u.aliases)]
    if len(names) != len(set(names)):
        raise RubricError("roster.toml names a unit twice")
    return units


_SPACE = re.compile(r"\s+")


def normalize_org_name(name: str) -> str:
    """Fold the ways one agency's name gets written: width, spaces, 中共/益阳 prefixes."""
    text = unicodedata.normalize("NFKC", str(name))
    text = _SPACE.sub("", text)
    text = text.replace("(", "（").replace(")", "）")
    for prefix in ("中国共产党", "中共"):
        if text.startswith(prefix + "益阳市"):
            text = text[len(prefix):]
    if text.startswith("益阳市"):
        text = "市" + text[len("益阳市"):]
    return text


RUBRIC = load_rubric()
CONFIG = load_config()
ROSTER = load_roster()
_ROSTER_INDEX = {normalize_org_name(n): u for u in ROSTER for n in (u.name, *u.aliases)}


def find_roster_unit(name: str | None) -> RosterUnit | None:
    if not name:
        return None
    return _ROSTER_INDEX.get(normalize_org_name(name))
