"""Benchmark of the batch checker against an openpyxl script and the unzip floor, in one run.

    python benchmarks/batch_check.py [--files 2000] [--big 10000] [--openpyxl-files 2000]
                                     [--styles 1000] [--province 100000] [--only styles,province]

Prints ms per workbook for: the floor (unzipping the XML parts a reader needs, with zipfile and zlib;
then the same with the project's own unzip), the project's full check (single process), an openpyxl script that loads each file and reads every defined name; then
whole-process wall times over the same files and the ratio openpyxl/project; then `--big`
submissions checked with every core. Targets (issue 4): ≤ 1 ms per bare workbook in one process;
≥ 15× the openpyxl script as whole processes; 10,000 submissions in under 10 s on two cores.

Issue 19 adds: ms per workbook and the ratio to the unzip floor for writer styles (Excel-like shared
strings, the same as saved on each unit's own computer, openpyxl inline strings with character
references, LibreOffice-saved), target ≤ 2×
the floor in one process, with its two parts timed apart (reading the named cells; the checks on cells
already read); and `--province` distinct submissions (each its own unit and bytes) through
`jyjg check --json` and `jyjg load` into SQLite as whole processes, with wall time and the peak memory
of the process and its workers (summed PSS, so pages the workers share are counted once). Targets:
100,000 through check in under 2 minutes and load in under 10, each under 500 MB.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import threading
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.batch import check_paths, check_submission  # noqa: E402
from shared.checks import check_values  # noqa: E402
from shared.demo import demo_cases, workbook_bytes  # noqa: E402
from shared.submission import discover  # noqa: E402
from shared.template import write_template  # noqa: E402
from shared.workbook import read_named_values  # noqa: E402
from shared.names import city_names  # noqa: E402
from shared.rubric import CITY  # noqa: E402
from shared.zipentry import read_entry  # noqa: E402

DISTINCT = 40  # distinct filled workbooks; the rest are copies (every file is still read on its own)

OPENPYXL_SCRIPT = r"""
import sys, openpyxl
from pathlib import Path
for path in sorted(Path(sys.argv[1]).glob("*.xlsx")):
    book = openpyxl.load_workbook(path, data_only=True)
    values = {}
    for name, defn in book.defined_names.items():
        for sheet, ref in defn.destinations:
            values[name] = book[sheet][ref.replace("$", "")].value
"""

PROJECT_SCRIPT = r"""
import sys
from shared.batch import check_paths
check_paths([sys.argv[1]], workers=1)
"""


def make_files(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp())
    template = write_template(scratch / "t.xlsx")
    cases = [c for c in demo_cases(1) if c.raw is None][:DISTINCT]
    blobs = [workbook_bytes(c, template, scratch) for c in cases]
    shutil.rmtree(scratch)
    paths = []
    for i in range(count):
        path = folder / f"单位{i:05d}.xlsx"
        path.write_bytes(blobs[i % len(blobs)])
        paths.append(path)
    return paths


def per_file_ms(label: str, func, paths: list[Path], passes: int = 1) -> float:
    """ms per file over `passes` passes through all the files: the median pass (slowest and fastest shown)."""
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        for path in paths:
            func(path)
        times.append((time.perf_counter() - start) * 1000 / len(paths))
    ms = statistics.median(times)
    spread = f"; passes {min(times):.3f}–{max(times):.3f}" if passes > 1 else ""
    print(f"  {label:<34} {ms:8.3f} ms/workbook  ({len(paths)} files{spread})")
    return ms


def floor(path: Path) -> None:
    """The least any reader must do: open the zip and inflate the parts holding names and cells."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name == "xl/workbook.xml" or name.startswith("xl/worksheets/sheet") or name in (
                    "xl/sharedStrings.xml", "xl/_rels/workbook.xml.rels"):
                archive.read(name)


