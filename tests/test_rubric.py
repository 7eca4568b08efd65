"""The rubric data: numbers add up, texts are 附件1's, ids and names follow the CONTRACT."""
import re
from decimal import Decimal
from pathlib import Path

import pytest

from brief import SEED, needs_seed
from shared.rubric import CITY, CONFIG, RUBRIC, ROSTER, RubricError, find_roster_unit, load_city, load_rubric, normalize_org_name


CONTRACT_ITEM_CAPS = {"1.1": 10, "2.1": 8, "2.2": 20, "3.1": 12, "3.2": 6, "3.3": 5, "4.1": 7, "4.2": 8,
                      "4.3": 7, "5.1": 12, "5.2": 5}


def test_shape_is_five_units_eleven_items_thirty_six_rules():
    assert [u.id for u in RUBRIC.units] == ["1", "2", "3", "4", "5"]
    assert len(RUBRIC.items) == 11 and len(RUBRIC.rules) == 36


def test_caps_match_the_contract_and_sum_to_100():
    assert {i.id: int(i.cap) for i in RUBRIC.items} == CONTRACT_ITEM_CAPS
    assert [int(u.cap) for u in RUBRIC.units] == [10, 28, 23, 22, 17]
    assert sum(u.cap for u in RUBRIC.units) == RUBRIC.total == 100
    assert RUBRIC.qualify_at == 80


def test_every_items_rule_maxima_sum_to_its_cap():
    for item in RUBRIC.items:
        assert sum(r.points for r in item.rules) == item.cap, item.id


def test_allowed_values_are_steps_from_zero_to_the_maximum():
    assert RUBRIC.rule("2.2.3").allowed == tuple(Decimal(v) for v in (0, 2, 4, 6))
    assert RUBRIC.rule("2.2.5").allowed == tuple(Decimal(v) for v in range(5))
    assert RUBRIC.rule("3.3.1").allowed == (Decimal(0), Decimal("2.5"))
    assert RUBRIC.rule("5.1.2").allowed == tuple(Decimal(v) for v in range(4))
    for rule in RUBRIC.rules:
        assert rule.allowed[0] == 0 and rule.allowed[-1] == rule.points


def test_only_the_three_energy_rules_are_computed():
    assert [r.id for r in RUBRIC.computed_rules] == ["1.1.1", "1.1.2", "1.1.3"]
    assert [int(r.points) for r in RUBRIC.computed_rules] == [4, 3, 3]


@needs_seed
def test_rule_texts_are_verbatim_from_the_seed():
    seed = re.sub(r"\s+", "", SEED.read_text(encoding="utf-8"))
    for rule in RUBRIC.rules:
        assert re.sub(r"\s+", "", rule.text) in seed, rule.id
    assert re.sub(r"\s+", "", RUBRIC.item("1.1").text) in seed
    for note in RUBRIC.notes:
        assert re.sub(r"\s+", "", note) in seed


def test_defined_names_use_underscores():
    assert RUBRIC.rule("2.2.5").score_name == "score_2_2_5"
    assert RUBRIC.rule("2.2.5").evidence_name == "evidence_2_2_5"
    assert RUBRIC.item("2.2").score_name == "item_2_2"


EDITION_2020 = Path(__file__).resolve().parents[1] / "shared" / "editions" / "yiyang-2020.toml"


@pytest.mark.parametrize("change, message", [
    (('points = "6"', 'points = "7"'), "yiyang-2020.toml：项目 2.2：各规则最高分之和 21 与项目上限 20 不符"),
    (('cap = "8"', 'cap = "9"'), "单元 2：各项目上限之和 29 与单元分值 28 不符"),
    (('allowed = ["0", "2", "4"]', 'allowed = ["2", "4"]'), "规则 2.1.2：允许分值应从 0 到本规则最高分 4"),
    (('indicator = "water_per_capita"', 'indicator = "water"'), "规则 1.1.2：自动计算的规则须指明已知的能耗指标"),
    (('qualify_at = "80"', 'qualify_at = "八十"'), "yiyang-2020.toml：“八十”不是数值"),
    (('id = "2.2.5"', 'id = "2.2.4"'), "规则 2.2.4：编号重复"),
    (('name = "yiyang-2020"', 'name = "other"'), "name = \"other\" 与文件名不符"),
])
def test_broken_data_is_refused_at_load_in_chinese(tmp_path, change, message):
    broken = tmp_path / "yiyang-2020.toml"
    broken.write_text(EDITION_2020.read_text(encoding="utf-8").replace(*change, 1), encoding="utf-8")
    with pytest.raises(RubricError) as refused:
        load_rubric(broken)
    assert message in str(refused.value)


