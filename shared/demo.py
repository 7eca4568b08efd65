"""Demo data: an inbox of submissions from the 附件4 units, as units really send them.

Most are complete and qualify; some fall short of the pass mark; some carry each kind of problem. Names,
units, districts and the rubric edition are the configured city's (shared/city.toml). Packages are
zipped the way Windows Explorer, WinRAR, 7-Zip, WPS and macOS Finder zip them.
"""
from __future__ import annotations

import io
import math
import random
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

from .energy import ENERGY, scored_energy
from .rubric import CATEGORY_CITY, CATEGORY_COUNTY, CITY, INDICATORS, ROSTER, Config, RosterUnit, Rubric
from .checks import skipped_of
from .scoring import indicator_value, parse_year, rescore

DEMO_YEAR = 2020
_DEMO_STAMP = datetime(DEMO_YEAR + 1, 1, 15, 9, 30)  # when the demo's files were "written"
EVIDENCE_DIR = "佐证材料"
RUBRIC = CITY.edition_for(DEMO_YEAR)  # the edition the demo year is scored under

# The district whose units appear in the demo as 区县（市）党政机关.
DEMO_DISTRICT = CITY.demo_district
DEMO_COUNTY_UNITS = tuple(f"{DEMO_DISTRICT}{office}" for office in (
    "机关事务服务中心", "发展和改革局", "财政局", "教育局", "卫生健康局", "住房和城乡建设局"))

_PROFILE = ("{name}是{city}{kind}，内设科室{rooms}个，现有干部职工{people}人，办公楼建筑面积{area}平方米。"
            "单位高度重视节约型机关创建工作，成立了由主要负责同志任组长的节约能源资源工作领导小组，"
            "明确了分管领导和创建专干，将节能降耗纳入年度重点工作。")
_SENTENCES = (
    "一是健全制度体系，制定了节约用水、节约用电、公务用车管理等管理制度，并在物业服务合同中明确节能、节水和生活垃圾分类要求。",
    "二是实行分户、分区、分项计量，办公区与家属区水电单独计量，中心机房单独装表，建立了能源资源计量器具台账。",
    "三是按时报送能源资源消费统计数据，每季度分析能耗变化情况并在单位内部公示。",
    "四是推行无纸化办公，公文流转、会议通知全部通过办公系统完成，纸张使用量同比明显下降。",
    "五是完成办公区照明改造，高效照明光源使用率达到百分之百，公共区域安装声控和感应开关。",
    "六是严格执行空调温度控制标准，夏季不低于26摄氏度、冬季不高于20摄氏度，下班前专人巡查关机。",
    "七是更换节水龙头和节水型便器，安排专人定期巡查用水设备并做好维护记录。",
    "八是优先采购节能节水环保产品，更新公务用车时优先选购新能源汽车，实行单车能耗核算和统计台账管理。",
    "九是全面推行生活垃圾分类，合理配置分类垃圾容器，张贴投放指南，有害垃圾单独存放，可回收物统一回收。",
    "十是开展光盘行动，食堂推行小份菜，减少一次性餐具和纸杯使用，停止使用不可降解一次性塑料制品。",
    "十一是结合全国节能宣传周、全国低碳日、世界水日等开展主题宣传活动，张贴节电、节水、垃圾分类提醒标识。",
    "十二是将节能节水和垃圾分类纳入干部职工培训内容，邀请专家举办生态文明知识讲座，领导干部带头参加绿色出行活动。",
    "下一步，我们将持续巩固创建成果，进一步完善长效机制，努力把节约型机关创建工作不断引向深入。",
)

