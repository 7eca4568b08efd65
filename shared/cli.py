"""`jyjg`: the one console command. Parses arguments and calls the core, nothing more."""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table

from .files import shown_path
from .numbers import shown
from .scoring import FIRST_YEAR, LAST_YEAR, parse_year

# Piped output is not wrapped at 80 columns: Chinese tables need the room.
console = Console(stderr=False, width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, soft_wrap=True)  # messages: one line each, the terminal wraps them


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse with Chinese headings; it exits 2 on wrong arguments, as the CONTRACT wants."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：参数有误：{_in_chinese(message)}\n")

    def add_argument(self, *args, **kwargs):
        """Every value's placeholder in the help is Chinese (PLACEHOLDERS), never argparse's OUT or DB."""
        action = super().add_argument(*args, **kwargs)
        if action.metavar is None and action.nargs != 0 and action.dest in PLACEHOLDERS:
            action.metavar = PLACEHOLDERS[action.dest]
        return action


# The placeholder shown in the help for each value, by argument name.
PLACEHOLDERS = {"out": "输出文件", "json_out": "文件", "year": "年度", "seed": "种子", "db": "数据库地址", "by": "记录人",
                "rate": "比例", "unit": "单位名称", "district": "区县", "port": "端口", "token": "口令", "file": "名单文件",
                "reviewer": "姓名", "ip": "地址", "login": "登录名", "role": "角色", "name": "显示名"}


# argparse's own messages, as users should read them.
_ARGPARSE_MESSAGES = (
    (re.compile(r"the following arguments are required: (.+)"), "缺少参数 {0}"),
    (re.compile(r"argument (\S+): invalid int value: (.+)"), "{0} 应为整数，不能是 {1}"),
    (re.compile(r"argument (\S+): (应为.+)"), "{0} {1}"),
    (re.compile(r"argument (\S+): invalid float value: (.+)"), "{0} 应为数字，不能是 {1}"),
    (re.compile(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)"), "{1} 不是可用的选项，可选：{2}"),
    (re.compile(r"argument (\S+): expected one argument"), "{0} 后面需要一个值"),
    (re.compile(r"unrecognized arguments: (.+)"), "无法识别的参数 {0}"),
)


def _in_chinese(message: str) -> str:
    for pattern, template in _ARGPARSE_MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return template.format(*match.groups())
    return message


def _year(text: str) -> int:
    """--year: a year the rubric can be about, refused with the valid range otherwise."""
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"应为整数，不能是 {text}") from None
    if parse_year(year) != year:
        raise argparse.ArgumentTypeError(f"应为 {FIRST_YEAR}–{LAST_YEAR} 之间的年份，不能是 {text}")
    return year


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="数据库地址（SQLAlchemy URL）；默认取环境变量 JYJG_DB，否则为当前目录的 sqlite:///jyjg.db")


