"""LibreOffice (soffice, headless) as a spreadsheet engine: recalculate workbooks and print them to PDF.

Pure subprocess; used by the engine tests and by anyone who needs formula results that openpyxl cannot
compute. Every call gets its own throw-away user profile, so parallel calls never fight over a lock and
the settings below always apply.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable
from .numbers import shown

# Without this LibreOffice keeps the cached values saved in an .xlsx ("never recalculate" for files
# not written by itself), and openpyxl-written files have none: 0 = always recalculate on load.
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""

DEFAULT_TIMEOUT = 600  # seconds for one soffice run; a hundred small workbooks take about ten
BATCH = 100  # files per soffice run; see _convert


class OfficeError(RuntimeError):
    """LibreOffice is missing, failed, timed out, or did not write what it was asked to."""


def find_soffice() -> Path | None:
    """The soffice binary: $SOFFICE, then PATH, then the usual install places."""
    candidates = [os.environ.get("SOFFICE"), shutil.which("soffice"), shutil.which("libreoffice"),
                  "/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice",
                  "/opt/libreoffice/program/soffice",
                  "/Applications/LibreOffice.app/Contents/MacOS/soffice",
                  r"C:\Program Files\LibreOffice\program\soffice.exe"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _convert(paths: Iterable[str | Path], outdir: str | Path, target: str, suffix: str,
             timeout: float) -> list[Path]:
    soffice = find_soffice()
    if soffice is None:
        raise OfficeError("找不到 LibreOffice（soffice）。请安装 LibreOffice，或用环境变量 SOFFICE 指明其位置。")
    sources = [Path(p).resolve() for p in paths]
    if not sources:
        return []
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise OfficeError(f"文件不存在：{', '.join(missing)}")
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    outputs = [outdir / (p.stem + suffix) for p in sources]
    # soffice names each output after its input's stem: two inputs with one stem would overwrite.
    if len(set(outputs)) != len(outputs):
        raise OfficeError("有同名（不计扩展名）的输入文件，转换结果会互相覆盖；请分批转换。")
    clashes = [str(p) for p, o in zip(sources, outputs) if p == o]
    if clashes:
        raise OfficeError(f"输出目录不能是输入文件所在目录（会覆盖原文件）：{', '.join(clashes)}")
    for output in outputs:
        output.unlink(missing_ok=True)

    # One soffice run converts many files (starting it costs seconds), but after a few hundred
    # documents LibreOffice 7.4 starts answering "source file could not be loaded" for every further
    # file while still exiting 0. So: runs of at most BATCH files, and one more run for any left out.
    for start in range(0, len(sources), BATCH):
        _run(soffice, sources[start:start + BATCH], outdir, target, timeout)
    left = [s for s, o in zip(sources, outputs) if not o.is_file()]
    if left:
        _run(soffice, left, outdir, target, timeout)
    absent = [str(o) for o in outputs if not o.is_file()]
    if absent:
        shown = ", ".join(absent[:3]) + (f" 等 {len(absent)} 个" if len(absent) > 3 else "")
        raise OfficeError(f"LibreOffice 没有生成：{shown}（文件可能已损坏或不是表格）。")
    return outputs


def _run(soffice: Path, sources: list[Path], outdir: Path, target: str, timeout: float) -> None:
    with tempfile.TemporaryDirectory(prefix="jyjg-soffice-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS, encoding="utf-8")
        command = [str(soffice), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--invisible",
                   "--norestore", "--nolockcheck", "--convert-to", target, "--outdir", str(outdir),
                   *map(str, sources)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
        except subprocess.TimeoutExpired as exc:
            raise OfficeError(f"LibreOffice 在 {shown(timeout, places=0)} 秒内没有完成 {len(sources)} 个文件的转换") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout or "").strip()[-2000:]
        raise OfficeError(f"LibreOffice 转换失败（退出码 {done.returncode}）：{detail}")


def recalculate(paths: Iterable[str | Path], outdir: str | Path, timeout: float = DEFAULT_TIMEOUT) -> list[Path]:
    """Open each .xlsx in LibreOffice, recompute every formula, save as .xlsx in outdir (one soffice run per
    hundred files).

    Returns the output paths in input order; their cached values are LibreOffice's results.
    """
    return _convert(paths, outdir, "xlsx:Calc MS Excel 2007 XML", ".xlsx", timeout)


def to_pdf(paths: Iterable[str | Path], outdir: str | Path, timeout: float = DEFAULT_TIMEOUT) -> list[Path]:
    """Print each workbook (its visible sheets, with their page set-up) to PDF in outdir, with Chinese
    line-breaking: no line starts with closing punctuation such as 。，、）》.

    An .xlsx has no setting for that (Excel and WPS apply the rule themselves); LibreOffice applies it only
    to cells whose style asks for it (ODF's style:line-break="strict"), and its .xlsx import never does.
    So each workbook goes through LibreOffice's own flat format first, every cell style is made to ask,
    and that is printed.
    """
    sources = [Path(p) for p in paths]
    if not sources:
        return []
    with tempfile.TemporaryDirectory(prefix="jyjg-print-") as work:
        flat = _convert(sources, work, "fods", ".fods", timeout)
        for document in flat:
            strict_line_breaks(document)
        return _convert(flat, outdir, "pdf:calc_pdf_Export", ".pdf", timeout)


_STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"


def strict_line_breaks(fods: Path) -> None:
    """Make every table-cell style of a flat ODF spreadsheet apply the forbidden-character rules."""
    from lxml import etree

    style = f"{{{_STYLE_NS}}}"
    tree = etree.parse(str(fods), etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True))
    for element in tree.iter(f"{style}style", f"{style}default-style"):
        if element.get(f"{style}family") != "table-cell":
            continue
        paragraph = element.find(f"{style}paragraph-properties")
        if paragraph is None:  # ODF's order: table-cell-, paragraph-, then text-properties
            paragraph = etree.Element(f"{style}paragraph-properties")
            text = element.find(f"{style}text-properties")
            if text is not None:
                text.addprevious(paragraph)
            else:
                element.append(paragraph)
        paragraph.set(f"{style}line-break", "strict")
    tree.write(str(fods), xml_declaration=True, encoding="UTF-8")