# What each rule's evidence is called, by item of the 2020 附件1.
_EVIDENCE_EDITION = "yiyang-2020"
_EVIDENCE_NAMES = {
    "2.1": ("领导小组成立文件.pdf", "岗位职责与创建专干任命.pdf"),
    "2.2": ("专题会议纪要.pdf", "物业服务合同节能条款.pdf", "计量器具台账.xlsx", "能耗统计报表.pdf", "节约能源资源管理制度汇编.docx"),
    "3.1": ("无纸化办公系统截图.png", "照明改造验收单.jpg", "自然采光通风照片.jpg", "空调温度控制通知.pdf", "节水器具照片.jpg", "用水设备巡查记录.pdf"),
    "3.2": ("绿色产品采购清单.pdf", "新能源公务用车登记证.jpg"),
    "3.3": ("低碳出行倡议.pdf", "公务用车单车能耗台账.xlsx"),
    "4.1": ("光盘行动照片.jpg", "减少一次性用品通知.pdf", "禁用塑料制品通知.pdf"),
    "4.2": ("分类垃圾容器照片.jpg", "投放指南张贴照片.jpg", "分类投放检查记录.pdf"),
    "4.3": ("有害垃圾存放点照片.jpg", "可回收物回收协议.pdf", "餐厨垃圾收运合同.pdf", "垃圾清运台账.xlsx"),
    "5.1": ("节能宣传周活动照片.jpg", "提醒标识照片.jpg", "媒体报道截图.png", "领导参加活动照片.jpg"),
    "5.2": ("培训计划.docx", "知识讲座签到表.pdf"),
}


@dataclass
class DemoCase:
    """One submission to write: the values to put in the template and how to package it."""

    org: str
    category: str
    file_stem: str
    values: dict[str, Any]
    evidence: dict[str, bytes]  # path under 佐证材料/ -> content
    packer: str  # how the package is written: a key of PACKERS
    cached: bool = True  # whether formula cells carry the values Excel would have saved
    tamper: Callable[[dict[str, Any]], None] | None = None  # changes to saved formula values
    raw: bytes | None = None  # a file sent instead of a workbook
    problem: str | None = None  # the PROBLEMS key this case was given, if any
    extra: dict[str, Any] = field(default_factory=dict)


def _figures(rng: random.Random, meet: bool) -> dict[str, Any]:
    people = rng.randrange(40, 420)
    area = round(people * rng.uniform(18, 32), 1)
    per_capita = rng.uniform(260, 520)  # kgce/人
    water_pc = rng.uniform(14, 36)  # 吨/人
    drop = rng.uniform(0.03, 0.09) if meet else rng.uniform(-0.02, 0.015)
    energy = round(per_capita * people / 1000, 2)
    water = round(water_pc * people)
    base_people = people + rng.choice((0, 0, 0, 2, -1, 5))
    return {
        "floor_area_m2": area, "headcount": people, "energy_tce": energy, "water_t": water,
        "base_floor_area_m2": area, "base_headcount": base_people,
        "base_energy_tce": round(energy / (1 - drop) * base_people / people, 2),
        "base_water_t": round(water / (1 - drop * rng.uniform(0.9, 1.4)) * base_people / people),
    }


def _as_bills(values: dict[str, Any], rng: random.Random) -> None:
    """Replace both years' typed energy totals by bills (mostly electricity, some gas and petrol) that the
    能耗折算 sheet converts back to about the same totals."""
    conversion = ENERGY.conversion_for(DEMO_YEAR).coefficients
    shares = {"electricity_kwh": rng.uniform(0.6, 0.8), "natural_gas_m3": rng.uniform(0.1, 0.25)}
    shares["gasoline_l"] = 1 - sum(shares.values())
    for base in (True, False):
        tce = values.pop(("base_" if base else "") + "energy_tce")
        for key, share in shares.items():
            amount = Decimal(str(tce)) * Decimal(str(share)) * 1000 / conversion[key].kgce_per_unit
            values[("base_" if base else "") + "use_" + key] = int(amount)


def _achievements(rng: random.Random, name: str) -> str:
    text = f"{DEMO_YEAR}年，{name}按照《{CITY.action_plan}》要求，对照评价指标逐项落实创建任务。"
    pool = list(_SENTENCES[:-1])
    while len(text) < 640:
        text += pool.pop(rng.randrange(len(pool))) if pool else ""
        if not pool:
            break
    text += _SENTENCES[-1]
    return text[:790]


