"""核定: the 评价小组 verifies every rule's score of the open submission (with a reason where it
differs from the claim), sees the running total against 80, and prints the 验收评分表."""
from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import ipywidgets as w

from shared.rubric import RUBRIC
from shared.scoring import plain_number, tally
from shared.store import AWAITING_SITE, StaleWrite, Version

from .. import listing, render
from ..common import current_html, download_link, message_html
from ..listing import text
from ..screen import Screen


class VerificationScreen(Screen):
    key = "verification"
    title = "核定"

    def build(self) -> w.Widget:
        guarded = self.shell.guarded
        self.message = w.HTML()
        self.message.add_class("jyjg-verify-message")
        self.current_box = w.HTML(current_html(None))
        self.current_box.add_class("jyjg-current-box")
        self.note = w.HTML()
        self.controls: dict[str, tuple[w.Dropdown, w.Checkbox, w.Text]] = {}
        self.claims: dict[str, w.HTML] = {}
        cells = [w.HTML(f'<div class="jyjg-verify-head">{h}</div>')
                 for h in ("规则", "内容", "自评 / 重算", "佐证材料", "核定得分", "已查看佐证", "理由（与自评不同时必填）")]
        for item in RUBRIC.items:
            cells.append(w.HTML(f'<div class="jyjg-verify-item">{item.id}</div>'))
            cells.append(w.HTML(f'<div class="jyjg-verify-item">{text(item.name)}（上限 {listing.score(item.cap)} 分）</div>'))
            cells.extend(w.HTML('<div class="jyjg-verify-item">&nbsp;</div>') for _ in range(5))
            for rule in item.rules:
                claim = w.HTML()
                evidence = w.HTML()
                self.claims[rule.id] = claim
                self.claims[rule.id + "/evidence"] = evidence
                cells += [w.HTML(f'<div class="jyjg-verify-cell">{rule.id}</div>'),
                          w.HTML(f'<div class="jyjg-verify-cell">{text(rule.label)}</div>'), claim, evidence]
                if rule.computed:
                    computed = w.HTML()
                    self.claims[rule.id + "/computed"] = computed
                    cells += [computed, w.HTML('<div class="jyjg-verify-cell jyjg-muted">按备案表数据</div>'),
                              w.HTML('<div class="jyjg-verify-cell jyjg-muted">由能耗数据计算，不能直接修改</div>')]
                    continue
                pick = w.Dropdown(options=[(listing.score(a), str(a)) for a in rule.allowed],
                                  layout=w.Layout(width="80px"))
                seen = w.Checkbox(indent=False, layout=w.Layout(width="40px"))
                reason = w.Text(placeholder="理由", layout=w.Layout(width="auto"))
                pick.add_class(f"jyjg-verify-{rule.key}")
                seen.add_class(f"jyjg-seen-{rule.key}")
                reason.add_class(f"jyjg-reason-{rule.key}")
                pick.observe(guarded(lambda _change: self._draw_tally(), self.message), names="value")
                self.controls[rule.id] = (pick, seen, reason)
                cells += [pick, seen, reason]
        self.grid = w.GridBox(cells, layout=w.Layout(
            grid_template_columns="60px minmax(180px, 2fr) 90px minmax(160px, 1.6fr) 90px 80px minmax(160px, 1.6fr)",
            grid_gap="2px 4px", align_items="center"))
        self.tally = w.HTML()
        self.tally.add_class("jyjg-verify-tally")
        self.save_button = w.Button(description="保存核定得分", button_style="primary", icon="save")
        self.save_button.add_class("jyjg-verify-save")
        self.save_button.on_click(guarded(lambda _: self.save(), self.message))
        to_decide = w.Button(description="去作实地验收结论", icon="arrow-right")
        to_decide.on_click(guarded(lambda _: self.shell.select("decisions")))
        self.report_button = w.Button(description="生成验收评分表", icon="print")
        self.report_button.add_class("jyjg-report")
        self.report_button.on_click(guarded(lambda _: self.acceptance_report(), self.message))
        self.report_link = w.HTML()
        self.report_link.add_class("jyjg-report-link")
        self.total_line = w.HTML()  # the running total again beside the buttons, below the long grid
        return w.VBox([self.current_box, self.note, self.tally, self.grid,
                       w.HBox([self.save_button, to_decide, self.report_button, self.total_line]),
                       self.message, self.report_link])

    def show(self, version: Version, fresh: bool) -> None:
        if fresh:
            self.message.value = ""
            self.report_link.value = ""
        self.current_box.value = current_html(version)
        self._fill(version)

    def _fill(self, version: Version) -> None:
        card = self.store.verified_card(version.id)
        editable = version.current and version.status == AWAITING_SITE
        if editable:
            self.note.value = message_html("info", "逐条核定得分（已按重算结果预填），填写理由后保存。")
        elif version.status in ("验收通过", "验收未通过"):
            self.note.value = message_html("info", f"已有实地验收结论（{version.status}），核定得分只能查看。")
        else:
            self.note.value = message_html(
                "info", f"当前状态为“{version.status}”：初审通过（待验收）后评价小组方可核定得分。下面是按重算结果的预览。")
        for rule in RUBRIC.rules:
            verdict = card.rules[rule.id]
            entry = version.rules.get(rule.id) or {}
            raw = entry.get("claimed")
            claimed = "未填" if raw in (None, "") else raw
            self.claims[rule.id].value = (f'<div class="jyjg-verify-cell">{text(claimed)} / '
                                          f"<b>{listing.score(verdict.claimed)}</b></div>")
            statuses = version.evidence.get(rule.id) or []
            shown = "、".join(render.EVIDENCE_STATUS.get(e.get("status"), "") + "：" + (e.get("path") or "")
                             for e in statuses) or ("—" if rule.computed else "未列出")
            self.claims[rule.id + "/evidence"].value = f'<div class="jyjg-verify-cell">{text(shown)}</div>'
            if rule.computed:
                self.claims[rule.id + "/computed"].value = (
                    f'<div class="jyjg-verify-cell"><b>{listing.score(verdict.score)}</b></div>')
                continue
            pick, seen, reason = self.controls[rule.id]
            pick.value = str(next(a for a in rule.allowed if a == verdict.score))
            seen.value = bool(verdict.evidence_seen)
            reason.value = verdict.reason or ""
            for control in (pick, seen, reason):
                control.disabled = not editable
        self.save_button.disabled = not editable
        self._draw_tally()

    def _scores(self) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        current = self.shell.current
        card = self.store.verified_card(current.id) if current else None
        scores, claims = {}, {}
        for rule in RUBRIC.rules:
            verdict = card.rules[rule.id] if card else None
            claims[rule.id] = verdict.claimed if verdict else Decimal(0)
            if rule.computed:
                scores[rule.id] = verdict.score if verdict else Decimal(0)
            else:
                scores[rule.id] = Decimal(self.controls[rule.id][0].value or "0")
        return scores, claims

    def _draw_tally(self) -> None:
        if self.shell.current is None:
            self.tally.value = ""
            return
        scores, claims = self._scores()
        self.tally.value = render.render_tally(scores, claims)
        total = tally(scores).total
        self.total_line.value = (f'<div class="jyjg-total">&nbsp;核定总分 <b>{listing.score(total)}</b> 分'
                                 f'{"" if total >= RUBRIC.qualify_at else f"（低于 {plain_number(RUBRIC.qualify_at)} 分）"}</div>')

    def save(self) -> None:
        current = self.shell.current
        if current is None:
            self.message.value = message_html("error", "请先在“申报列表”中打开一份申报。")
            return
        entries = {rid: (pick.value, seen.value, reason.value) for rid, (pick, seen, reason) in self.controls.items()}
        try:
            card = self.store.verify_rules(current.id, entries, self.shell.actor, expected_revision=current.revision)
        except StaleWrite as stale:
            self.message.value = message_html("error", str(stale) + "\n您填写的核定得分仍保留在表中。")
            return
        self.shell.changed()
        self.message.value = message_html(
            "ok", f"已保存核定得分：核定总分 {listing.score(card.total)} 分"
                  + ("，达到 80 分。" if card.card.qualifies else "，低于 80 分，不能验收通过。"))

    def acceptance_report(self) -> None:
        version = self.shell.current
        if version is None:
            self.message.value = message_html("error", "请先在“申报列表”中打开一份申报。")
            return
        from shared.report import write_acceptance_report

        name = version.unit_name or version.org_name
        if not name or version.assess_year is None:
            self.message.value = message_html("error", "这份申报没有可识别的单位名称或创建年度，不能生成验收评分表。")
            return
        # Written under our own name in a private folder: the unit name is only the offered name.
        folder = Path(tempfile.mkdtemp(prefix="jyjg-report-"))
        try:
            out = write_acceptance_report(self.store, name, version.assess_year, folder / "report.xlsx")
            self.report_link.value = download_link(out, "验收评分表", f"{name}_{version.assess_year}年度验收评分表.xlsx")
            self.message.value = message_html("ok", "验收评分表已生成，点击下面的链接下载后打印。")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
