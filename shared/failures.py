"""What a failure of the database or the file system means to the person who typed the command.

`explain(error)` gives a Chinese message that says what happened and what to do, and the exit code:
2 when the command itself must change (a wrong --db address, a missing driver, an output path that
is a folder or cannot be written), 1 when the machine must (a server that is down, a full disk). None
for anything else, which stays a bug to report. Nothing here changes the store: its transactions roll
back on their own, so a failed command leaves it as it was.
"""
from __future__ import annotations

import errno
from typing import Any

from .files import FileRefused, shown_path

USER_MISTAKE = 2
MACHINE_TROUBLE = 1

# The database drivers SQLAlchemy may ask for (a missing one is the user's --db choice, not a bug).
DRIVERS = {"psycopg2", "psycopg", "pg8000", "asyncpg", "MySQLdb", "pymysql", "mysql", "mariadb", "cx_Oracle",
           "oracledb", "pyodbc", "pymssql", "aiosqlite", "pysqlite2", "sqlite3"}
DB_FORMS = "sqlite:///文件名.db 或 postgresql+psycopg2://用户名@主机:端口/库名"


def explain(error: BaseException, db_url: str | None = None) -> tuple[str, int] | None:
    """(Chinese message, exit code) for a failure people can act on, else None."""
    for kind, handler in _HANDLERS:
        if _is(error, kind):
            explained = handler(error, db_url)
            if explained is not None:
                return explained
    return None


def _is(error: BaseException, kind: str) -> bool:
    return any(f"{c.__module__}.{c.__qualname__}" == kind for c in type(error).__mro__)


def _url(db_url: str | None) -> str:
    if not db_url:
        return "数据库地址"
    try:
        from sqlalchemy.engine import make_url

        shown = make_url(db_url).render_as_string(hide_password=True)
    except Exception:
        shown = db_url
    return f"数据库地址“{shown}”"


def _bad_url(error: BaseException, db_url: str | None) -> tuple[str, int]:
    return f"{_url(db_url)}无法识别。请写成 {DB_FORMS}。", USER_MISTAKE


def _unknown_dialect(error: BaseException, db_url: str | None) -> tuple[str, int]:
    return f"{_url(db_url)}中的数据库类型不受支持。请写成 {DB_FORMS}。", USER_MISTAKE


def _missing_driver(error: BaseException, db_url: str | None) -> tuple[str, int] | None:
    name = getattr(error, "name", None) or ""
    if not _is(error, "builtins.ModuleNotFoundError") or db_url is None or name.split(".")[0] not in DRIVERS:
        return None  # any other missing module is an installation to repair, shown as it is
    return (f"缺少连接{_url(db_url)}所需的驱动程序（{name}）。请安装该驱动后重试，"
            f"或改用 {DB_FORMS}。"), USER_MISTAKE


def _database(error: BaseException, db_url: str | None) -> tuple[str, int]:
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0] if str(error).strip() else ""
    low = detail.lower()
    where = _url(db_url)
    if "unable to open database file" in low:
        return (f"无法打开{where}指向的数据库文件：所在文件夹不存在，或没有写入权限。"
                "请检查 --db 地址，或换一个可写的文件夹。"), USER_MISTAKE
    if "readonly database" in low or "read-only" in low:
        return f"{where}指向的数据库是只读的，无法写入。请换一个可写的位置，或请管理员开放写入权限。", USER_MISTAKE
    if "disk is full" in low or "no space left" in low:
        return "磁盘空间已满，数据库没有作任何改动。请清理磁盘空间后重新执行本命令。", MACHINE_TROUBLE
    if "database is locked" in low:
        return "数据库正被其他程序占用，本次没有作任何改动。请稍后重新执行本命令。", MACHINE_TROUBLE
    if "password authentication failed" in low or "role" in low and "does not exist" in low:
        return f"数据库服务器拒绝了登录（{detail}）。请检查 --db 中的用户名和密码。", USER_MISTAKE
    if "database" in low and "does not exist" in low:
        return f"数据库服务器上没有{where}中的库（{detail}）。请检查库名，或请管理员先建库。", USER_MISTAKE
    if any(s in low for s in ("connection refused", "could not connect", "could not translate host",
                              "timeout expired", "server closed the connection", "connection to server")):
        return (f"无法连接{where}的数据库服务器（{detail}）。请确认服务器已经启动、地址和端口正确、"
                "网络畅通，然后重新执行本命令；数据库没有作任何改动。"), MACHINE_TROUBLE
    if "disk i/o error" in low:
        return ("读写数据库文件时磁盘出错（可能是磁盘已满或超过了文件大小上限），数据库没有作任何改动。"
                "请检查磁盘后重新执行本命令。"), MACHINE_TROUBLE
    return (f"数据库操作失败（{detail[:200]}），数据库没有作任何改动。请稍后重试；"
            "若仍失败，请把这条信息告诉系统管理员。"), MACHINE_TROUBLE


def _os(error: BaseException, db_url: str | None) -> tuple[str, int]:
    assert isinstance(error, OSError)
    if isinstance(error, FileRefused):
        return error.reason + "。请检查后重新执行本命令。", USER_MISTAKE
    name = f"“{shown_path(error.filename)}”" if error.filename is not None else "文件"
    code = error.errno
    if code == errno.ENOSPC:
        return f"磁盘空间已满，写入{name}失败。已记入的内容不受影响，请清理磁盘空间后重新执行本命令。", MACHINE_TROUBLE
    if code == errno.EFBIG:
        return (f"写入{name}时超过了系统允许的文件大小上限。已记入的内容不受影响，"
                "请请管理员放宽上限（ulimit -f）或换一个位置后重新执行本命令。"), MACHINE_TROUBLE
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (f"没有写入{name}的权限（或所在磁盘是只读的）。请换一个可写的位置；"
                "评审数据的文件夹可用环境变量 JYJG_DATA 指定。"), USER_MISTAKE
    if code == errno.EISDIR:
        return f"{name}是一个文件夹。请写出要生成的文件名，如 结果.json。", USER_MISTAKE
    if code == errno.ENOTDIR:
        return f"{name}的路径中有一部分不是文件夹。请检查路径。", USER_MISTAKE
    if code == errno.ENOENT:
        return f"找不到{name}。请检查路径。", USER_MISTAKE
    if code == errno.EIO:
        return f"读写{name}时磁盘出错。请检查磁盘后重新执行本命令。", MACHINE_TROUBLE
    return f"读写{name}失败（{error.strerror or type(error).__name__}）。请检查后重新执行本命令。", MACHINE_TROUBLE


def _store(error: BaseException, db_url: str | None) -> tuple[str, int]:
    return str(error), MACHINE_TROUBLE


# Checked in order: the first kind in an error's class hierarchy wins. Names, not imports: sqlalchemy
# is loaded only by the commands that use a store.
_HANDLERS: tuple[tuple[str, Any], ...] = (
    ("sqlalchemy.exc.NoSuchModuleError", _unknown_dialect),
    ("sqlalchemy.exc.ArgumentError", _bad_url),
    ("builtins.ImportError", _missing_driver),
    ("sqlalchemy.exc.DBAPIError", _database),
    ("sqlite3.Error", _database),
    ("builtins.OSError", _os),
    ("shared.store.StoreError", _store),
)