def _evidence_for(rng: random.Random, org: str) -> tuple[dict[str, str], dict[str, bytes]]:
    """Evidence cell text by rule id, and the files by path under 佐证材料/."""
    cells, files = {}, {}
    for item in RUBRIC.items:
        claimed = [r for r in item.rules if not r.computed]  # the figures are the computed rules' evidence
        # 附件1's items have their files' real names; another edition's rules are named after their labels.
        names = _EVIDENCE_NAMES.get(item.id) if RUBRIC.name == _EVIDENCE_EDITION else None
        names = names or tuple(f"{r.label}.pdf" for r in claimed)
        if not names:
            continue
        folder = f"{item.id} {item.name}"
        for rule, file_name in zip(claimed, names):
            path = f"{folder}/{file_name}"
            cells[rule.id] = path
            files[path] = make_evidence_file(file_name, f"{org}\n{rule.id} {rule.label}", rng)
    return cells, files


def make_evidence_file(file_name: str, caption: str, rng: random.Random) -> bytes:
    """A small but real file of the type its name says (PDF, image, Word or Excel)."""
    from .template import reproducible_zip, workbook_bytes

    # Every file carries the demo's own dates, never today's: the same seed gives the same bytes, so a
    # second `jyjg demo` finds every submission already recorded.
    suffix = Path(file_name).suffix.lower()
    if suffix in (".jpg", ".png", ".pdf"):
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (320, 220), tuple(rng.randrange(170, 250) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        draw.text((12, 12), caption, fill=(30, 30, 30), font=_font())
        draw.rectangle((10, 120, 310, 210), outline=(60, 90, 60), width=3)
        out = io.BytesIO()
        dated = {"creationDate": _DEMO_STAMP.timetuple(), "modDate": _DEMO_STAMP.timetuple()} if suffix == ".pdf" else {}
        image.save(out, {"jpg": "JPEG", "png": "PNG", "pdf": "PDF"}[suffix[1:]], **dated)
        return out.getvalue()
    if suffix == ".docx":
        from docx import Document

        document = Document()
        document.core_properties.created = document.core_properties.modified = _DEMO_STAMP
        document.add_heading(Path(file_name).stem, level=1)
        document.add_paragraph(caption)
        out = io.BytesIO()
        document.save(out)
        return reproducible_zip(out.getvalue())
    if suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        book.properties.created = book.properties.modified = _DEMO_STAMP
        book.active.append(["序号", "内容", "日期"])
        for i in range(1, 6):
            book.active.append([i, caption.splitlines()[-1], f"{DEMO_YEAR}-0{i}-15"])
        return workbook_bytes(book)
    return caption.encode("utf-8")


_FONT_CACHE: list = []


def _font():
    """A CJK font when the machine has one (fonts-noto-cjk), else Pillow's default."""
    if not _FONT_CACHE:
        from PIL import ImageFont

        for candidate in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                          "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"):
            if Path(candidate).exists():
                _FONT_CACHE.append(ImageFont.truetype(candidate, 16))
                break
        else:
            _FONT_CACHE.append(ImageFont.load_default())
    return _FONT_CACHE[0]


def _base_values(rng: random.Random, org: str, category: str, meet_energy: bool = True) -> dict[str, Any]:
    figures = _figures(rng, meet_energy)
    profile = _PROFILE.format(name=org, city=CITY.name, kind="党政机关", rooms=rng.randrange(5, 16),
                              people=figures["headcount"], area=figures["floor_area_m2"])
    values = {
        "org_name": org, "org_category": category, "org_address": f"{CITY.name}{DEMO_DISTRICT}{rng.choice(('桃花仑', '金山', '龙洲'))}路{rng.randrange(1, 400)}号",
        "contact_name": rng.choice(("张", "李", "王", "刘", "陈", "杨", "周")) + rng.choice(("伟", "芳", "敏", "静", "磊", "洋", "勇")),
        "contact_phone": f"13{rng.randrange(100000000, 999999999)}", "assess_year": DEMO_YEAR,
        "org_profile": profile[:300], "achievements": _achievements(rng, org), **figures,
    }
    for rule in RUBRIC.rules:
        if rule.deduct is not None:
            values[rule.claim_name] = 0  # nothing missing
        elif not rule.computed:
            values[rule.score_name] = float(rule.points) if float(rule.points) != int(rule.points) else int(rule.points)
    return values


