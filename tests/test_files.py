"""The evidence route's lookup: a signed reference → the stored package and one of its files, read as the
account the server acts for (its scope rule applies); the offered name is one plain header value."""
from __future__ import annotations

import zipfile

import pytest

from shared.accounts import Accounts
from shared.rubric import CATEGORY_COUNTY
from shared.scoped_store import ScopedStore, ScopeRefused
from shared.store import Store, StoreError
from test_store import make_result
from workbench import links
from workbench.files import disposition, evidence_for

SCAN = bytes(range(256)) * 4096  # 1 MiB


def _package(path, unit: str):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{unit}/自评表.xlsx", b"not read here")
        zf.writestr(f"{unit}/佐证材料/制度/节水管理制度.pdf", b"%PDF-1.4 " + unit.encode())
        zf.writestr(f"{unit}/佐证材料/扫描/台账.pdf", SCAN)
    return path


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv(links.SECRET_ENV, "ab" * 32)
    store = Store(f"sqlite:///{tmp_path / 'jyjg.db'}", data_dir=tmp_path / "data")
    versions = {}
    for unit, district in (("赫山区财政局", "赫山区"), ("资阳区财政局", "资阳区")):
        store.import_units([(unit, 2020, "")], district)
        versions[unit] = store.record(make_result(unit, category=CATEGORY_COUNTY), _package(tmp_path / f"{unit}.zip", unit))
    Accounts(store).add("heshan", "区县审核员", district="赫山区", name="赫山丙")
    yield store, versions
    store.close()


def _ref(version, index: int) -> links.FileRef:
    return links.read_token(links.make_token(version.id, version.content_hash, index))


def test_a_reference_names_one_file_of_the_stored_package(world):
    store, versions = world
    version = versions["赫山区财政局"]
    package, name = evidence_for(store, _ref(version, 0))
    assert package.evidence_files() == ["制度/节水管理制度.pdf", "扫描/台账.pdf"] and name == "制度/节水管理制度.pdf"
    package, name = evidence_for(store, _ref(version, 1))
    with package.evidence_stream(name) as (size, stream):
        assert size == len(SCAN) and stream.read() == SCAN


def test_a_reference_outside_the_package_or_to_another_package_names_nothing(world):
    store, versions = world
    version = versions["赫山区财政局"]
    with pytest.raises(StoreError, match="没有这个文件"):
        evidence_for(store, _ref(version, 2))
    with pytest.raises(StoreError, match="没有这个文件"):
        evidence_for(store, _ref(version, -1))
    other = versions["资阳区财政局"]
    wrong_hash = links.FileRef(version.id, other.content_hash[:16], 0, 0)
    with pytest.raises(StoreError, match="与申报不符"):
        evidence_for(store, wrong_hash)


def test_an_account_reads_only_the_files_of_its_scope_and_a_refusal_is_audited(world):
    store, versions = world
    heshan = ScopedStore(store, "heshan")
    _, name = evidence_for(heshan, _ref(versions["赫山区财政局"], 0))
    assert name == "制度/节水管理制度.pdf"
    before = len(store.audit_log())
    with pytest.raises(ScopeRefused):
        evidence_for(heshan, _ref(versions["资阳区财政局"], 0))
    assert [a.action for a in store.audit_log()[before:]] == ["refused"]


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", 'a"b\r\nSet-Cookie: x=1.pdf', "领导小组文件.pdf", "CON.pdf",
                                  "a\x00b.pdf", "x" * 400 + ".pdf"])
def test_the_offered_file_name_is_one_plain_header_value(name):
    value = disposition(name, True)
    assert value.startswith("inline; filename=\"") and not any(c in value for c in "\r\n\x00")
    assert "/" not in value.split("filename*=")[0] and value.count('"') == 2
    assert "%2F" not in value.split("filename*=UTF-8''")[1] and len(value) < 1000
    assert disposition(name, False).startswith("attachment; ")
