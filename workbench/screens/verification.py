"""核定: the 评价小组 verifies the open submission rule by rule, sees the running total against the pass mark,
and prints the 验收评分表.

Nothing counts as verified until a reviewer sets it: the grid starts blank (未核定) beside each
claim, and a whole item whose evidence was seen is confirmed at its claims with one button. What the
reviewer typed is kept apart from what the store holds (`base`): a save sends only the typed rules,
and when someone else saved first, the typed values stay, the rules that really differ are named, and
the reviewer re-applies them on top of the new state with one click.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import ipywidgets as w

from shared.rubric import RUBRIC, Rubric
from shared.scope import Action
from shared.scoring import ScoreCard, plain_number, tally, verdict_text
from shared.store import AWAITING_SITE, FINAL_STATES, StaleWrite, VerifiedCard, Version

from .. import listing, render
from ..common import current_html, download_link, message_html
from ..listing import text
from ..screen import Screen

UNSET = ""  # the score picker's 未核定
UNSET_LABEL = "未核定"


@dataclass(frozen=True)
class Entry:
    """One rule's row of the grid: score (UNSET or the allowed value as text), seen, reason."""

    score: str
    seen: bool
    reason: str


def stored_entry(card: VerifiedCard, rule_id: str) -> Entry:
    """What the store holds for a rule, as the grid shows it."""
    verdict = card.rules[rule_id]
    if verdict.verified is None:
        return Entry(UNSET, bool(verdict.evidence_seen), verdict.reason or "")
    return Entry(str(verdict.verified), bool(verdict.evidence_seen), verdict.reason or "")


def differing_rules(base: VerifiedCard, now: VerifiedCard, typed: dict[str, Entry]) -> list[str]:
    """The rules someone else changed since `base` to something other than what this reviewer typed."""
    return [rid for rid, mine in typed.items()
            if stored_entry(now, rid) != stored_entry(base, rid) and stored_entry(now, rid) != mine]


def score_label(rule, value: Decimal) -> str:
    """A choice of the score picker: 符合 / 不符合 for a gate rule (1 / 0), else the score."""
    if rule.gate:
        return "符合" if value >= 1 else "不符合"
    return listing.score(value)


def verdict_note(card: ScoreCard, edition: Rubric) -> str:
    """Beside the running total: （低于 N 分）, or what an edition with gates, ★ and grades makes of it."""
    if edition.simple:
        return "" if card.qualifies else f"（低于 {listing.score(edition.qualify_at)} 分）"
    return f"（{verdict_text(card)}）"


def saved_verdict(card: ScoreCard, edition: Rubric) -> str:
    if edition.simple:
        return (f"，达到 {listing.score(edition.qualify_at)} 分" if card.qualifies
                else f"，低于 {listing.score(edition.qualify_at)} 分，不能验收通过")
    return f"，{verdict_text(card)}" + ("" if card.qualifies else "，不能验收通过")


def shared_looks(widget_class: type[w.DOMWidget], **layout: str) -> dict[str, w.Widget]:
    """A layout and a style (of the kind `widget_class` takes) for many widgets of that class to share."""
    return {"layout": w.Layout(**layout), "style": widget_class.style.klass()}


def _shown_entry(entry: Entry) -> str:
    score = UNSET_LABEL if entry.score == UNSET else f"{plain_number(Decimal(entry.score))} 分"
    return score + ("，已查看佐证" if entry.seen else "") + (f"，理由“{entry.reason}”" if entry.reason else "")


