"""A year of the made-up city (tests/data/made_up) under its made-up edition, which uses every construct an
edition can hold: workbooks written on the edition's own template, checked and recorded by the store,
decided and verified — the way a city running such a scheme would. Nothing in the code knows the edition.

The units and what each shows:
  市委办公室        everything met: 105 points with the bonus, grade 甲等; passed
  市政府办公室      食堂 (2.2) marked 不适用, 70 of the 80 points that apply: 87.5 judged, grade 乙等; passed
  市机关事务服务中心 ★ rule 2.3.1 at 0 (four requirements missing) with 85 points: not qualified, 退回补正
  市发展和改革局    the group finds gate rule 1.1.2 not met at 核定: cannot pass, 验收未通过 with the reason
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.batch import load_paths
from shared.demo import saved_formula_values, stamp_cached_values
from shared.rubric import City, load_city
from shared.store import APPROVE, REJECT, RETURN, STAGE_REVIEW, STAGE_SITE, InvalidDecision, Store
from shared.template import write_named_values, write_template

MADE_UP_CITY = load_city(Path(__file__).resolve().parent / "data" / "made_up" / "city.toml")
EDITION = MADE_UP_CITY.default_edition
YEAR = 2020
ALL_MET, SKIPPED, STAR_ZERO, GATE_FOUND_NOT_MET = "市委办公室", "市政府办公室", "市机关事务服务中心", "市发展和改革局"


def made_up_values(org: str, **changes: Any) -> dict[str, Any]:
    """A filled workbook of the made-up edition: everything met unless `changes` say otherwise. 1000 m², 50
    people, 15 tce (15 kgce/m², 0.75 of the 市直 average of 20: 20 points), water down 5 % (target 3 %)."""
    values = {"org_name": org, "org_category": MADE_UP_CITY.categories.city, "org_address": "某路 1 号",
              "contact_name": "李四", "contact_phone": "13900000000", "assess_year": YEAR,
              "org_profile": "本单位" * 50, "achievements": "创建" * 350, "floor_area_m2": 1000, "headcount": 50,
              "energy_tce": 15, "water_t": 950, "base_floor_area_m2": 1000, "base_headcount": 50,
              "base_energy_tce": 16, "base_water_t": 1000,
              "score_1_1_2": 1, "score_2_1_1": 10, "score_2_1_2": 10, "score_2_2_1": 20, "count_2_3_1": 0,
              "score_4_1_1": 5}
    for rule in EDITION.rules:
        if not rule.computed:
            values[rule.evidence_name] = f"{rule.id}/材料.pdf"
    values.update(changes)
    return values


CASES = {
    ALL_MET: made_up_values(ALL_MET),
    SKIPPED: made_up_values(SKIPPED, na_2_2="不适用", score_2_2_1=None, score_2_1_1=0, score_4_1_1=0),
    STAR_ZERO: made_up_values(STAR_ZERO, count_2_3_1=4),
    GATE_FOUND_NOT_MET: made_up_values(GATE_FOUND_NOT_MET),
}


def write_workbooks(folder: Path, city: City = MADE_UP_CITY, stamp: bool = True) -> list[Path]:
    """Each case on the edition's own template; with `stamp`, the values a calculating engine saves (without,
    LibreOffice is to calculate them)."""
    folder.mkdir(parents=True, exist_ok=True)
    template = write_template(folder / "template.xlsx", EDITION.name, city)
    paths = []
    for org, values in CASES.items():
        path = write_named_values(template, folder / f"{org}.xlsx", values)
        if stamp:
            path.write_bytes(stamp_cached_values(path.read_bytes(), saved_formula_values(values, EDITION, city.config)))
        paths.append(path)
    return paths


def run_year(store: Store, paths: list[Path]) -> dict[str, Any]:
    """Load, decide and verify the cases; returns what each step said (the refusals' messages included)."""
    loaded = load_paths(store, paths)
    assert not loaded.refused, loaded.refused
    by_org = {v.unit_name: v for v in loaded}
    said: dict[str, Any] = {"versions": by_org}

    def verify_at_claims(version, revision, **scores):
        rules = {r.id: (scores.get(r.key, version.rules[r.id]["score"]), True, "现场核查" if r.key in scores else "")
                 for r in EDITION.rules if not r.computed}
        return store.verify_rules(version.id, rules, "李评价", revision)

    for org in (ALL_MET, SKIPPED):
        version = by_org[org]
        revision = store.decide(version.id, STAGE_REVIEW, APPROVE, "", "张初审", version.revision).revision
        card = verify_at_claims(version, revision)
        store.decide(version.id, STAGE_SITE, APPROVE, "", "王组长", card.revision)

    star = by_org[STAR_ZERO]
    try:
        store.decide(star.id, STAGE_REVIEW, APPROVE, "", "张初审", star.revision)
    except InvalidDecision as refused:
        said["review_refused"] = str(refused)
    store.decide(star.id, STAGE_REVIEW, RETURN, "★ 项计量未达到，请整改后重新申报", "张初审", star.revision)

    gate = by_org[GATE_FOUND_NOT_MET]
    revision = store.decide(gate.id, STAGE_REVIEW, APPROVE, "", "张初审", gate.revision).revision
    card = verify_at_claims(gate, revision, **{"1_1_2": "0"})
    said["gate_card"] = card
    try:
        store.decide(gate.id, STAGE_SITE, APPROVE, "", "王组长", card.revision)
    except InvalidDecision as refused:
        said["site_refused"] = str(refused)
    decided = store.decide(gate.id, STAGE_SITE, REJECT, "", "王组长", card.revision)
    said["rejected"] = decided
    said["versions"] = {org: store.version(v.id) for org, v in by_org.items()}
    return said