def _drop_rules(rng: random.Random, values: dict[str, Any], evidence: dict[str, str], points: float) -> None:
    """Claim 0 on random rules until about `points` are given up."""
    rules = [r for r in RUBRIC.rules if not r.computed]
    rng.shuffle(rules)
    lost = 0
    for rule in rules:
        if lost >= points:
            break
        values[rule.claim_name] = math.ceil(rule.points / rule.deduct) if rule.deduct is not None else 0  # all missing
        evidence.pop(rule.id, None)
        lost += float(rule.points)


def demo_cases(seed: int = DEMO_YEAR) -> list[DemoCase]:
    """Every demo submission, deterministically from the seed."""
    rng = random.Random(seed)
    submitting = [u for u in ROSTER if u.year == 2020] + [u for u in ROSTER if u.year == 2021][:22] + \
                 [u for u in ROSTER if u.year == 2022][:5]
    problems = list(PROBLEMS)
    cases = []
    for index, unit in enumerate(submitting):
        values = _base_values(rng, unit.name, CATEGORY_CITY, meet_energy=rng.random() > 0.15)
        cells, files = _evidence_for(rng, unit.name)
        packer = PACKER_CYCLE[index % len(PACKER_CYCLE)]
        case = DemoCase(unit.name, CATEGORY_CITY, f"{unit.name}_节约型机关申报_{DEMO_YEAR}", values, files, packer)
        case.extra["evidence_cells"] = cells
        if index % 9 == 4:  # some fall short of 80
            _drop_rules(rng, values, cells, rng.uniform(21, 35))
        elif index % 9 in (2, 6, 8) and problems:
            case.problem = problems.pop(0)
            PROBLEMS[case.problem](case, rng)
        if case.problem is None and index % 3 == 1:  # a third fill the 能耗折算 sheet from their bills
            _as_bills(values, random.Random(f"{seed}-{unit.name}"))
        cases.append(case)
    while problems:  # any problem left gets a 区县 unit of its own
        name = DEMO_COUNTY_UNITS[len(problems) % len(DEMO_COUNTY_UNITS)] + f"（{len(problems)}）"
        case = _county_case(rng, name, len(cases))
        case.problem = problems.pop(0)
        PROBLEMS[case.problem](case, rng)
        cases.append(case)
    for i, name in enumerate(DEMO_COUNTY_UNITS[:4]):
        cases.append(_county_case(rng, name, i))
    for case in cases:
        for rid, text in case.extra.pop("evidence_cells").items():
            case.values.setdefault(RUBRIC.rule(rid).evidence_name, text)
    return cases


def _county_case(rng: random.Random, name: str, index: int) -> DemoCase:
    values = _base_values(rng, name, CATEGORY_COUNTY)
    cells, files = _evidence_for(rng, name)
    case = DemoCase(name, CATEGORY_COUNTY, f"{name}_节约型机关申报_{DEMO_YEAR}", values, files,
                    PACKER_CYCLE[index % len(PACKER_CYCLE)])
    case.extra["evidence_cells"] = cells
    return case


# --- the problems a real inbox holds, one function each -------------------------------------------

def _claim_rules(*preferred: str, steps: int = 2) -> list:
    """The rules a problem is put on: 附件1's own when the edition has them all, else the edition's first rules
    scored by a claim among listed values (at least `steps` of them), so that every edition's demo has it."""
    ids = {r.id for r in RUBRIC.rules}
    if all(p in ids for p in preferred):
        return [RUBRIC.rule(p) for p in preferred]
    found = [r for r in RUBRIC.rules if r.kind == "claim" and not r.gate and len(r.allowed) >= steps]
    return (found * len(preferred))[:len(preferred)]


def _over_cap(case: DemoCase, rng: random.Random) -> None:
    rule, = _claim_rules("2.2.5")
    case.values[rule.score_name] = _num(rule.points + 2)


def _invalid_values(case: DemoCase, rng: random.Random) -> None:
    between, text = _claim_rules("2.2.3", "3.1.2", steps=3)
    case.values[between.score_name] = _num((between.allowed[-2] + between.allowed[-1]) / 2)  # between two steps
    case.values[text.score_name] = "满分"


def _hand_total(case: DemoCase, rng: random.Random) -> None:
    case.tamper = lambda saved: saved.update(total_score=float(saved["total_score"]) + 3)