def build_parser() -> argparse.ArgumentParser:
    from .rubric import CITY

    parser = _Parser(prog="jyjg", description="节约型机关创建评价系统")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令", parser_class=_Parser)

    p = sub.add_parser("template", help="生成空白自评表模板")
    p.add_argument("out", type=Path, help="输出文件，如 自评表.xlsx")
    p.add_argument("--edition", metavar="版本代号", help="评价指标版本代号（见 jyjg editions；默认为最新年度适用的版本）")

    sub.add_parser("editions", help="列出已安装的评价指标版本：代号、适用年度、名称")

    p = sub.add_parser("check", help="校验并重新计分申报材料")
    p.add_argument("paths", nargs="+", type=Path, metavar="路径", help="工作簿、压缩包、申报文件夹或收件箱文件夹")
    p.add_argument("--json", type=Path, dest="json_out", help="把结果写入 JSON 文件")
    p.add_argument("--table", type=Path, dest="table_out", metavar="汇总表.csv",
                   help="把每份申报一行的完整汇总表写入 CSV 文件（Excel、WPS 可直接打开）")
    p.add_argument("--year", type=_year, help="工作簿未填创建年度时采用的年度")

    p = sub.add_parser("demo", help="生成附件4单位的演示收件箱，校验、记入数据库并导出年度汇总")
    p.add_argument("--out", type=Path, default=Path("jyjg-demo"), metavar="目录", help="演示数据目录（默认 ./jyjg-demo）")
    p.add_argument("--seed", type=int, default=2020, help="随机种子")
    _add_db(p)

    p = sub.add_parser("load", help="校验申报材料并记入评审数据库")
    p.add_argument("paths", nargs="+", type=Path, metavar="路径", help="工作簿、压缩包、申报文件夹或收件箱文件夹")
    p.add_argument("--year", type=_year, help="工作簿未填创建年度时采用的年度")
    p.add_argument("--by", default="系统", help="记录人")
    _add_db(p)

    p = sub.add_parser("export", help="导出年度名单、进度和评分汇总（.xlsx），并生成通报草稿（.docx）")
    p.add_argument("--year", type=_year, required=True, help="创建年度")
    p.add_argument("--out", type=Path, required=True, help="输出文件，如 2020年度汇总.xlsx")
    _add_db(p)

    p = sub.add_parser("sample", help="按比例抽取区县（市）验收通过单位进行抽查")
    p.add_argument("--year", type=_year, required=True, help="创建年度")
    p.add_argument("--rate", default="0.05", help="每个区县（市）的抽查比例（默认 0.05）")
    p.add_argument("--seed", help="随机种子（默认由年度生成，可重现）")
    _add_db(p)

    p = sub.add_parser("report", help="输出单位的验收评分表（.xlsx 或 .pdf）")
    p.add_argument("--unit", required=True, help="单位名称")
    p.add_argument("--year", type=_year, required=True, help="创建年度")
    p.add_argument("--out", type=Path, required=True, help="输出文件（.xlsx 或 .pdf）")
    _add_db(p)

    p = sub.add_parser("roster", help="单位名单")
    roster_sub = p.add_subparsers(dest="roster_command", required=True, metavar="操作", parser_class=_Parser)
    q = roster_sub.add_parser("import", help="导入区县（市）的创建单位名单（.xlsx 或 .csv：单位名称、创建年度、分组）")
    q.add_argument("file", type=Path, help="名单文件（.xlsx 或 .csv）")
    q.add_argument("--district", required=True, help=f"区县（市）名称，如 {CITY.demo_district}")
    _add_db(q)

    p = sub.add_parser("serve", help="载入申报材料并启动评审工作台（浏览器访问）")
    p.add_argument("paths", nargs="*", type=Path, metavar="路径", help="要先载入的申报材料")
    p.add_argument("--port", type=int, default=8866, help="端口（默认 8866）")
    p.add_argument("--token", help="访问口令（不填则随机生成并显示）")
    p.add_argument("--reviewer", help="评审人姓名，记入每条结论和操作记录（默认为本机登录用户名）")
    p.add_argument("--ip", default="127.0.0.1", metavar="地址",
                   help="监听地址（默认 127.0.0.1，只有本机可访问）；设为其他地址时，前面必须架设 HTTPS（TLS）反向代理")
    p.add_argument("--kernels", type=int, default=None, metavar="个数",
                   help="预先准备的页面内核数（默认 2）：同时打开工作台的人多时调大，每个约占 150 MB 内存")
    _add_db(p)

    p = sub.add_parser("hub", help="多用户模式：用 JupyterHub 为已登录的账户提供评审工作台")
    p.add_argument("--db", required=True, help="PostgreSQL 数据库地址，如 postgresql+psycopg2://jyjg:口令@127.0.0.1/jyjg")
    p.add_argument("--ip", default="127.0.0.1", metavar="地址", help="监听地址（默认 127.0.0.1）")
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")

    p = sub.add_parser("user", help="多用户模式的账户：新建或修改、列出、停用")
    user_sub = p.add_subparsers(dest="user_command", required=True, metavar="操作", parser_class=_Parser)
    q = user_sub.add_parser("add", help="新建或修改账户")
    q.add_argument("login", help="登录名（小写字母、数字或 . _ -）")
    q.add_argument("--role", required=True, help="角色：管理员、评价小组成员、区县审核员、创建单位、只读")
    q.add_argument("--district", help=f"区县审核员所属的区县（市），如 {CITY.demo_district}")
    q.add_argument("--unit", help="创建单位账户所属的单位名称")
    q.add_argument("--name", help="显示名（默认同登录名）")
    q.add_argument("--password-stdin", action="store_true", help="从标准输入读取登录密码，并批准该账户登录")
    _add_db(q)
    q = user_sub.add_parser("list", help="列出账户（登录名、角色、范围、状态）")
    _add_db(q)
    q = user_sub.add_parser("disable", help="停用账户（不删除任何记录）")
    q.add_argument("login", help="登录名")
    _add_db(q)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = COMMANDS[args.command]
    try:
        return handler(args) or 0
    except Exception as error:  # a failing database or disk is a message for people, not a traceback
        from .failures import explain

        explained = explain(error, _db_url(args))
        if explained is None:
            raise
        message, code = explained
        err_console.print(message, markup=False, highlight=False)
        return code


