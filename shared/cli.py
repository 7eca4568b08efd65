"""`jyjg`: the one console command. Parses arguments and calls the core, nothing more."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from rich.console import Console
from rich.table import Table

from .scoring import plain_number

console = Console(stderr=False)
err_console = Console(stderr=True)


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on wrong arguments, as the CONTRACT wants; messages stay argparse's."""


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="数据库地址（SQLAlchemy URL）；默认取环境变量 JYJG_DB，否则为当前目录的 sqlite:///jyjg.db")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jyjg", description="节约型机关创建评价系统")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    p = sub.add_parser("template", help="生成空白自评表模板")
    p.add_argument("out", type=Path, help="输出文件，如 自评表.xlsx")

    p = sub.add_parser("check", help="校验并重新计分申报材料")
    p.add_argument("paths", nargs="+", type=Path, help="工作簿、压缩包、申报文件夹或收件箱文件夹")
    p.add_argument("--json", type=Path, dest="json_out", help="把结果写入 JSON 文件")
    p.add_argument("--year", type=int, help="工作簿未填创建年度时采用的年度")

    p = sub.add_parser("demo", help="生成附件4单位的演示收件箱并运行校验")
    p.add_argument("--out", type=Path, default=Path("jyjg-demo"), help="演示数据目录（默认 ./jyjg-demo）")
    p.add_argument("--seed", type=int, default=2020, help="随机种子")
    _add_db(p)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = COMMANDS[args.command]
    return handler(args) or 0


def cmd_template(args: argparse.Namespace) -> int:
    from .template import write_template

    write_template(args.out)
    console.print(f"已生成空白自评表：{args.out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    results = run_check(args.paths, args.year)
    if args.json_out:
        write_json(results, args.json_out)
        console.print(f"结果已写入 {args.json_out}")
    return 0


def run_check(paths: Sequence[Path], year: int | None):
    from .batch import check_paths

    missing = [p for p in paths if not p.exists()]
    for p in missing:
        err_console.print(f"[yellow]找不到 {p}，已跳过。[/yellow]")
    existing = [p for p in paths if p.exists()]
    if err_console.is_terminal:
        from rich.progress import Progress

        with Progress(console=err_console, transient=True) as progress:
            task = progress.add_task("校验申报材料", total=None)
            results = check_paths(existing, year, progress=lambda r: progress.advance(task))
    else:
        results = check_paths(existing, year)
    print_summary(results)
    return results


def write_json(results, out: Path) -> None:
    document = {"submissions": [r.as_contract() for r in results]}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


def _score(value) -> str:
    shown = plain_number(value)
    return "—" if shown is None else str(shown)


def print_summary(results) -> None:
    table = Table(title=f"校验结果（共 {len(results)} 份申报）", show_lines=False)
    for header, justify in (("申报材料", "left"), ("单位", "left"), ("自评分", "right"), ("重算得分", "right"),
                            ("有佐证得分", "right"), ("达到80分", "center"), ("错误", "right"), ("警告", "right")):
        table.add_column(header, justify=justify, overflow="fold")
    for r in results:
        errors, warnings = r.counts
        reached = "—" if r.rescored_total is None else ("是" if r.qualifies else "否")
        table.add_row(r.source, r.org_name or "—", _score(r.claimed_total), _score(r.rescored_total),
                      _score(r.evidenced_total), reached, str(errors) if errors else "",
                      str(warnings) if warnings else "")
    console.print(table)
    qualified = sum(1 for r in results if r.qualifies)
    clean = sum(1 for r in results if not r.counts[0])
    console.print(f"重算达到 80 分：{qualified} 份；无错误：{clean} 份；有错误：{len(results) - clean} 份。")


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import build_demo_inbox

    inbox = build_demo_inbox(args.out, seed=args.seed)
    console.print(f"演示收件箱：{inbox}")
    run_check([inbox], None)
    return 0


COMMANDS = {"template": cmd_template, "check": cmd_check, "demo": cmd_demo}


if __name__ == "__main__":
    sys.exit(main())