def test_the_2020_edition_is_named_dated_and_applies_from_2020():
    assert RUBRIC.name == "yiyang-2020" and RUBRIC.issued == "2020"
    assert CITY.edition_for(2020) is CITY.edition_for(2035) is CITY.edition_for(None) is RUBRIC
    assert CITY.years_of("yiyang-2020") == "2020-"


def test_energy_targets_2020_and_fallbacks():
    t = CONFIG.energy_targets(2020)
    assert t.percent == {"energy_per_capita": Decimal("2.5"), "water_per_capita": Decimal("2.5"),
                         "energy_per_area": Decimal("2.0")}
    assert CONFIG.energy_targets(2023).year == max(CONFIG.energy)  # latest earlier year's
    assert CONFIG.energy_targets(2019).year == min(CONFIG.energy)
    assert CONFIG.energy_targets(None).year == min(CONFIG.energy)


def test_creation_targets():
    assert CONFIG.creation_target(2021, "市直党政机关") == 50
    assert CONFIG.creation_target(2022, "区县（市）党政机关") == 70


def test_roster_has_76_units_by_year_and_group():
    assert len(ROSTER) == 76
    by_year = {y: sum(1 for u in ROSTER if u.year == y) for y in (2020, 2021, 2022)}
    assert by_year == {2020: 33, 2021: 28, 2022: 15}
    groups = {u.group for u in ROSTER}
    assert {"市委市政府大院", "市人大大院", "市政协大院", "独立庭院", "合署办公"} <= groups
    assert sum(1 for u in ROSTER if u.group == "合署办公") == 9
    assert ROSTER[0].name == "市纪委市监委机关" and ROSTER[-1].name == "市气象局"


@pytest.mark.parametrize("written, listed", [
    ("益阳市教育局", "市教育局"),
    ("中共益阳市委办公室", "市委办公室"),
    (" 市 委 组织部 ", "市委组织部"),
    ("市社会科学界联合会", "市社会科学届联合会"),
    ("国家税务总局益阳市税务局", "益阳市税务局"),
])
def test_roster_lookup_folds_common_variants(written, listed):
    assert find_roster_unit(written).name == listed


def test_unknown_names_are_not_on_the_roster():
    assert find_roster_unit("市某某局") is None
    assert find_roster_unit("") is None
    assert normalize_org_name("（市）") == normalize_org_name("(市)")


# --- the constructs of other schemes (issue 15), each refused in Chinese when it contradicts itself ------

EDITIONS = Path(__file__).resolve().parents[1] / "shared" / "editions"
MADE_UP = Path(__file__).resolve().parent / "data" / "made_up" / "editions" / "made-up-2099.toml"