def _db_url(args: argparse.Namespace) -> str | None:
    if not hasattr(args, "db"):
        return None
    from .store import default_db_url

    return args.db or default_db_url()


def _refuse_format(out: Path, allowed: tuple[str, ...], what: str) -> bool:
    """True (after saying so) when `out` names a format this command cannot write; nothing is written."""
    if out.suffix.lower() in allowed:
        return False
    formats = " 或 ".join(allowed)
    err_console.print(f"{what}只能保存为 {formats} 文件，不能保存为“{out.name}”。请把文件名改为以 {formats} 结尾，"
                      f"如 {out.with_suffix(allowed[0]).name}。", highlight=False)
    return True


def cmd_template(args: argparse.Namespace) -> int:
    from .rubric import CITY
    from .template import write_template

    if _refuse_format(args.out, (".xlsx",), "自评表模板"):
        return 2
    if args.edition and args.edition not in CITY.editions:
        err_console.print(f"没有名为“{args.edition}”的评价指标版本。已安装的版本：{'、'.join(CITY.editions)}"
                          "（jyjg editions 列出详情）。")
        return 2
    edition = CITY.edition(args.edition) if args.edition else CITY.default_edition
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_template(args.out, edition.name)
    console.print(f"已生成空白自评表：{args.out}（{edition.label}，版本代号 {edition.name}）", highlight=False)
    return 0


def cmd_editions(args: argparse.Namespace) -> int:
    """NAME<TAB>years it applies to<TAB>title, one per line (CONTRACT): plain lines for scripts."""
    from .rubric import CITY

    def first_year(name: str) -> tuple:  # the editions years use, oldest first; then the ones no year uses
        years = [y for y, e in CITY.config.editions.items() if e == name]
        return (min(years) if years else 10**6, name)

    for name in sorted(CITY.editions, key=first_year):
        edition = CITY.editions[name]
        sys.stdout.write(f"{name}\t{CITY.years_of(name)}\t{edition.title}\n")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    if _missing_paths(args.paths) or (args.json_out and _unwritable(args.json_out)):
        return 2
    run_check(args.paths, args.year, args.json_out, args.table_out)
    if args.json_out:
        console.print(f"结果已写入 {shown_path(args.json_out)}", markup=False, highlight=False)
    if args.table_out:
        console.print(f"完整表格已写入 {shown_path(args.table_out)}", markup=False, highlight=False)
    return 0