def floor_isal(path: Path) -> None:
    """The same parts inflated the way the project's reader does (shared/zipentry.py, ISA-L when installed)."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if name == "xl/workbook.xml" or name.startswith("xl/worksheets/sheet") or name in (
                    "xl/sharedStrings.xml", "xl/_rels/workbook.xml.rels"):
                if read_entry(archive.fp, info) is None:
                    archive.read(info)


def reading(path: Path) -> None:
    """The XML part of the check: every named cell's value read from the workbook (no checks, no scoring)."""
    read_named_values(path, city_names(CITY))  # the names the check reads


def checks_alone(paths: list[Path]):
    """The per-workbook checks (re-scoring, findings, the result) on named cells already read: the part of
    the full check that is neither unzipping nor reading XML."""
    read = {}
    for path in paths:
        (sub,) = discover([path])
        read[path] = (sub, read_named_values(sub.workbook()[1], city_names(CITY)))

    def check(path: Path) -> None:
        sub, values = read[path]
        check_values(values, where=sub.source, evidence=sub.evidence_status, source=sub.source, city=CITY)
    return check


def project(path: Path) -> None:
    (sub,) = discover([path])
    check_submission(sub)


def openpyxl_read(path: Path) -> None:
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=True)
    for name, defn in book.defined_names.items():
        for sheet, ref in defn.destinations:
            book[sheet][ref.replace("$", "")].value


def whole_process(label: str, script: str, folder: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", script, str(folder)], check=True, cwd=ROOT,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {seconds:8.2f} s")
    return seconds


# --- writer styles (issue 19) ------------------------------------------------------------------------

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def openpyxl_blobs(scratch: Path) -> list[tuple[str, bytes]]:
    """(unit name, workbook) as openpyxl writes them: inline strings, every Chinese character a reference."""
    from shared.template import write_named_values

    template = write_template(scratch / "t.xlsx")
    out = []
    for i, case in enumerate([c for c in demo_cases(1) if c.raw is None][:DISTINCT]):
        path = write_named_values(template, scratch / f"openpyxl{i:02d}.xlsx", case.values)
        out.append((str(case.values.get("org_name") or case.org), path.read_bytes()))  # the name as written
    return out


def shared_strings_style(blob: bytes) -> bytes:
    """The same workbook as Excel writes text: every string cell a shared string, UTF-8 as it is."""
    from lxml import etree

    parts = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as source:
        for info in source.infolist():
            parts[info.filename] = source.read(info)
    strings: dict[str, int] = {}
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        root = etree.fromstring(parts[name])
        for cell in root.iter(f"{{{MAIN_NS}}}c"):
            if cell.get("t") != "inlineStr":
                continue
            text = "".join(cell.itertext())
            for child in list(cell):
                cell.remove(child)
            cell.set("t", "s")
            etree.SubElement(cell, f"{{{MAIN_NS}}}v").text = str(strings.setdefault(text, len(strings)))
        parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    sst = etree.Element(f"{{{MAIN_NS}}}sst", nsmap={None: MAIN_NS}, count=str(len(strings)),
                        uniqueCount=str(len(strings)))
    for text in strings:
        t = etree.SubElement(etree.SubElement(sst, f"{{{MAIN_NS}}}si"), f"{{{MAIN_NS}}}t")
        t.text = text
        if text != text.strip():
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    parts["xl/sharedStrings.xml"] = etree.tostring(sst, xml_declaration=True, encoding="UTF-8", standalone=True)
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return out.getvalue()


def libreoffice_style(blobs: list[tuple[str, bytes]], scratch: Path) -> list[tuple[str, bytes]] | None:
    """The same workbooks opened and saved by LibreOffice (recalculated: shared strings, cached results)."""
    from shared.office import OfficeError, find_soffice, recalculate

    if find_soffice() is None:
        return None
    folder, out = scratch / "lo-in", scratch / "lo-out"
    folder.mkdir()
    paths = []
    for i, (_, blob) in enumerate(blobs):
        paths.append(folder / f"lo{i:02d}.xlsx")
        paths[-1].write_bytes(blob)
    try:
        saved = recalculate(paths, out)
    except OfficeError as error:
        print(f"  (LibreOffice failed: {error})")
        return None
    return [(org, path.read_bytes()) for (org, _), path in zip(blobs, saved)]


