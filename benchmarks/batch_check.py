"""Benchmark of the batch checker against an openpyxl script and the unzip floor, in one run.

    python benchmarks/batch_check.py [--files 2000] [--big 10000] [--openpyxl-files 2000]

Prints ms per workbook for: the floor (unzipping the XML parts a reader needs, with zipfile and zlib;
then the same with the project's own unzip), the project's full check (single process), an openpyxl script that loads each file and reads every defined name; then
whole-process wall times over the same files and the ratio openpyxl/project; then `--big`
submissions checked with every core. Targets (issue 4): ≤ 1 ms per bare workbook in one process;
≥ 15× the openpyxl script as whole processes; 10,000 submissions in under 10 s on two cores.
"""
from __future__ import annotations

import argparse
import os
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
from shared.demo import demo_cases, workbook_bytes  # noqa: E402
from shared.submission import discover  # noqa: E402
from shared.template import write_template  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--openpyxl-files", type=int, default=None, help="files for openpyxl (default: --files)")
    parser.add_argument("--big", type=int, default=10000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jyjg-bench-"))
    try:
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
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    random.seed(0)
    main()