def run_check(paths: Sequence[Path], year: int | None, json_out: Path | None = None,
              table_out: Path | None = None):
    """Check, then write the JSON document and the table and print the summary. Memory stays the same
    whatever the number of submissions: results are spooled to a temporary file as they arrive and
    copied out once the run is complete, when each duplicate's first submission can be flagged too."""
    import functools

    from .batch import checked
    from .output import JsonDocument, Spool, Summary, TableFile, rendered_line
    from .submission import iter_discover

    subs = iter_discover(list(paths))  # every path looked at before anything is checked
    render = functools.partial(rendered_line, with_record=json_out is not None)
    spool = Spool(json_out)
    document = table = None
    try:
        with _progress() as advance:
            for org_name, source, line in checked(subs, year, render=render):
                spool.add(org_name, source, line)
                advance()
        summary = Summary()
        document = JsonDocument(json_out) if json_out else None
        table = TableFile(table_out) if table_out else None
        for brief, record in spool.replay():
            if document:
                document.add(record)
            if table:
                table.add(brief)
            summary.add(brief)
        if document:
            document.close()
            document = None
        if table:
            table.close()
    except BaseException:
        if document:
            document.abort()
        raise
    finally:
        spool.close()
    print_summary(summary, table_out)
    return summary


@contextlib.contextmanager
def _progress():
    """A progress line on a terminal; nothing when the output goes to a file or pipe."""
    if not err_console.is_terminal:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task("校验申报材料", total=None)
        yield lambda: progress.advance(task)


def write_json(results, out: Path) -> None:
    """The CONTRACT's document of results already at hand, written as `check --json` writes it."""
    from .output import JsonDocument, record_text

    document = JsonDocument(out)
    try:
        for result in results:
            document.add(record_text(result.as_contract()))
        document.close()
    except BaseException:
        document.abort()
        raise


def _unwritable(out: Path) -> bool:
    """Refuse before checking anything: --json naming a folder is a wrong argument."""
    if out.is_dir():
        err_console.print(f"--json 的“{shown_path(out)}”是一个文件夹。请写出要生成的文件名，如 结果.json。",
                          markup=False, highlight=False)
        return True
    return False


