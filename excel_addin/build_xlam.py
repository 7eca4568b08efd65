"""Build the desktop add-in (.xlam) from the text kept in the repo: ribbon/customUI14.xml and vba/JyjgAddin.bas.

    python -m excel_addin.build_xlam [OUT_DIR]     (default: ./dist)

An .xlam is an OOXML zip whose workbook part has the add-in content type; the ribbon is a customUI14
part with a package relationship. VBA code normally lives in a binary xl/vbaProject.bin that only Office
writes (the one PyPI package claiming to generate it, ms-ovba, is a 0.0.1 first release); so the build
ships no binary: it writes the .xlam with the ribbon, and beside it the VBA module as a CRLF text file to
import once (README.md, 一次性导入宏). Two builds give byte-identical files.
"""
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import openpyxl
from lxml import etree
from openpyxl.styles import Alignment, Font

from . import labels

HERE = Path(__file__).resolve().parent
RIBBON = HERE / "ribbon" / "customUI14.xml"
VBA_MODULE = HERE / "vba" / "JyjgAddin.bas"
DIST = Path("dist")  # in the current folder: never inside the installed package
XLAM_NAME = "jyjg_addin.xlam"

CUSTOMUI_PART = "customUI/customUI14.xml"
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
ADDIN_MAIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

ABOUT_ROWS = (
    "节约型机关创建评价 Excel 加载项",
    "功能区“节约型机关”选项卡：校验 / 计算得分 / 添加佐证材料 / 打包提交。",
    "需要本机已安装 Python、jyjg 软件包和 xlwings 加载项，并已导入宏模块 JyjgAddin.bas（见 excel_addin/README.md）。",
)


def _about_workbook() -> bytes:
    """The add-in's one (hidden) sheet: what it is, for whoever opens the file directly."""
    from shared.template import BUILD_TIME, workbook_bytes  # the template's reproducible writer

    wb = openpyxl.Workbook()
    wb.properties.created = wb.properties.modified = BUILD_TIME  # not "now": two builds give the same bytes
    ws = wb.active
    ws.title = "说明"
    for row, text in enumerate(ABOUT_ROWS, start=1):
        cell = ws.cell(row, 1, text)
        cell.font = Font(bold=row == 1)
        cell.alignment = Alignment(wrap_text=False)
    ws.column_dimensions["A"].width = 100
    return workbook_bytes(wb)


def _content_types(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for override in root.iter(f"{{{CONTENT_TYPES_NS}}}Override"):
        if override.get("ContentType") == XLSX_MAIN:
            override.set("ContentType", ADDIN_MAIN)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _package_rels(data: bytes) -> bytes:
    root = etree.fromstring(data)
    used = {rel.get("Id") for rel in root}
    rel = etree.SubElement(root, f"{{{PACKAGE_RELS_NS}}}Relationship")
    rel.set("Id", next(f"rId{n}" for n in range(1, 100) if f"rId{n}" not in used))
    rel.set("Type", CUSTOMUI_REL)
    rel.set("Target", CUSTOMUI_PART)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def ribbon_xml() -> bytes:
    """The ribbon part, checked to be well-formed and in the customUI 2009/07 namespace."""
    data = RIBBON.read_bytes()
    root = etree.fromstring(data)
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise ValueError(f"{RIBBON}: root must be customUI in {CUSTOMUI_NS}")
    return data


def xlam_bytes() -> bytes:
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(_about_workbook())) as source:
        for info in source.infolist():
            parts[info.filename] = source.read(info.filename)
    parts["[Content_Types].xml"] = _content_types(parts["[Content_Types].xml"])
    parts["_rels/.rels"] = _package_rels(parts["_rels/.rels"])
    parts[CUSTOMUI_PART] = ribbon_xml()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in ["[Content_Types].xml", *sorted(n for n in parts if n != "[Content_Types].xml")]:
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, parts[name])
    return out.getvalue()


def vba_module_text() -> str:
    """The VBA module with CRLF line ends, as the VBA editor's File > Import expects."""
    text = VBA_MODULE.read_text(encoding="ascii")  # ASCII only: imported in the system code page
    return "\r\n".join(text.splitlines()) + "\r\n"


def build(out_dir: str | Path = DIST) -> tuple[Path, Path]:
    """Write the .xlam and the module to import into it; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    xlam = out / XLAM_NAME
    xlam.write_bytes(xlam_bytes())
    module = out / VBA_MODULE.name
    module.write_bytes(vba_module_text().encode("ascii"))
    return xlam, module


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    xlam, module = build(args[0] if args else DIST)
    print(f"{labels.RIBBON_TAB} 加载项：{xlam}\n宏模块（导入一次）：{module}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