def saved_by_each_user(blob: bytes, user: int) -> bytes:
    """The workbook as Excel saves it on one unit's computer: workbook.xml carries that user's window size
    and position, the folder the file was saved in and a document id (names and sheets unchanged)."""
    rng = random.Random(user)
    excel_only = (f'<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="{rng.choice([27425, 28217])}"/>'
                  '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
                  '<mc:Choice Requires="x15"><x15ac:absPath xmlns:x15ac="http://schemas.microsoft.com/office/'
                  f'spreadsheetml/2010/11/ac" url="C:\\Users\\单位{user}\\Desktop\\节约型机关\\"/></mc:Choice>'
                  '</mc:AlternateContent>').encode()
    window = (f'<bookViews><workbookView xWindow="{rng.randint(-120, 400)}" yWindow="{rng.randint(-120, 300)}" '
              f'windowWidth="{rng.randint(12000, 38400)}" windowHeight="{rng.randint(8000, 21000)}" activeTab="2"/>'
              '</bookViews>').encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb"<bookViews>.*?</bookViews>", lambda _: window, data, count=1, flags=re.S)
                data = re.sub(rb"(<workbook [^>]*>)", lambda m: m.group(1) + excel_only, data, count=1)
            target.writestr(info.filename, data)
    return out.getvalue()


