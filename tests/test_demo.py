"""The demo inbox: realistic, every kind of problem present, Chinese names intact, checks as intended."""
import gc
import pickle
import zipfile

import pytest

from brief import FOREIGN, needs_foreign
from shared.batch import check_paths, check_submission
from shared.demo import CORRECTIONS, RESUBMISSION_DIR, demo_cases
from shared.rubric import ROSTER
from shared.submission import discover

EXPECTED_CODES = {"unreadable", "not_a_template", "package_unsafe", "field_missing", "text_length", "invalid_value",
                  "cap_exceeded", "total_mismatch", "energy_data_invalid", "energy_mismatch", "evidence_missing",
                  "evidence_not_found", "evidence_unsafe", "evidence_broken", "duplicate_submission", "not_on_roster"}


@pytest.fixture(scope="module")
def demo(demo_run):
    return demo_run.inbox, check_paths([demo_run.inbox])


def test_every_finding_code_appears(demo):
    _, results = demo
    assert {f.code for r in results for f in r.findings} == EXPECTED_CODES


def test_most_units_are_clean_and_qualify(demo):
    _, results = demo
    clean = [r for r in results if not r.counts[0]]
    assert all(r.rescored_total == r.evidenced_total for r in clean)
    # A workbook saved without its formulas' values is a warning only: no claimed total, the re-score stands.
    assert all(r.claimed_total in (r.rescored_total, None) for r in clean)
    assert all(r.claimed_total is not None or any(f.code == "total_mismatch" and f.severity == "warning"
                                                  for f in r.findings) for r in clean)
    assert sum(1 for r in clean if r.qualifies) >= 35
    below = [r for r in results if r.rescored_total is not None and not r.qualifies]
    assert len(below) >= 4


def test_unit_names_survive_every_zip_tool(demo):
    inbox, results = demo
    roster = {u.name for u in ROSTER}
    assert sum(1 for r in results if r.org_name in roster) >= 55
    sound = {f"{c.file_stem}.zip" for c in demo_cases() if c.problem is None}
    legacy_zips = 0
    for path in inbox.glob("*.zip"):
        with zipfile.ZipFile(path) as archive:
            legacy = [i for i in archive.infolist() if not i.flag_bits & 0x800]
        if legacy and path.name in sound:  # GBK or unflagged UTF-8 names: every evidence file still found
            legacy_zips += 1
            result = next(r for r in results if r.source.endswith(path.name))
            assert path.name.startswith(result.org_name)
            assert not [f for f in result.findings if f.code.startswith("evidence")], path.name
    assert legacy_zips >= 10


def test_demo_is_deterministic():
    first, second = demo_cases(7), demo_cases(7)
    assert [c.values for c in first] == [c.values for c in second]


def test_building_the_inbox_twice_writes_the_same_bytes(demo_run):
    """So a second `jyjg demo` finds every package already recorded (tests/test_demo_year.py)."""
    first, second = demo_run.packages
    assert len(first) > 500 and first.keys() == second.keys()
    assert any(path.startswith(f"jyjg-demo/{RESUBMISSION_DIR}/") for path in first)
    assert [path for path in first if first[path] != second[path]] == []


def test_returned_units_send_corrected_packages(demo):
    inbox, _ = demo
    fixed = check_paths([inbox.parent / RESUBMISSION_DIR])
    assert {r.org_name for r in fixed} == {c.org for c in demo_cases() if c.problem in CORRECTIONS}
    for result in fixed:  # each fixes what it was returned for
        assert result.qualifies and not result.counts[0], result.source
        assert not [f for f in result.findings if f.code == "not_on_roster"], result.source


@needs_foreign
def test_finding_and_receiving_submissions_makes_no_reference_cycles(demo):
    """shared.batch rests the cyclic collector while results come back from its workers: only safe while
    discovering submissions and unpickling their results leave no cycles."""
    inbox, _ = demo
    foreign = FOREIGN
    subs = discover([inbox, foreign])
    sent = [pickle.dumps(check_submission(sub)) for sub in subs]
    gc.collect()
    gc.disable()
    try:
        received = [pickle.loads(blob) for blob in sent]
        again = discover([inbox, foreign])
        leftover = gc.collect()
    finally:
        gc.enable()
    assert len(received) == len(again) > 150 and leftover == 0


# --- the demo under each shipped example edition (issue 15) ------------------------------------------------

EXAMPLE_AVERAGES = """
[benchmarks.2020]
source = "演示用同类单位平均值"
"*" = { energy_per_capita = "400", energy_per_area = "16", water_per_capita = "25" }
"""


@pytest.mark.parametrize("edition", ["central-2024-example", "model-unit-example"])
def test_jyjg_demo_runs_under_each_example_edition(tmp_path, edition):
    """The city's own data with 2020 scored under the example (and same-type averages for its bands): `jyjg demo`
    builds the inbox on the example's template, checks, records, exports and drafts the 通报 under it."""
    import os
    import shutil
    import subprocess
    import sys

    import openpyxl

    from shared.rubric import DATA_DIR
    city = tmp_path / "city"
    shutil.copytree(DATA_DIR / "editions", city / "editions")
    for name in ("city.toml", "roster.toml"):
        shutil.copy(DATA_DIR / name, city / name)
    targets = (DATA_DIR / "targets.toml").read_text(encoding="utf-8")
    (city / "targets.toml").write_text(targets.replace('2020 = "yiyang-2020"', f'2020 = "{edition}"')
                                       + EXAMPLE_AVERAGES, encoding="utf-8")
    env = {**os.environ, "JYJG_CITY": str(city / "city.toml"), "PYTHONIOENCODING": "utf-8"}
    out = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "shared.cli", "demo", "--out", str(out),
                           "--db", f"sqlite:///{tmp_path / 'demo.db'}"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "重算得分符合通过条件：" in done.stdout and "Traceback" not in done.stderr
    sheets = openpyxl.load_workbook(next(out.glob("*汇总.xlsx")))
    header = [c.value for c in sheets["评分"][3]]
    assert "重算结论" in header and "核定结论" in header
    verdicts = {sheets["评分"].cell(r, header.index("重算结论") + 1).value for r in range(4, sheets["评分"].max_row + 1)}
    assert any(str(v).startswith("符合通过条件") for v in verdicts)
    assert any(str(v).startswith("不符合通过条件") for v in verdicts)
    from shared.template import named_cell
    books = [openpyxl.load_workbook(p) for p in (out / "收件箱").glob("*.xlsx")]
    named = [named_cell(b, "rubric_edition").value for b in books if "rubric_edition" in b.defined_names]
    assert named and set(named) == {edition}  # filled on the example's own template