@pytest.mark.parametrize("source, change, message", [
    (MADE_UP, ('{above = "0.8", up_to = "1.0", points = "12"}', '{above = "0.85", up_to = "1.0", points = "12"}'),
     "规则 3.1.1：分档有空档：上一档到 0.8 为止，下一档从 0.85 起"),
    (MADE_UP, ('{above = "0.8", up_to = "1.0", points = "12"}', '{above = "0.7", up_to = "1.0", points = "12"}'),
     "规则 3.1.1：分档有重叠"),
    (MADE_UP, ('{above = "1.25", points = "0"}]', '{above = "1.25", up_to = "2", points = "0"}]'),
     "最后一档应不写 up_to"),
    (MADE_UP, ('{above = "1.25", points = "0"}]', '{above = "1.25", points = "3"}]\n    star = true'),
     "规则 3.1.1：★ 规则的分档中没有 0 分，★ 永远不会生效"),
    (MADE_UP, ('bonus = "5"', 'bonus = "10"'), "附加分单元分值之和 5 与附加分 bonus = 10 不符"),
    (MADE_UP, ('name = "乙等"\nat = "80"', 'name = "乙等"\nat = "95"'), "等级“乙等”的分数线 95 应低于上一等级“甲等”的 90"),
    (MADE_UP, ('unit = "3"', 'unit = "9"'), "合格条件：没有可计分的单元 9"),
    (MADE_UP, ('kind = "gate"', 'kind = "gates"'), "不是已知的单元类型"),
    (MADE_UP, ('deduct = "5"', 'deduct = "0"'), "每缺一项扣分 deduct = 0 应大于 0"),
    (MADE_UP, ('  star = true\n  method = "查阅资料"', '  star = true\n  may_skip = true\n  method = "查阅资料"'),
     "项目 2.1：★ 项目不能“不评分”"),
    (EDITIONS / "central-2024-example.toml", ('  name = "年度节能目标"', '  name = "年度节能目标"\n  may_skip = true'),
     "项目 1.1：必须完成项不能“不评分”"),
    (EDITIONS / "model-unit-example.toml", ('cap = "12"\n  star = true', 'cap = "13"\n  star = true'),
     "单元 1：各项目上限之和 21 与单元分值 20 不符"),
])
def test_a_construct_that_contradicts_itself_is_refused_naming_file_item_and_problem(tmp_path, source, change, message):
    broken = tmp_path / source.name
    text = source.read_text(encoding="utf-8")
    assert change[0] in text
    broken.write_text(text.replace(*change, 1), encoding="utf-8")
    with pytest.raises(RubricError) as refused:
        load_rubric(broken)
    assert message in str(refused.value) and source.name in str(refused.value)


@pytest.mark.parametrize("path", [*sorted(EDITIONS.glob("*.toml")), MADE_UP], ids=lambda p: p.stem)
def test_every_shipped_edition_and_the_made_up_one_hold_together(path):
    edition = load_rubric(path)
    assert sum(u.cap for u in edition.units if u.kind == "scored") == edition.total
    assert sum(u.cap for u in edition.units if u.kind == "bonus") == edition.bonus
    for item in edition.scored_items:
        assert sum(r.points for r in item.rules) == item.cap, item.id
    ids = [r.id for r in edition.rules]
    assert len(ids) == len(set(ids))
    if edition.name != "yiyang-2020":  # the examples say what they are
        assert "不是" in edition.example and "正式" in edition.example
    assert all(r.method for r in edition.rules) or edition.name == "yiyang-2020"


def test_the_examples_hold_the_constructs_they_are_examples_of():
    central = load_rubric(EDITIONS / "central-2024-example.toml")
    assert [u.kind for u in central.units] == ["gate", "scored"] and len(central.units[1].items) == 6
    assert "反食品浪费" in [i.name for i in central.units[1].items] and central.qualify_at == 80
    model = load_rubric(EDITIONS / "model-unit-example.toml")
    assert model.bonus == 10 and model.maximum == 110 and model.qualify_at == 85
    assert any(i.star for i in model.items) and any(r.bands for r in model.rules)
    assert [g.name for g in model.grades] == ["优秀", "良好"]


def test_a_year_scored_by_bands_needs_its_same_type_averages(tmp_path):
    import shutil

    folder = tmp_path / "city"
    shutil.copytree(MADE_UP.parents[1], folder)
    targets = folder / "targets.toml"
    text = targets.read_text(encoding="utf-8")
    targets.write_text(text[:text.index("[benchmarks.2020]")], encoding="utf-8")
    with pytest.raises(RubricError, match="按同类平均值分档计分（规则 3.1.1），但没有配置同类平均值"):
        load_city(folder / "city.toml")


def test_an_edition_hashes_as_its_fields_and_leaves_the_cached_hash_out_of_pickles():
    """Rules and editions are cache keys in every check: hashed once, equal ones alike, and a pickle (a worker,
    another process's PYTHONHASHSEED) carries no hash of this process."""
    import dataclasses
    import pickle

    rule = RUBRIC.rules[0]
    twin = dataclasses.replace(rule)
    assert twin == rule and twin is not rule and hash(twin) == hash(rule)
    assert hash(dataclasses.replace(rule, points=rule.points + 1)) != hash(rule)
    hash(RUBRIC)
    copied = pickle.loads(pickle.dumps(RUBRIC))
    assert "_hash" not in copied.__dict__ and "_hash" not in copied.rules[0].__dict__
    assert copied == RUBRIC and hash(copied) == hash(RUBRIC)
    assert {RUBRIC: 1}[copied] == 1