def _bad_headcount(case: DemoCase, rng: random.Random) -> None:
    case.values["headcount"] = 0


def _energy_claim(case: DemoCase, rng: random.Random) -> None:
    case.values["energy_tce"] = round(case.values["base_energy_tce"] * 1.01, 2)
    # The unit saved full marks on the energy targets its figures miss.
    claimed = {r.score_name: _num(r.points) for r in RUBRIC.computed_rules
               if not r.bands and not r.gate and r.indicator in ("energy_per_capita", "energy_per_area")}
    case.tamper = lambda saved: saved.update(claimed)


def _tce_as_kgce(case: DemoCase, rng: random.Random) -> None:
    case.values["energy_tce"] = round(case.values["energy_tce"] * 1000)
    case.values["base_energy_tce"] = round(case.values["base_energy_tce"] * 1000)


def _evidenced_rules(case: DemoCase, *preferred: str) -> list[str]:
    """The rules an evidence problem is put on: 附件1's own when the edition has them, else its first ones."""
    cells = case.extra["evidence_cells"]
    if all(p in cells for p in preferred):
        return list(preferred)
    return list(cells)[:len(preferred)]


def _no_evidence(case: DemoCase, rng: random.Random) -> None:
    for rid in _evidenced_rules(case, "2.1.1", "2.1.2", "5.1.3"):
        case.extra["evidence_cells"].pop(rid)
        case.values[RUBRIC.rule(rid).evidence_name] = None


def _missing_file(case: DemoCase, rng: random.Random) -> None:
    rid, = _evidenced_rules(case, "2.2.1")
    case.evidence.pop(case.extra["evidence_cells"][rid])


def _unsafe_path(case: DemoCase, rng: random.Random) -> None:
    rid, = _evidenced_rules(case, "3.2.1")
    case.extra["evidence_cells"][rid] = "../../财务/采购清单.pdf"


def _broken_files(case: DemoCase, rng: random.Random) -> None:
    cells = case.extra["evidence_cells"]
    photo, table = _evidenced_rules(case, "4.2.1", "2.2.4")
    case.evidence[cells[photo]] = b"\xff\xd8\xff\xe0 not really a photo"
    case.evidence[cells[table]] = b""


def _long_texts(case: DemoCase, rng: random.Random) -> None:
    case.values["org_profile"] = case.values["org_profile"] * 2
    case.values["achievements"] = case.values["achievements"][:420]


def _missing_fields(case: DemoCase, rng: random.Random) -> None:
    case.values["contact_phone"] = None
    case.values["org_address"] = None


def _off_roster(case: DemoCase, rng: random.Random) -> None:
    case.values["org_name"] = case.org.replace("市", CITY.name, 1) + "机关"
    case.category = CATEGORY_CITY
    case.values["org_category"] = CATEGORY_CITY


def _resubmitted(case: DemoCase, rng: random.Random) -> None:
    case.extra["twin"] = True  # written twice: a zip and, a week later, the bare workbook


def _old_xls(case: DemoCase, rng: random.Random) -> None:
    case.raw = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    case.packer = "bare"
    case.file_stem += ".xls"


def _foreign_sheet(case: DemoCase, rng: random.Random) -> None:
    from openpyxl import Workbook

    from .template import workbook_bytes

    book = Workbook()
    book.properties.created = book.properties.modified = _DEMO_STAMP
    book.active.title = "自评"
    book.active.append(["序号", "项目", "自评得分"])
    for i, item in enumerate(RUBRIC.items, 1):
        book.active.append([i, item.name, float(item.cap)])
    case.raw = workbook_bytes(book)
    case.packer = "bare"
    case.file_stem += ".xlsx"


def _zip_slip(case: DemoCase, rng: random.Random) -> None:
    case.packer = "slip"


def _no_cached_values(case: DemoCase, rng: random.Random) -> None:
    case.cached = False


