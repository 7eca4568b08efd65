"""The draft 通报 (方案 四（三）): a .docx naming the year's 节约型机关 (units that passed 实地验收) by
group, with the progress against the year's targets, for the staff to edit and issue in the names of the
agencies city.toml lists as signers (市机关事务管理局, 市发展和改革委员会 and 市财政局, as 附件4 calls them).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .export import YearData, chinese_numeral, gather, group_heading, progress
from .numbers import shown
from .scoring import pass_rule_text
from .rubric import CITY, City, Rubric
from .store import CHINA_TIME, FAILED, PASSED, Store

TITLE_FONT, HEADING_FONT, BODY_FONT = "方正小标宋简体", "黑体", "仿宋_GB2312"
TITLE_PT, BODY_PT = 22, 16  # 二号, 三号: the usual sizes of an official document


def _run(paragraph, text: str, font: str = BODY_FONT, size: float = BODY_PT, bold: bool = False):
    run = paragraph.add_run(ILLEGAL_CHARACTERS_RE.sub("", text))  # control characters are not XML
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)  # CJK text uses eastAsia
    return run


def _paragraph(doc, text: str = "", *, font: str = BODY_FONT, size: float = BODY_PT, indent: bool = True,
               align=WD_ALIGN_PARAGRAPH.JUSTIFY, bold: bool = False):
    paragraph = doc.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.line_spacing = Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.keep_with_next = font != BODY_FONT  # a heading never ends a page without its text
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if text:
        _run(paragraph, text, font, size, bold)
    return paragraph


def _percent(value) -> str:
    return "—" if value is None else f"{shown(value * 100, places=1)}%"


def passed_groups(data: YearData) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """The year's passed units: 市直 by 附件4 group, then 区县 by district; [(section, [(group, names)])]."""
    passed = [x for x in data.lines if x.state == PASSED and x.unit.listed]
    sections = []
    city = [x for x in passed if x.unit.district is None]
    if city:
        groups = list(dict.fromkeys(x.unit.group for x in city))
        sections.append((f"市直单位（{len(city)}家）",
                         [(group_heading(g) if g else "其他单位", [x.unit.name for x in city if x.unit.group == g])
                          for g in groups]))
    county = [x for x in passed if x.unit.district]
    if county:
        districts = list(dict.fromkeys(x.unit.district for x in county))
        sections.append((f"区县（市）单位（{len(county)}家）",
                         [(d, [x.unit.name for x in county if x.unit.district == d]) for d in districts]))
    others = [x for x in data.lines if x.state == PASSED and not x.unit.listed]
    if others:
        sections.append((f"其他单位（{len(others)}家）", [("", [x.unit.name for x in others])]))
    return sections


def progress_sentences(data: YearData) -> list[str]:
    sentences = []
    for p in progress(data):
        if p.label.startswith("其中："):
            continue
        county = data.place.categories.county
        label = county if p.label.startswith(county) else p.label
        text = f"{label}共{p.units}家，累计建成{p.built}家，建成率{_percent(p.rate)}"
        if p.target is not None:
            text += f"，{data.year}年目标为{shown(p.target)}%以上，{'已完成' if p.met else '尚未完成'}年度目标"
        sentences.append(text)
    return sentences


def grade_sentences(passed, edition) -> list[str]:
    """Under an edition with grades, the passed units by the grade of their verified score (export.gather's)."""
    if not edition.grades:
        return []
    by_grade: dict[str, list[str]] = {g.name: [] for g in edition.grades}
    for line in passed:
        if line.grade in by_grade:
            by_grade[line.grade].append(line.unit.name)
    return [f"其中评为“{grade}”的{len(names)}家：{'、'.join(names)}。" for grade, names in by_grade.items() if names]


def opening(year: int, passed: int, sampled: bool, city: City = CITY, edition: Rubric | None = None) -> str:
    """The 通报's first paragraph, for any number of passed units (none included)."""
    edition = edition or city.edition_for(year)
    checks = "经初审、实地验收和抽查" if sampled else "经初审和实地验收"
    start = f"根据《{city.action_plan}》，{year}年度各创建单位对照《{edition.title}》开展自评并申报，{checks}，"
    if passed == 0:
        return start + f"本年度暂无单位通过验收。现将{year}年度节约型机关创建情况通报如下。"
    reached = (f"评价得分达到{shown(edition.qualify_at)}分（含）以上" if edition.simple
               else f"达到评价标准（{pass_rule_text(edition)}）")
    return start + f"{passed}家单位{reached}，确定为{year}年度节约型机关，现予以通报。"


def requirements(passed: int, not_built: bool) -> str:
    """三、工作要求: praise only when someone passed, a push only when someone has not yet."""
    parts = []
    if passed:
        parts.append("希望获评单位珍惜荣誉，持续巩固创建成果，发挥示范引领作用")
    if not_built:
        parts.append("尚未建成的单位要对照评价指标补齐短板，确保按期完成创建目标任务")
    if not parts:
        parts.append("各单位要持续巩固创建成果，不断完善节约能源资源长效机制")
    return "；".join(parts) + "。"


def build_notice(store: Store, year: int, issued: date | None = None) -> Document:
    data = gather(store, year)
    passed = [x for x in data.lines if x.state == PASSED]
    issued = issued or datetime.now(CHINA_TIME).date()
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    doc.core_properties.title = f"关于{year}年度节约型机关创建情况的通报"
    doc.core_properties.author = "节约型机关创建评价系统"

    _paragraph(doc, f"关于{year}年度节约型机关创建情况的通报", font=TITLE_FONT, size=TITLE_PT, indent=False,
               align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc, "（征求意见稿）", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc)
    city, edition = data.place, data.edition
    _paragraph(doc, city.recipients, indent=False)
    _paragraph(doc, opening(year, len(passed), sampled=bool(store.sample(year)), city=city, edition=edition))
    _paragraph(doc, "一、创建进展情况", font=HEADING_FONT)
    for sentence in progress_sentences(data):
        _paragraph(doc, sentence + "。")
    failed = [x for x in data.lines if x.state == FAILED]
    if failed:
        _paragraph(doc, f"另有{len(failed)}家单位实地验收未通过，请按评价小组提出的整改意见完成整改，纳入下一年度评价验收。")
    _paragraph(doc, f"二、{year}年度节约型机关名单", font=HEADING_FONT)
    sections = passed_groups(data)
    if not sections:
        _paragraph(doc, f"（{year}年度暂无验收通过的单位。）")
    for number, (title, groups) in enumerate(sections, start=1):
        _paragraph(doc, f"（{chinese_numeral(number)}）{title}", font="楷体_GB2312")
        for group, names in groups:
            text = "、".join(names)
            _paragraph(doc, f"{group}：{text}" if group else text)
    for sentence in grade_sentences(passed, edition):
        _paragraph(doc, sentence)
    _paragraph(doc, "三、工作要求", font=HEADING_FONT)
    not_built = any(x.unit.listed and x.built_in is None for x in data.lines)
    _paragraph(doc, requirements(len(passed), not_built))
    for _ in range(3):
        _paragraph(doc)
    for issuer in city.signing_agencies:
        _paragraph(doc, issuer, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(doc, f"{issued.year}年{issued.month}月{issued.day}日", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return doc


def write_notice(store: Store, year: int, out_path: str | Path, issued: date | None = None) -> Path:
    """Write the year's draft 通报 (.docx); issued is the date under the signatures (default today)."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    build_notice(store, year, issued).save(out)
    return out

