"""References to stored files: signed, short-lived, naming a version and a file by position only."""
from __future__ import annotations

import pytest

from workbench import links


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv(links.SECRET_ENV, "ab" * 32)


def test_a_reference_reads_back_and_names_no_path():
    token = links.make_token(12, "c2424e62cb948b54" + "0" * 48, 3, now=1000)
    ref = links.read_token(token, now=1001)
    assert (ref.version_id, ref.content_hash, ref.index) == (12, "c2424e62cb948b54", 3)
    assert "/" not in token and "佐证" not in token
    assert links.make_token(12, "c2424e62cb948b54", 3, now=1000) != token  # a fresh nonce each time


@pytest.mark.parametrize("damage", [
    lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],  # signature changed
    lambda t: "eyJ2Ijo5OTl9" + t[t.index("."):],  # payload swapped, old signature
    lambda t: t.replace(".", ""),
    lambda t: "",
    lambda t: "../../etc/passwd",
])
def test_a_forged_or_damaged_reference_is_refused_in_chinese(damage):
    token = links.make_token(12, "c2424e62cb948b54", 3)
    with pytest.raises(links.LinkError, match="文件链接无效"):
        links.read_token(damage(token))


def test_a_reference_expires(monkeypatch):
    token = links.make_token(12, "c2424e62cb948b54", 3, seconds=60, now=1000)
    assert links.read_token(token, now=1059).index == 3
    with pytest.raises(links.LinkError, match="已过期"):
        links.read_token(token, now=1061)


def test_another_servers_reference_is_refused(monkeypatch):
    token = links.make_token(12, "c2424e62cb948b54", 3)
    monkeypatch.setenv(links.SECRET_ENV, "cd" * 32)
    with pytest.raises(links.LinkError, match="文件链接无效"):
        links.read_token(token)


def test_the_secret_is_made_once_for_the_kernels_to_inherit(monkeypatch):
    monkeypatch.delenv(links.SECRET_ENV)
    first = links.ensure_secret()
    assert len(first) == 64 and links.ensure_secret() == first


def test_urls_sit_under_the_servers_base(monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("VOILA_BASE_URL", "/")
    assert links.file_url("a.b") == "/jyjg/files/a.b"
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/heshan/")
    assert links.file_url("a.b") == "/user/heshan/jyjg/files/a.b"


@pytest.mark.parametrize("name, kind, inline", [
    ("扫描件.PDF", "application/pdf", True),
    ("照片.jpg", "image/jpeg", True),
    ("台账.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    ("制度.doc", "application/msword", False),
    ("页面.html", "application/octet-stream", False),  # a unit's HTML never runs as a page of ours
    ("图.svg", "application/octet-stream", False),
    ("无扩展名", "application/octet-stream", False),
])
def test_pdfs_and_images_show_inline_everything_else_downloads(name, kind, inline):
    assert links.content_type(name) == (kind, inline)