class VerificationScreen(Screen):
    key = "verification"
    title = "核定"
    needs = (Action.VERIFY,)

    def __init__(self, shell):
        super().__init__(shell)
        self.base: VerifiedCard | None = None  # what the typed values are relative to
        self.last_conflicts: list[str] = []  # rules both this reviewer and someone else changed
        self.just_written: set[str] = set()  # rules this page has just saved: the store's value is the one to show

    def build(self) -> w.Widget:
        self.message = w.HTML()
        self.message.add_class("jyjg-verify-message")
        self.current_box = w.HTML(current_html(None))
        self.current_box.add_class("jyjg-current-box")
        self.note = w.HTML()
        # The grid's cells of one kind share one layout and one style. Each is a widget model of its own,
        # sent to the page when the tab opens: shared, the tab sends some 400 models instead of 1000.
        self.looks = {"cell": shared_looks(w.HTML), "confirm": shared_looks(w.Button, width="auto"),
                      "pick": shared_looks(w.Dropdown, width="90px"), "seen": shared_looks(w.Checkbox, width="40px"),
                      "reason": shared_looks(w.Text, width="auto")}
        self.grid = w.GridBox(self._grid_cells(RUBRIC), layout=w.Layout(
            grid_template_columns="60px minmax(180px, 2fr) 90px minmax(160px, 1.6fr) 100px 80px minmax(160px, 1.6fr)",
            grid_gap="2px 4px", align_items="center"))
        return self._layout()

    def _grid_cells(self, edition: Rubric) -> list[w.Widget]:
        """One row per rule of the edition the open version was scored under (RUBRIC until one is open)."""
        guarded = self.shell.guarded
        self.edition = edition
        self.controls: dict[str, tuple[w.Dropdown, w.Checkbox, w.Text]] = {}
        self.claims: dict[str, w.HTML] = {}
        self.confirm_buttons: dict[str, w.Button] = {}
        looks = self.looks

        def cell(html: str = "") -> w.HTML:
            return w.HTML(html, **looks["cell"])

        blank = '<div class="jyjg-verify-item">&nbsp;</div>'
        cells = [cell(f'<div class="jyjg-verify-head">{h}</div>')
                 for h in ("规则", "内容", "自评 / 重算", "佐证材料", "核定得分", "已查看佐证", "理由（与自评不同时必填）")]
        for item in edition.items:
            cells += [cell(f'<div class="jyjg-verify-item">{item.id}</div>'),
                      cell(f'<div class="jyjg-verify-item">{render.item_heading(item)}</div>'), cell(blank)]
            if any(not r.computed for r in item.rules):
                confirm = w.Button(description="本项佐证已查看：未核定的按自评确认", icon="check-square-o",
                                   tooltip="一次确认本项全部规则：尚未核定的规则按自评（重算）得分核定，并标记已查看佐证",
                                   **looks["confirm"])
                confirm.add_class(f"jyjg-confirm-{item.key}")
                confirm.on_click(guarded(lambda _, item_id=item.id: self.confirm_item(item_id), self.message))
                self.confirm_buttons[item.id] = confirm
                cells.append(confirm)
            else:
                cells.append(cell(blank))
            cells.extend(cell(blank) for _ in range(3))
            for rule in item.rules:
                claim = cell()
                evidence = cell()
                self.claims[rule.id] = claim
                self.claims[rule.id + "/evidence"] = evidence
                cells += [cell(f'<div class="jyjg-verify-cell">{rule.id}</div>'),
                          cell(f'<div class="jyjg-verify-cell">{render.rule_heading(rule)}</div>'), claim, evidence]
                if rule.computed:
                    computed = cell()
                    self.claims[rule.id + "/computed"] = computed
                    cells += [computed, cell('<div class="jyjg-verify-cell jyjg-muted">按备案表数据</div>'),
                              cell('<div class="jyjg-verify-cell jyjg-muted">由能耗数据计算；数据有误请用“能耗数据更正”</div>')]
                    continue
                pick = w.Dropdown(options=[(UNSET_LABEL, UNSET)] + [(score_label(rule, a), str(a)) for a in rule.allowed],
                                  **looks["pick"])
                seen = w.Checkbox(indent=False, **looks["seen"])
                reason = w.Text(placeholder="理由", **looks["reason"])
                pick.add_class(f"jyjg-verify-{rule.key}")
                seen.add_class(f"jyjg-seen-{rule.key}")
                reason.add_class(f"jyjg-reason-{rule.key}")
                for control in (pick, seen, reason):
                    control.observe(guarded(lambda _change: self._on_edit(), self.message), names="value")
                self.controls[rule.id] = (pick, seen, reason)
                cells += [pick, seen, reason]
        return cells

    def _layout(self) -> w.Widget:
        guarded = self.shell.guarded
        self.tally = w.HTML()
        self.tally.add_class("jyjg-verify-tally")
        self.save_button = w.Button(description="保存核定得分", button_style="primary", icon="save")
        self.save_button.add_class("jyjg-verify-save")
        self.save_button.on_click(guarded(lambda _: self.save(), self.message))
        self.reapply_button = w.Button(description="在最新内容上重新应用我的修改", icon="refresh",
                                       layout=w.Layout(display="none", width="auto"))
        self.reapply_button.add_class("jyjg-verify-reapply")
        self.reapply_button.on_click(guarded(lambda _: self.reapply(), self.message))
        to_decide = w.Button(description="去作实地验收结论", icon="arrow-right")
        to_decide.on_click(guarded(lambda _: self.shell.select("decisions")))
        self.report_button = w.Button(description="生成验收评分表", icon="print")
        self.report_button.add_class("jyjg-report")
        self.report_button.on_click(guarded(lambda _: self.acceptance_report(), self.message))
        self.report_link = w.HTML()
        self.report_link.add_class("jyjg-report-link")
        self.total_line = w.HTML()  # the running total again beside the buttons, below the long grid
        return w.VBox([self.current_box, self.note, self.tally, self.grid,
                       w.HBox([self.save_button, self.reapply_button, to_decide, self.report_button, self.total_line],
                              layout=w.Layout(flex_flow="row wrap")),
                       self.message, self.report_link])

    # --- what was typed ----------------------------------------------------------------------------

    def _entry(self, rule_id: str) -> Entry:
        pick, seen, reason = self.controls[rule_id]
        return Entry(pick.value or UNSET, bool(seen.value), reason.value.strip())

    def typed(self) -> dict[str, Entry]:
        """The rules whose row differs from what the store held when the reviewer started."""
        if self.base is None:
            return {}
        return {rid: self._entry(rid) for rid in self.controls if self._entry(rid) != stored_entry(self.base, rid)}

    def _put(self, rule_id: str, entry: Entry) -> None:
        pick, seen, reason = self.controls[rule_id]
        pick.value, seen.value, reason.value = entry.score, entry.seen, entry.reason

    def _on_edit(self) -> None:
        typed = self.typed()
        for rid, (pick, seen, reason) in self.controls.items():
            for control in (pick, seen, reason):
                if rid in typed:
                    control.add_class("jyjg-typed")
                else:
                    control.remove_class("jyjg-typed")
        self._draw_tally()

    # --- showing a submission ------------------------------------------------------------------------

    def show(self, version: Version, fresh: bool) -> None:
        if fresh:
            self.message.value = ""
            self.report_link.value = ""
        self.current_box.value = current_html(version)
        card = self.store.verified_card(version.id)
        written, self.just_written = self.just_written, set()
        if fresh or self.base is None or self.base.version_id != version.id:
            self._load(card, keep={})
        elif card.revision != self.base.revision:
            # Read again after a change (ours or someone else's): what the reviewer typed stays on top.
            typed = {rid: e for rid, e in self.typed().items() if rid not in written}
            conflicts = self.last_conflicts = differing_rules(self.base, card, typed)
            self._load(card, keep=typed)
            if conflicts:
                self.message.value = message_html(
                    "error", "注意：以下规则在您修改期间已被他人修改，表中保留的是您填写的内容，请核对后再保存："
                             + "、".join(conflicts))
        self._describe(version, card)

    def _load(self, card: VerifiedCard, keep: dict[str, Entry]) -> None:
        """Fill the grid from `card` (the new base), leaving the rules in `keep` as the reviewer typed them."""
        self.base = card
        if card.edition is not self.edition:  # a version of another edition: its own rules and caps
            replaced = self.grid.children
            self.grid.children = self._grid_cells(card.edition)
            for cell in replaced:  # the kernel and the page let go of the old rows (their shared looks stay)
                cell.close()
        self.reapply_button.layout.display = "none"
        version = self.shell.current
        for rule in card.edition.rules:
            verdict = card.rules[rule.id]
            entry = version.rules.get(rule.id) or {}
            self.claims[rule.id].value = (f'<div class="jyjg-verify-cell">{render.claimed_html(entry, rule)} / '
                                          f"<b>{score_label(rule, verdict.claimed)}</b></div>")
            statuses = version.evidence.get(rule.id) or []
            shown = "、".join(render.EVIDENCE_STATUS.get(e.get("status"), "") + "：" + (e.get("path") or "")
                             for e in statuses) or ("—" if rule.computed else "未列出")
            self.claims[rule.id + "/evidence"].value = f'<div class="jyjg-verify-cell">{text(shown)}</div>'
            if rule.computed:
                self.claims[rule.id + "/computed"].value = (
                    f'<div class="jyjg-verify-cell"><b>{score_label(rule, verdict.score)}</b></div>')
                continue
            self._put(rule.id, keep.get(rule.id) or stored_entry(card, rule.id))
        self._on_edit()

    def _describe(self, version: Version, card: VerifiedCard) -> None:
        editable = version.current and version.status == AWAITING_SITE
        for rid, controls in self.controls.items():
            for control in controls:
                control.disabled = not editable
        for button in self.confirm_buttons.values():
            button.disabled = not editable
        self.save_button.disabled = not editable
        pending = len(card.pending)
        if editable:
            self.note.value = message_html(
                "info", f"逐条核定：只有您选择了得分（或用“本项佐证已查看”确认）的规则才算核定。"
                        f"尚未核定 {pending} 条；全部核定后方可作实地验收结论。得分与自评不同时须填写理由。")
        elif version.status in FINAL_STATES:
            self.note.value = message_html("info", f"已有实地验收结论（{version.status}），核定得分只能查看。"
                                                   "如结论有误，可在“决定”中撤销后重新核定。")
        else:
            self.note.value = message_html(
                "info", f"当前状态为“{version.status}”：初审通过（待验收）后评价小组方可核定得分。")

    # --- the running total -----------------------------------------------------------------------------

    def _scores(self) -> tuple[dict[str, Decimal], dict[str, Decimal], int]:
        """(scores as the grid shows them, unverified at their claim; the claims; how many unverified)."""
        card = self.base
        scores, claims, unset = {}, {}, 0
        for rule in card.edition.rules:
            verdict = card.rules[rule.id]
            claims[rule.id] = verdict.claimed
            if rule.computed:
                scores[rule.id] = verdict.score
                continue
            value = self.controls[rule.id][0].value
            if value == UNSET:
                unset += 1
                scores[rule.id] = verdict.claimed
            else:
                scores[rule.id] = Decimal(value)
        return scores, claims, unset

    def _draw_tally(self) -> None:
        if self.base is None:
            self.tally.value = ""
            return
        scores, claims, unset = self._scores()
        waiting = (f'<div class="jyjg-warn">尚有 {unset} 条规则未核定（按自评计入上面的合计）。</div>' if unset else "")
        edition = self.base.edition
        skipped = self.base.card.skipped
        self.tally.value = render.render_tally(scores, claims, edition, skipped) + waiting
        card = tally(scores, edition, skipped)
        self.total_line.value = (f'<div class="jyjg-total">&nbsp;核定总分 <b>{listing.score(card.total)}</b> 分'
                                 f'{verdict_note(card, edition)}{f"，未核定 {unset} 条" if unset else ""}</div>')

    # --- saving ----------------------------------------------------------------------------------------

    def _need_current(self) -> Version | None:
        if self.shell.current is None:
            self.message.value = message_html("error", "请先在“申报列表”中打开一份申报。")
        return self.shell.current

    def save(self) -> None:
        current = self._need_current()
        if current is None:
            return
        typed = self.typed()
        if not typed:
            self.message.value = message_html("info", "没有修改任何规则。")
            return
        unscored = [rid for rid, e in typed.items() if e.score == UNSET]
        if unscored:
            self.message.value = message_html("error", "请先为以下规则选择核定得分：" + "、".join(unscored))
            return
        entries = {rid: (e.score, e.seen, e.reason) for rid, e in typed.items()}
        try:
            card = self.store.verify_rules(current.id, entries, expected_revision=self.base.revision)
        except StaleWrite as stale:
            self._conflict(stale, typed)
            return
        self.just_written = set(entries)
        self.shell.changed()
        left = f"，尚未核定 {len(card.pending)} 条" if card.pending else "，全部规则已核定"
        self.message.value = message_html(
            "ok", f"已保存 {len(entries)} 条规则的核定：核定总分 {listing.score(card.total)} 分"
                  + saved_verdict(card.card, card.edition) + left + "。")

    def _conflict(self, stale: StaleWrite, typed: dict[str, Entry]) -> None:
        """Someone saved first: keep the grid as typed, say which rules really differ, offer to re-apply."""
        now = self.store.verified_card(stale.version_id)
        differ = differing_rules(self.base, now, typed)
        lines = [str(stale).split("。")[0] + "。", "您填写的内容仍保留在表中，没有保存。"]
        if differ:
            lines.append("以下规则对方也修改了，且与您填写的不同：")
            lines += [f"  {rid}：对方为 {_shown_entry(stored_entry(now, rid))}；您填写的是 {_shown_entry(typed[rid])}"
                      for rid in differ]
        else:
            lines.append("对方修改的规则与您修改的规则没有冲突。")
        lines.append("点击“在最新内容上重新应用我的修改”：对方的修改载入表中，您修改过的规则保留您填写的内容；核对后再保存。")
        self.reapply_button.layout.display = None
        self.message.value = message_html("error", "\n".join(lines))

    def reapply(self) -> None:
        """Re-apply the reviewer's typed rules on top of the newer state, ready to save again."""
        if self.shell.current is None:
            return
        self.shell.reopen()  # every screen reads the new state; this grid keeps the typed rules (see show)
        kept = "、".join(sorted(self.typed())) or "无"
        differ = "、".join(self.last_conflicts)
        self.message.value = message_html(
            "info", f"已载入最新内容，并保留您修改的规则：{kept}。"
                    + (f"其中 {differ} 对方也修改过，请特别核对。" if differ else "") + "核对后请点“保存核定得分”。")

    def confirm_item(self, item_id: str) -> None:
        current = self._need_current()
        if current is None:
            return
        typed = self.typed()
        try:
            card = self.store.confirm_item(current.id, item_id, expected_revision=self.base.revision)
        except StaleWrite as stale:
            self._conflict(stale, typed)
            return
        self.just_written = {r.id for i in card.edition.items if i.id == item_id for r in i.rules}
        self.shell.changed()
        self.message.value = message_html(
            "ok", f"项目 {item_id} 已确认：佐证已查看，未核定的规则按自评核定。尚未核定 {len(card.pending)} 条。")

    def acceptance_report(self) -> None:
        version = self._need_current()
        if version is None:
            return
        from shared.report import write_acceptance_report

        name = version.unit_name or version.org_name
        if not name or version.assess_year is None:
            self.message.value = message_html("error", "这份申报没有可识别的单位名称或创建年度，不能生成验收评分表。")
            return
        # Written under our own name in a private folder: the unit name is only the offered name.
        folder = Path(tempfile.mkdtemp(prefix="jyjg-report-"))
        try:
            out = write_acceptance_report(self.store.for_unit_report(version.id), name, version.assess_year, folder / "report.xlsx")
            self.report_link.value = download_link(out, "验收评分表", f"{name}_{version.assess_year}年度验收评分表.xlsx")
            self.message.value = message_html("ok", "验收评分表已生成，点击下面的链接下载后打印。")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