def print_summary(summary, table_out: Path | None = None) -> None:
    """The run's totals and its table: every submission while there are few, else the worst ones.
    `summary` is an output.Summary, or results at hand (a list of SubmissionResult)."""
    from .output import SHOWN_PER_SUBMISSION, Summary, briefs, reached, shown

    if not isinstance(summary, Summary):
        results, summary = summary, Summary()
        for brief in briefs(results):
            summary.add(brief)
    if summary.count == 0:
        console.print("没有找到申报材料：给出的路径中没有 .xlsx 自评表、.zip 压缩包或申报文件夹。", highlight=False)
        return
    rows = summary.rows()
    if summary.complete:
        title = f"校验结果（共 {summary.count} 份申报）"
    else:
        title = f"校验结果（共 {summary.count} 份申报；下表为问题最多的 {len(rows)} 份）"
    table = Table(title=title, show_lines=False)
    for header, justify in zip(summary.headers, ("left", "right", "right", "center", "right", "right", "right")):
        table.add_column(header, justify=justify, overflow="fold")
    for b in rows:
        table.add_row(b.name, shown(b.claimed_total), shown(b.rescored_total), reached(b), shown(b.evidenced_total),
                      str(b.errors) if b.errors else "", str(b.warnings) if b.warnings else "")
    console.print(table)
    flagged = [b for b in rows if b.problems]
    if flagged:
        console.print("\n问题明细（每份最多列出 {} 条，完整内容见 --json 输出）：".format(SHOWN_PER_SUBMISSION))
    for b in flagged:
        heading = f"{b.org_name}（{b.source}）" if b.org_name else b.source
        console.print(f"\n{heading}", style="bold", markup=False, highlight=False)
        for severity, message in b.problems:
            mark = "错误" if severity == "error" else "警告"
            console.print(f"  [{mark}] {message}", markup=False, highlight=False)
        more = b.errors + b.warnings - len(b.problems)
        if more > 0:
            console.print(f"  ……另有 {more} 条", highlight=False)
    console.print(f"\n{summary.reached_label}：{summary.qualified} 份；无错误：{summary.clean} 份；"
                  f"有错误：{summary.count - summary.clean} 份。")
    if not summary.complete and table_out is None:
        console.print("完整表格可用 --table 文件.csv 输出；每份申报的全部问题见 --json 输出。")


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DEMO_YEAR, RESUBMISSION_DIR, build_demo_inbox
    from .demo_year import check_demo_store, play_demo_year

    with _store(args) as store:  # refuse a store with real submissions before building anything
        check_demo_store(store)
    err_console.print("正在生成演示收件箱（附件4单位的申报材料，约半分钟）……")
    inbox = build_demo_inbox(args.out, seed=args.seed, progress=_count_progress("生成演示申报"))
    console.print(f"演示收件箱：{inbox}；退回单位的补正材料：{inbox.parent / RESUBMISSION_DIR}")
    run_check([inbox], None)
    with _store(args) as store:
        year = play_demo_year(store, args.out, progress=err_console.print)
        _print_demo_year(store, year)
        export, notice = _export(store, DEMO_YEAR, args.out / f"{DEMO_YEAR}年度节约型机关创建汇总.xlsx")
        report = None
        if year.failed_unit:
            from .report import write_acceptance_report

            report = write_acceptance_report(store, year.failed_unit, DEMO_YEAR, args.out / "验收评分表（示例）.xlsx")
        db, data_dir = store.url, store.data_dir
    console.print("\n输出文件：", style="bold")
    console.print(f"  评审数据库：{db}（原始申报文件在 {data_dir}）", highlight=False)
    console.print(f"  年度汇总：{export}", highlight=False)
    console.print(f"  通报草稿：{notice}", highlight=False)
    if report:
        console.print(f"  验收评分表示例（{year.failed_unit}）：{report}", highlight=False)
    jyjg, db_arg = _jyjg_command(), f" --db {args.db}" if args.db else ""
    console.print("\n下一步：", style="bold")
    for command, what in (
            (f"{jyjg} serve{db_arg}", "打开评审工作台，在浏览器中查看每份申报、作出初审与验收决定"),
            (f"{jyjg} report --unit 市委办公室 --year {DEMO_YEAR} --out 验收评分表.pdf{db_arg}", "打印单位验收评分表"),
            (f"{jyjg} sample --year {DEMO_YEAR}{db_arg}", "查看区县（市）抽查名单"),
            (f"{jyjg} check {inbox} --json 校验结果.json", "只校验、不记入数据库")):
        console.print(f"  {command}", highlight=False, markup=False)
        console.print(f"      {what}", highlight=False)
    return 0


def _print_demo_year(store, year) -> None:
    from .store import STATES

    if year.acted:
        done = "、".join(f"{stage}{outcome} {count} 份" for (stage, outcome), count in sorted(year.decisions.items()))
        console.print(f"已记入评审数据库 {store.url}：{year.loaded} 份申报（新记入 {year.new} 份）。", highlight=False)
        if done:
            console.print(f"评价小组本次作出：{done}；核定 {year.verified} 份。", highlight=False)
        if year.corrected:
            console.print(f"更正能耗数据：{'、'.join(year.corrected)}。", highlight=False)
    else:
        console.print(f"评审数据库 {store.url} 中已有这一演示年度（{year.loaded} 份申报），未重复记入或决定。",
                      highlight=False)
    states = "、".join(f"{state} {year.states[state]} 家" for state in STATES if year.states.get(state))
    console.print(f"{year.year} 年度演示单位：{states}。", highlight=False)
    if year.sample:
        console.print(f"抽查：{'、'.join(f'{e.district} {e.unit.name}' for e in year.sample)}。", highlight=False)