def copies(folder: Path, blobs: list[bytes], count: int, each=None) -> list[Path]:
    """`count` files cycling through `blobs`; with `each`, every file made its own by each(blob, i)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        paths.append(folder / f"单位{i:06d}.xlsx")
        blob = blobs[i % len(blobs)]
        paths[-1].write_bytes(each(blob, i) if each else blob)
    return paths


def writer_styles(work: Path, count: int) -> None:
    scratch = work / "styles"
    scratch.mkdir()
    openpyxl_written = openpyxl_blobs(scratch)
    styles = {"Excel-like shared strings": [b for _, b in openpyxl_written],
              "openpyxl inline, character refs": [b for _, b in openpyxl_written]}
    styles["Excel-like shared strings"] = [shared_strings_style(b) for b in styles["Excel-like shared strings"]]
    # Real Excel files differ in workbook.xml from user to user (window, folder): what is remembered per
    # template must still be found.
    styles["Excel-saved, each user's own window and folder"] = styles["Excel-like shared strings"]
    saved = libreoffice_style(openpyxl_written, scratch)
    if saved:
        styles["LibreOffice-saved"] = [b for _, b in saved]
    print(f"Writer styles, {count} bare workbooks each, one process (median of three passes):")
    for label, blobs in styles.items():
        each = saved_by_each_user if label.startswith("Excel-saved") else None
        paths = copies(scratch / re.sub(r"\W+", "-", label), blobs, count, each)
        print(f" {label}:")
        floor_ms = per_file_ms("floor (unzip needed XML parts)", floor, paths, passes=3)
        isal_ms = per_file_ms("floor with the project's unzip", floor_isal, paths, passes=3)
        reading_ms = per_file_ms("project: reading the named cells", reading, paths, passes=3)
        checks_ms = per_file_ms("project: the checks on cells read", checks_alone(paths), paths, passes=3)
        project_ms = per_file_ms("project: full check", project, paths, passes=3)
        print(f"  project / floor = {project_ms / floor_ms:.2f} (target ≤ 2); "
              f"project / the project's unzip = {project_ms / isal_ms:.2f}; "
              f"reading alone / floor = {reading_ms / floor_ms:.2f}; checks alone / floor = "
              f"{checks_ms / floor_ms:.2f}; the two together = {(reading_ms + checks_ms) / floor_ms:.2f}")


# --- province scale (issue 19) ----------------------------------------------------------------------

UNITS = 2000  # distinct units in a province run; beyond, each unit submits again (other bytes)


def distinct_submissions(folder: Path, blobs: list[tuple[str, bytes]], count: int) -> None:
    """`count` workbooks, each with its own bytes (and so its own hash): the first UNITS each their own unit
    (the name gets a number), the rest copies of those under another zip comment, as a resubmission is."""
    made = min(count, UNITS)
    _units(folder, blobs, made)
    firsts = [(folder / f"申报{i:06d}.xlsx").read_bytes() for i in range(made)]
    for i in range(made, count):
        data = firsts[i % made]
        comment = f"resubmission {i}".encode()
        # the end record's comment length is its last two bytes (no comment yet): give it one
        (folder / f"申报{i:06d}.xlsx").write_bytes(data[:-2] + len(comment).to_bytes(2, "little") + comment)


def _units(folder: Path, blobs: list[tuple[str, bytes]], count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    templates = []
    for org, blob in blobs:
        with zipfile.ZipFile(io.BytesIO(blob)) as source:
            parts = [(info, source.read(info)) for info in source.infolist()]
        spellings = [org.encode(), "".join(ch if ch.isascii() else f"&#{ord(ch)};" for ch in org).encode()]
        templates.append((parts, [b">" + s + b"<" for s in spellings]))
    for i in range(count):
        parts, needles = templates[i % len(templates)]
        suffix = f"{i:06d}".encode()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
            for info, data in parts:
                for needle in needles:
                    data = data.replace(needle, needle[:-1] + suffix + b"<")
                target.writestr(info, data)
        (folder / f"申报{i:06d}.xlsx").write_bytes(out.getvalue())


class TreeMemory:
    """The peak memory of a process and its descendants: PSS summed over them, sampled four times a second."""

    def __init__(self, pid: int):
        self.pid, self.peak_pss, self.peak_rss_parent, self._stop = pid, 0, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        tree, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        return tree

    @staticmethod
    def _kb(pid: int, path: str, key: str) -> int:
        try:
            with open(f"/proc/{pid}/{path}") as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    def _watch(self) -> None:
        while not self._stop.is_set():
            total = sum(self._kb(pid, "smaps_rollup", "Pss:") for pid in self._tree())
            self.peak_pss = max(self.peak_pss, total)
            self.peak_rss_parent = max(self.peak_rss_parent, self._kb(self.pid, "status", "VmRSS:"))
            self._stop.wait(0.25)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def timed_command(label: str, argv: list[str], cwd: Path) -> tuple[float, TreeMemory]:
    """Runs a command; prints its wall time, its CPU time (user + system of it and its workers: steadier than
    wall time on a shared machine, and CPU / cores is the wall time an idle machine would give at best) and
    its peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    memory = TreeMemory(child.pid)
    _, err = child.communicate()
    seconds = time.perf_counter() - start
    memory.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if child.returncode != 0:
        raise SystemExit(f"{label} failed ({child.returncode}): {err[-2000:]}")
    print(f"  {label:<34} {seconds:8.1f} s  CPU {cpu:7.1f} s (/{os.cpu_count()} cores = {cpu / (os.cpu_count() or 1):.1f} s)"
          f"  peak {memory.peak_pss / 1024:6.0f} MB (all processes, PSS; the main process alone "
          f"{memory.peak_rss_parent / 1024:.0f} MB RSS); load average {os.getloadavg()[0]:.1f}")
    return seconds, memory


