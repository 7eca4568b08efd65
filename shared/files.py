"""Opening the files people hand in, safely: regular files only, their names as readable text.

A FIFO named `*.xlsx` would block a reader for ever and `/dev/zero` would fill a disk, so a submission
is read (and kept) only when it is a regular file; a link is followed to one. Opening never blocks:
the file is opened non-blocking and checked before a byte is read. Every refusal says why in Chinese.

File names on Linux are bytes. One that is not UTF-8 (GBK, from a Chinese Windows USB stick or an old
zip tool) is shown as GBK when it reads as that, else with the undecodable bytes replaced: never
as the lone surrogates Python keeps it as, which cannot be written as UTF-8 or stored.
"""
from __future__ import annotations

import errno
import os
import stat
import unicodedata
from pathlib import Path
from typing import BinaryIO


class FileRefused(OSError):
    """A file that is not read: `reason` says why in Chinese (e.g. “不是普通文件（管道或设备）”)."""

    def __init__(self, reason: str, path: str | os.PathLike = ""):
        super().__init__(reason)
        self.reason = reason
        self.path = path


_REASONS = {
    errno.EACCES: "没有读取权限",
    errno.EPERM: "没有读取权限",
    errno.ELOOP: "是循环的链接",
    errno.ENOENT: "找不到（可能是已失效的链接）",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.ENAMETOOLONG: "路径过长",
    errno.EIO: "读取时磁盘出错",
    errno.ENXIO: "是没有连接的设备或套接字",
}


def reason_for(error: OSError) -> str:
    """Why a file could not be opened or read, in Chinese."""
    if isinstance(error, FileRefused):
        return error.reason
    return _REASONS.get(error.errno, f"无法打开（{error.strerror or type(error).__name__}）")


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """The file opened for reading, if it is a regular file (links followed); else FileRefused."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise FileRefused(reason_for(error), path) from error
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefused(_not_regular(mode), path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_regular(path: str | os.PathLike) -> bool:
    """Whether the path is a regular file or a link to one (no error for a broken link or a loop)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "是文件夹，不是文件"
    if stat.S_ISFIFO(mode):
        return "不是普通文件（是管道）"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "不是普通文件（是设备）"
    if stat.S_ISSOCK(mode):
        return "不是普通文件（是套接字）"
    return "不是普通文件"


def name_text(name: str | os.PathLike) -> str:
    """A file name (or path) as text people can read and every encoder can write, NFC-normalised."""
    text = os.fspath(name)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if _has_surrogates(text):  # each folder on its own: a UTF-8 folder may hold a GBK-named file
        text = "/".join(_component_text(part) for part in text.split("/"))
    return unicodedata.normalize("NFC", text)


def _component_text(part: str) -> str:
    if not _has_surrogates(part):
        return part
    raw = os.fsencode(part)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def shown_path(path: str | os.PathLike) -> str:
    """A path as a message shows it."""
    return name_text(Path(path))