PROBLEMS: dict[str, Callable[[DemoCase, random.Random], None]] = {
    "over_cap": _over_cap, "invalid_values": _invalid_values, "hand_total": _hand_total,
    "bad_headcount": _bad_headcount, "energy_claim": _energy_claim, "tce_as_kgce": _tce_as_kgce,
    "no_evidence": _no_evidence, "missing_file": _missing_file, "unsafe_path": _unsafe_path,
    "broken_files": _broken_files, "long_texts": _long_texts, "missing_fields": _missing_fields,
    "off_roster": _off_roster, "resubmitted": _resubmitted, "old_xls": _old_xls,
    "foreign_sheet": _foreign_sheet, "zip_slip": _zip_slip, "no_cached_values": _no_cached_values,
}


# --- writing workbooks and packages --------------------------------------------------------------

def saved_formula_values(values: dict[str, Any], rubric: Rubric = RUBRIC, config: Config = CITY.config) -> dict[str, Any]:
    """What Excel would have saved in the named formula cells of an edition's template for these inputs."""
    year = parse_year(values.get("assess_year"))
    energy = scored_energy(values.get, ENERGY.conversion_for(year))
    values = {**values, **energy}
    card = rescore({r.id: values.get(r.claim_name) for r in rubric.rules}, values, year, rubric, config,
                   values.get("org_category"), skipped_of(values, rubric)).card
    saved: dict[str, Any] = {"total_score": _num(card.total)}
    saved.update({name: float(value) if isinstance(value, Decimal) else (value if value is not None else "")
                  for name, value in energy.items()})
    saved.update({item.score_name: _num(card.items[item.id]) for item in rubric.items})
    # Formula cells of rules: computed from the figures, or a deduction from its count of what is missing.
    saved.update({rule.score_name: _num(card.rules[rule.id]) for rule in rubric.rules
                  if rule.computed or rule.deduct is not None})
    saved.update({"applicable_points": _num(card.applicable), "qualifies": int(card.qualifies), "grade": card.grade or ""})
    for key, indicator in INDICATORS.items():
        value = indicator_value(values, indicator)
        saved[key] = float(value) if value is not None else ""
    return saved