def province(work: Path, count: int) -> None:
    scratch = work / "province-src"
    scratch.mkdir()
    blobs = [(org, stamp) for org, stamp in openpyxl_blobs(scratch)]
    blobs = [(org, shared_strings_style(b)) if i % 2 else (org, b) for i, (org, b) in enumerate(blobs)]
    inbox = work / "province"
    start = time.perf_counter()
    distinct_submissions(inbox, blobs, count)
    print(f"{count} submissions, each its own bytes ({min(count, UNITS)} units, half openpyxl-written, half "
          f"Excel-like; the rest resubmissions), made in "
          f"{time.perf_counter() - start:.0f} s; as whole processes on {os.cpu_count()} cores:")
    out = work / "province.json"
    check_s, check_memory = timed_command(f"jyjg check --json, {count}",
                                          [sys.executable, "-m", "shared.cli", "check", str(inbox), "--json",
                                           str(out), "--table", str(work / "province.csv")], work)

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    with open(out, encoding="utf-8") as fh:
        document = json.load(fh, parse_constant=refuse)
    sources = [s["source"] for s in document["submissions"]]
    print(f"  the JSON ({out.stat().st_size / 1e6:.0f} MB) parses strictly: {len(sources)} submissions, "
          f"{len(set(sources))} distinct sources (expected {count})")
    del document, sources
    db = work / "province.db"
    load_s, load_memory = timed_command(f"jyjg load into SQLite, {count}",
                                        [sys.executable, "-m", "shared.cli", "load", str(inbox), "--db",
                                         f"sqlite:///{db}"], work)
    print(f"  targets: check < 120 s and < 500 MB: {check_s:.0f} s, {check_memory.peak_pss / 1024:.0f} MB; "
          f"load < 600 s and < 500 MB: {load_s:.0f} s, {load_memory.peak_pss / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--openpyxl-files", type=int, default=None, help="files for openpyxl (default: --files)")
    parser.add_argument("--big", type=int, default=10000)
    parser.add_argument("--styles", type=int, default=1000, help="workbooks per writer style")
    parser.add_argument("--province", type=int, default=100000, help="distinct submissions for check and load")
    parser.add_argument("--only", default="", help="comma-separated: issue4, styles, province (default: all)")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(","))) or {"issue4", "styles", "province"}
    work = Path(tempfile.mkdtemp(prefix="jyjg-bench-"))
    try:
        if "styles" in only:
            writer_styles(work, args.styles)
        if "province" in only:
            province(work, args.province)
        if "issue4" in only:
            issue4(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def issue4(work: Path, args) -> None:
    paths = make_files(work / "files", args.files)
    sample = paths[: args.openpyxl_files or args.files]
    print(f"In one process, {args.files} bare workbooks:")
    # A quiet machine is rare in CI: the cheap measurements take the median of three passes.
    floor_ms = per_file_ms("floor (unzip needed XML parts)", floor, paths, passes=3)
    per_file_ms("floor with the project's unzip", floor_isal, paths, passes=3)
    project_ms = per_file_ms("project: full check", project, paths, passes=3)
    openpyxl_ms = per_file_ms("openpyxl: load + read names", openpyxl_read, sample)
    print(f"  project / floor = {project_ms / floor_ms:.2f}; openpyxl / project = {openpyxl_ms / project_ms:.1f}×")

    opx_folder = work / "files"
    if len(sample) != len(paths):
        opx_folder = work / "openpyxl"
        opx_folder.mkdir()
        for p in sample:
            os.link(p, opx_folder / p.name)
    print("As whole processes (start-up included):")
    project_s = whole_process(f"jyjg check, {len(paths)} files", PROJECT_SCRIPT, work / "files")
    openpyxl_s = whole_process(f"openpyxl script, {len(sample)} files", OPENPYXL_SCRIPT, opx_folder)
    ratio = (openpyxl_s / len(sample)) / (project_s / len(paths))
    print(f"  openpyxl / project per file = {ratio:.1f}×  (target ≥ 15×)")

    big = work / "big"
    big.mkdir()
    for i in range(args.big):
        os.link(paths[i % len(paths)], big / f"申报{i:05d}.xlsx")
    start = time.perf_counter()
    results = check_paths([big], workers=os.cpu_count())
    seconds = time.perf_counter() - start
    print(f"{args.big} submissions on {os.cpu_count()} cores: {seconds:.2f} s "
          f"({seconds * 1000 / args.big:.3f} ms each; target < 10 s); {len(results)} results")
    print(f"  single-process projection for the same: {project_ms * args.big / 1000:.2f} s "
          f"(parallel speed-up {project_ms * args.big / 1000 / seconds:.2f}×)")


if __name__ == "__main__":
    random.seed(0)
    main()