def _count_progress(label: str):
    """A progress callback (done, total): a bar on a terminal, else a line every tenth of the way."""
    state: dict = {}

    def report(done: int, total: int) -> None:
        if err_console.is_terminal:
            from rich.progress import Progress

            if "bar" not in state:
                state["bar"] = Progress(console=err_console, transient=True)
                state["bar"].start()
                state["task"] = state["bar"].add_task(label, total=total)
            state["bar"].update(state["task"], completed=done)
            if done >= total:
                state["bar"].stop()
        elif done == total or done % max(1, total // 10) == 0:
            err_console.print(f"{label}：{done}/{total}", highlight=False)

    return report


def _jyjg_command() -> str:
    """How the user runs this command from here: `jyjg` when it is on PATH, else the script's path."""
    import os
    import shutil

    script = Path(sys.executable).parent / "jyjg"
    found = shutil.which("jyjg")
    if not script.exists() or (found and Path(found).resolve() == script.resolve()):
        return "jyjg"
    try:
        relative = os.path.relpath(script, Path.cwd())
    except ValueError:  # another drive (Windows)
        return str(script)
    return str(script) if relative.startswith("..") else relative


def _store(args: argparse.Namespace):
    from .store import Store

    return Store(args.db)


def _missing_paths(paths: Sequence[Path]) -> bool:
    missing = [p for p in paths if not os.path.lexists(p)]
    for p in missing:
        err_console.print(f"找不到 {shown_path(p)}", markup=False, highlight=False)
    return bool(missing)


def cmd_load(args: argparse.Namespace) -> int:
    from .batch import load_stream

    if _missing_paths(args.paths):
        return 2
    from .store import StoreError

    new = old = refused = 0
    with _store(args) as store, _progress() as advance:
        for outcome in load_stream(store, args.paths, args.year, by=args.by):
            advance()
            if isinstance(outcome, StoreError):
                refused += 1
                err_console.print(str(outcome), markup=False, highlight=False)
            elif outcome.created:
                new += 1
            else:
                old += 1
    tail = f"；{refused} 份未能记入（原因见上）" if refused else ""
    console.print(f"共 {new + old + refused} 份申报：新记入 {new} 份，{old} 份此前已记入{tail}。")
    return 0


def _export(store, year: int, out: Path) -> tuple[Path, Path]:
    from .export import write_annual_export
    from .notice import write_notice

    write_annual_export(store, year, out)
    notice = out.with_name(f"{year}年度节约型机关创建情况通报（草稿）.docx")
    write_notice(store, year, notice)
    console.print(f"已导出 {year} 年度汇总：{out}")
    console.print(f"通报草稿：{notice}")
    return out, notice


def cmd_export(args: argparse.Namespace) -> int:
    if _refuse_format(args.out, (".xlsx",), "年度汇总"):
        return 2
    with _store(args) as store:
        if not store.unit_states(args.year):
            years = sorted({y for y in (u.creation_year for u in store.units()) if y is not None} |
                           {v.assess_year for v in store.versions() if v.assess_year is not None})
            known = f"（已有的年度：{'、'.join(map(str, years))}）" if years else ""
            err_console.print(f"评审数据库 {store.url} 中没有 {args.year} 年度的创建单位或申报{known}，未生成汇总。",
                              highlight=False)
            return 1
        _export(store, args.year, args.out)
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from .sampling import draw_sample

    with _store(args) as store:
        entries = draw_sample(store, args.year, args.rate, args.seed)
    if not entries:
        console.print(f"{args.year} 年度还没有验收通过的区县（市）单位，本次未抽取。")
        return 0
    table = Table(title=f"{args.year} 年度区县（市）抽查名单（共 {len(entries)} 家）")
    table.add_column("区县（市）")
    table.add_column("单位")
    for entry in entries:
        table.add_row(entry.district, entry.unit.name)
    console.print(table)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_acceptance_report

    if _refuse_format(args.out, (".xlsx", ".pdf"), "验收评分表"):
        return 2
    with _store(args) as store:
        out = write_acceptance_report(store, args.unit, args.year, args.out)
    console.print(f"已生成验收评分表：{out}")
    return 0


def cmd_roster(args: argparse.Namespace) -> int:
    from .export import read_unit_rows

    if _missing_paths([args.file]):
        return 2
    with _store(args) as store:
        count = store.import_units(read_unit_rows(args.file), args.district)
    console.print(f"已导入 {args.district} 单位 {count} 家。")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from workbench.server import serve

    if _missing_paths(args.paths):
        return 2
    from workbench.server import PRELOADED_KERNELS

    if args.kernels is not None and not 1 <= args.kernels <= 64:
        err_console.print("--kernels 应为 1 到 64 之间的整数。", markup=False)
        return 2
    return serve(args.paths, port=args.port, token=args.token, db_url=args.db, reviewer=args.reviewer, ip=args.ip,
                 kernels=args.kernels or PRELOADED_KERNELS)


def cmd_hub(args: argparse.Namespace) -> int:
    from workbench.hub import run_hub

    return run_hub(args.db, ip=args.ip, port=args.port)


def cmd_user(args: argparse.Namespace) -> int:
    from .accounts import Accounts, password_problem

    password = None
    if args.user_command == "add" and args.password_stdin:
        # Checked before anything is written: a refused password leaves no account half-made.
        password = sys.stdin.readline().rstrip("\r\n")
        problem = password_problem(password)
        if problem:
            err_console.print(f"账户 {args.login} 未创建，也未作任何修改：{problem}")
            return 2
    with _store(args) as store:
        accounts = Accounts(store)
        if args.user_command == "add":
            account = accounts.add(args.login, args.role, name=args.name, district=args.district, unit=args.unit,
                                   by=_os_user())
            if password is not None:
                accounts.set_password(account.login, password, by=_os_user())
            scope = f"，{account.scope_text}" if account.district or account.unit else ""
            ready = "，已设置密码并批准登录" if args.password_stdin else "（尚未设置密码：用 --password-stdin 设置）"
            console.print(f"账户 {account.login}（{account.name}，{account.role.value}{scope}）已保存{ready}。",
                          markup=False, highlight=False)
        elif args.user_command == "list":
            table = Table(title="账户")
            for header in ("登录名", "显示名", "角色", "范围", "状态"):
                table.add_column(header)
            for info in accounts.list():
                a = info.account
                table.add_row(a.login, a.name, a.role.value, a.scope_text, "启用" if a.active else "已停用")
            console.print(table)
        else:
            account = accounts.disable(args.login, by=_os_user())
            console.print(f"账户 {account.login}（{account.name}）已停用；其历史记录全部保留。", markup=False, highlight=False)
    return 0


def _os_user() -> str:
    import getpass

    try:
        return f"命令行（{getpass.getuser()}）"
    except Exception:  # no user name in this environment
        return "命令行"


def _friendly(handler):
    """Store refusals (stale writes, unknown units) are messages for people, not tracebacks."""

    def run(args: argparse.Namespace) -> int:
        from .office import OfficeError
        from .store import StoreError

        try:
            return handler(args)
        except (StoreError, OfficeError) as error:
            err_console.print(str(error))
            return 1

    return run


COMMANDS = {"template": cmd_template, "editions": cmd_editions, "check": cmd_check, "demo": _friendly(cmd_demo),
            "load": _friendly(cmd_load),
            "export": _friendly(cmd_export), "sample": _friendly(cmd_sample), "report": _friendly(cmd_report),
            "roster": _friendly(cmd_roster), "serve": cmd_serve, "hub": _friendly(cmd_hub),
            "user": _friendly(cmd_user)}


if __name__ == "__main__":
    sys.exit(main())