def stamp_cached_values(xlsx: bytes, values: dict[str, Any]) -> bytes:
    """Write cached results into named formula cells, as Excel does when it saves.

    openpyxl writes formulas without results; real submissions carry them, and the checker reads them.
    """
    from lxml import etree

    from .template import reproducible_zip

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    book = etree.fromstring(parts["xl/workbook.xml"])
    rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {r.get("Id"): r.get("Target").lstrip("/").removeprefix("xl/") for r in rels}
    sheet_parts = {s.get("name"): "xl/" + targets[s.get(f"{{{rel_ns}}}id")] for s in book.iter(f"{{{main}}}sheet")}
    wanted: dict[str, dict[str, Any]] = {}
    for name in book.iter(f"{{{main}}}definedName"):
        if name.get("name") in values and name.get("localSheetId") is None:
            sheet, ref = name.text.rsplit("!", 1)
            sheet = sheet.strip("'").replace("''", "'")
            wanted.setdefault(sheet_parts[sheet], {})[ref.replace("$", "")] = values[name.get("name")]
    for part, cells in wanted.items():
        root = etree.fromstring(parts[part])
        for cell in root.iter(f"{{{main}}}c"):
            if cell.get("r") not in cells or cell.find(f"{{{main}}}f") is None:
                continue
            value = cells[cell.get("r")]
            for old in cell.findall(f"{{{main}}}v"):
                cell.remove(old)
            v = etree.SubElement(cell, f"{{{main}}}v")
            if isinstance(value, str):
                cell.set("t", "str")
                v.text = value
            else:
                cell.attrib.pop("t", None)
                v.text = repr(float(value)) if not float(value).is_integer() else str(int(value))
        parts[part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return reproducible_zip(out.getvalue())


def _num(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def workbook_bytes(case: DemoCase, template: Path, scratch: Path) -> bytes:
    from .template import write_named_values

    out = scratch / "filled.xlsx"
    write_named_values(template, out, case.values)
    data = out.read_bytes()
    if case.cached:
        saved = saved_formula_values(case.values)
        if case.tamper:
            case.tamper(saved)
        data = stamp_cached_values(data, saved)
    return data


def _entries(case: DemoCase, workbook: bytes, top: str | None) -> list[tuple[str, bytes]]:
    prefix = f"{top}/" if top else ""
    entries = [(f"{prefix}{case.org}自评表.xlsx", workbook)]
    entries += [(f"{prefix}{EVIDENCE_DIR}/{path}", data) for path, data in sorted(case.evidence.items())]
    return entries


class _LegacyNameInfo(zipfile.ZipInfo):
    """A zip entry whose name bytes are written as given, without the UTF-8 flag (as old tools do)."""

    raw_name: bytes = b""

    def _encodeFilenameFlags(self):  # zipfile would re-encode the name as UTF-8 and set the flag
        return self.raw_name, self.flag_bits & ~0x800


def _zip(entries: list[tuple[str, bytes]], name_bytes: Callable[[str], tuple[bytes, bool]],
         extra: Callable[[str], bytes] = lambda n: b"") -> bytes:
    """A zip whose names are encoded as a given tool encodes them (bytes, and the UTF-8 flag)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            encoded, utf8_flag = name_bytes(name)
            stamp = (DEMO_YEAR, 10, 20, 9, 30, 0)
            if utf8_flag:
                info = zipfile.ZipInfo(name, stamp)
            else:
                info = _LegacyNameInfo(encoded.decode("cp437"), stamp)
                info.raw_name = encoded
            info.compress_type = zipfile.ZIP_DEFLATED
            info.extra = extra(name)
            archive.writestr(info, data)
    return out.getvalue()


def _gbk(name: str) -> tuple[bytes, bool]:
    return name.encode("gbk"), False


def _utf8_flagged(name: str) -> tuple[bytes, bool]:
    return name.encode("utf-8"), True


def _utf8_unflagged_nfd(name: str) -> tuple[bytes, bool]:
    return unicodedata.normalize("NFD", name).encode("utf-8"), False


def _unicode_path_extra(name: str) -> bytes:
    """Info-ZIP Unicode Path extra field (0x7075), as WinRAR and 7-Zip add beside legacy names."""
    import struct
    import zlib

    legacy = name.encode("gbk")
    utf8 = name.encode("utf-8")
    body = b"\x01" + struct.pack("<I", zlib.crc32(legacy)) + utf8
    return struct.pack("<HH", 0x7075, len(body)) + body


def _write_zip(case: DemoCase, workbook: bytes, folder: Path, tool: str) -> Path:
    top = case.file_stem
    entries = _entries(case, workbook, top)
    if tool == "explorer":  # Chinese Windows: GBK, no flag, one top folder
        data = _zip(entries, _gbk)
    elif tool == "winrar":  # GBK legacy names plus the Unicode path field
        data = _zip(entries, _gbk, _unicode_path_extra)
    elif tool in ("7zip", "wps"):  # UTF-8 with the flag; 7-Zip zips the folder's contents
        data = _zip(_entries(case, workbook, None) if tool == "7zip" else entries, _utf8_flagged)
    elif tool == "macos":  # Finder: UTF-8 (NFD) without the flag, plus __MACOSX and .DS_Store
        junk = [(f"__MACOSX/{top}/._{case.org}自评表.xlsx", b"\x00\x05\x16\x07"), (f"{top}/.DS_Store", b"\x00\x00\x00\x01Bud1")]
        data = _zip(entries + junk, _utf8_unflagged_nfd)
    elif tool == "slip":  # hostile: an entry that climbs out of the folder
        data = _zip(entries + [(f"{top}/../../outside.txt", b"x")], _utf8_flagged)
    else:
        raise ValueError(tool)
    path = folder / f"{case.file_stem}.zip"
    path.write_bytes(data)
    return path


def _write_folder(case: DemoCase, workbook: bytes, folder: Path) -> Path:
    package = folder / case.file_stem
    for name, data in _entries(case, workbook, None):
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return package


PACKER_CYCLE = ("explorer", "7zip", "folder", "winrar", "wps", "macos", "explorer", "folder")


def write_case(case: DemoCase, inbox: Path, template: Path, scratch: Path) -> list[Path]:
    if case.raw is not None:
        path = inbox / case.file_stem
        path.write_bytes(case.raw)
        return [path]
    workbook = workbook_bytes(case, template, scratch)
    if case.packer == "folder":
        written = [_write_folder(case, workbook, inbox)]
    elif case.packer == "bare":
        path = inbox / f"{case.file_stem}.xlsx"
        path.write_bytes(workbook)
        written = [path]
    else:
        written = [_write_zip(case, workbook, inbox, case.packer)]
    if case.extra.get("twin"):
        twin = inbox / f"{case.org}自评表（修改版）.xlsx"
        twin.write_bytes(workbook)
        written.append(twin)
    return written


# Units the 评价小组 returns for 补正 (退回补正) that send a corrected package later: their problem, fixed.
def _fix_over_cap(case: DemoCase) -> None:
    rule, = _claim_rules("2.2.5")  # the rule _over_cap put the claim on, under any edition
    case.values[rule.score_name] = _num(rule.points)


def _fix_missing_fields(case: DemoCase) -> None:
    case.values["contact_phone"] = "13907370421"
    case.values["org_address"] = f"{CITY.name}{DEMO_DISTRICT}龙洲路8号"


def _fix_resubmitted(case: DemoCase) -> None:
    case.extra.pop("twin", None)  # the whole package again, evidence included, not the bare workbook


def _fix_off_roster(case: DemoCase) -> None:
    case.values["org_name"] = case.org  # the name as 附件4 writes it


CORRECTIONS: dict[str, Callable[[DemoCase], None]] = {
    "over_cap": _fix_over_cap, "missing_fields": _fix_missing_fields, "resubmitted": _fix_resubmitted,
    "off_roster": _fix_off_roster,
}
INBOX_DIR = "收件箱"
RESUBMISSION_DIR = "补正材料"  # what units send after 退回补正: loaded once the 初审 is done
DISTRICT_LIST = f"{DEMO_DISTRICT}创建名单.xlsx"  # the district's list of creation units, as `jyjg roster import` reads it


def corrected_case(case: DemoCase) -> DemoCase:
    """The package a returned unit sends after 补正: the same submission with its problem fixed."""
    fixed = DemoCase(case.org, case.category, f"{case.file_stem}（补正）", dict(case.values), dict(case.evidence),
                     case.packer, extra=dict(case.extra))
    CORRECTIONS[case.problem](fixed)
    return fixed


def build_demo_inbox(out: Path, seed: int = DEMO_YEAR, progress: Callable[[int, int], None] | None = None) -> Path:
    """Write the demo inbox under `out` (replacing an earlier one) and return its path.

    Beside it, `补正材料/` holds the corrected packages some returned units send later. The same seed
    always writes the same bytes. `progress(done, total)` is called after each submission is written.
    """
    from .template import write_template

    out = Path(out)
    inbox, again = out / INBOX_DIR, out / RESUBMISSION_DIR
    for folder in (inbox, again):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    scratch = out / ".scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    template = scratch / "自评表.xlsx"
    write_template(template, RUBRIC.name)
    write_district_list(out / DISTRICT_LIST)
    cases = demo_cases(seed)
    corrections = [corrected_case(c) for c in cases if c.problem in CORRECTIONS]
    total = len(cases) + len(corrections)
    for done, (case, folder) in enumerate([(c, inbox) for c in cases] + [(c, again) for c in corrections], 1):
        write_case(case, folder, template, scratch)
        if progress:
            progress(done, total)
    shutil.rmtree(scratch)
    return inbox


def write_district_list(path: Path) -> Path:
    """The demo district's list of creation units as a district sends it (单位名称, 创建年度, 分组)."""
    from openpyxl import Workbook

    from .template import workbook_bytes

    book = Workbook()
    book.properties.created = book.properties.modified = _DEMO_STAMP
    sheet = book.active
    sheet.title = "创建名单"
    sheet.append(["单位名称", "创建年度", "分组"])
    for unit in demo_roster_units():
        sheet.append([unit.name, unit.year, unit.group])
    sheet.column_dimensions["A"].width = 28
    path.write_bytes(workbook_bytes(book))
    return path


def demo_roster_units() -> list[RosterUnit]:
    """The 区县 units the demo adds to the store, as a district's own list would."""
    return [RosterUnit(name, DEMO_YEAR, "") for name in DEMO_COUNTY_UNITS]
