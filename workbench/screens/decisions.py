"""决定: 初审 (通过 / 退回补正) and 实地验收 (通过 / 不通过) of the open submission, 撤销决定 (with a
reason; the decision stays in the history marked revoked), 撤回 of a submission recorded by mistake
(with a reason; kept, out of the lists and counts), and the submission's history.

A form is active only when its decision can be made: 初审 while 待初审, 实地验收 while 待验收, neither
on a replaced or withdrawn version or once the year's result is decided.
"""
from __future__ import annotations

import ipywidgets as w

from shared.scope import Action, could
from shared.store import (APPROVE, AWAITING_REVIEW, AWAITING_SITE, FINAL_STATES, REJECT, RETURN, RETURNED,
                          STAGE_REVIEW, STAGE_SITE, Decision, StaleWrite, Version)

from .. import render
from ..common import current_html, message_html
from ..render import when
from ..screen import Screen


def review_note(version: Version) -> str:
    """Why the 初审 form is inactive, or '' when it is active."""
    if not version.current:
        return "这是已被替代或已撤回的版本，不能作结论。"
    if version.status == AWAITING_REVIEW:
        return ""
    if version.status == RETURNED:
        return "已退回补正：等单位提交新版本后再初审。"
    return f"初审已完成（当前状态：{version.status}）。"


def site_note(version: Version) -> str:
    """Why the 实地验收 form is inactive, or '' when it is active."""
    if not version.current:
        return "这是已被替代或已撤回的版本，不能作结论。"
    if version.status in FINAL_STATES:
        return f"已有实地验收结论（{version.status}）。如有误，可在下面撤销后重新决定。"
    if version.status != AWAITING_SITE:
        return "初审通过后方可实地验收。"
    return ""


class DecisionScreen(Screen):
    key = "decisions"
    title = "决定"

    def build(self) -> w.Widget:
        guarded = self.shell.guarded
        self.message = w.HTML()
        self.message.add_class("jyjg-decide-message")
        self.current_box = w.HTML(current_html(None))
        self.current_box.add_class("jyjg-current-box")
        self.review_outcome = w.ToggleButtons(options=[APPROVE, RETURN], value=None, description="初审结论")
        self.review_opinion = w.Textarea(placeholder="意见（退回补正时必填：写明需要补正的内容）",
                                         layout=w.Layout(width="720px", height="90px"))
        self.review_save = w.Button(description="保存初审结论", button_style="primary", icon="check")
        self.review_save.on_click(guarded(lambda _: self.decide(STAGE_REVIEW), self.message))
        self.review_state = w.HTML()
        self.site_outcome = w.ToggleButtons(options=[APPROVE, REJECT], value=None, description="验收结论")
        self.site_opinion = w.Textarea(placeholder="整改意见（不通过时可留空：按核定结果自动起草）",
                                       layout=w.Layout(width="720px", height="90px"))
        self.site_save = w.Button(description="保存实地验收结论", button_style="primary", icon="check")
        self.site_save.on_click(guarded(lambda _: self.decide(STAGE_SITE), self.message))
        self.site_state = w.HTML()
        for widget, css in ((self.review_outcome, "jyjg-review-outcome"), (self.review_opinion, "jyjg-review-opinion"),
                            (self.review_save, "jyjg-review-save"), (self.site_outcome, "jyjg-site-outcome"),
                            (self.site_opinion, "jyjg-site-opinion"), (self.site_save, "jyjg-site-save"),
                            (self.review_state, "jyjg-review-state"), (self.site_state, "jyjg-site-state")):
            widget.add_class(css)
        self.reload_button = w.Button(description="载入最新内容", icon="refresh",
                                      tooltip="重新读取本申报的最新状态；已填写的意见保留")
        self.reload_button.on_click(guarded(lambda _: self._reload(), self.message))

        self.revoke_title = w.HTML("<h4>撤销决定</h4>")
        self.revoke_what = w.HTML()
        self.revoke_reason = w.Textarea(placeholder="撤销理由（必填：写明为什么撤销，将记入操作记录）",
                                        layout=w.Layout(width="720px", height="70px"))
        self.revoke_button = w.Button(description="撤销这条结论", button_style="danger", icon="undo")
        self.revoke_reason.add_class("jyjg-revoke-reason")
        self.revoke_button.add_class("jyjg-revoke")
        self.revoke_button.on_click(guarded(lambda _: self.revoke(), self.message))
        self.revoke_box = w.VBox([self.revoke_title, self.revoke_what, self.revoke_reason, self.revoke_button])
        self.revoke_box.add_class("jyjg-revoke-box")

        self.withdraw_what = w.HTML()
        self.withdraw_reason = w.Textarea(placeholder="撤回理由（必填：如“误传，非申报包”“重复上传”）",
                                          layout=w.Layout(width="720px", height="60px"))
        self.withdraw_button = w.Button(description="撤回这份申报", button_style="danger", icon="trash")
        self.withdraw_reason.add_class("jyjg-withdraw-reason")
        self.withdraw_button.add_class("jyjg-withdraw")
        self.withdraw_button.on_click(guarded(lambda _: self.withdraw(), self.message))
        self.withdraw_box = w.VBox([w.HTML("<h4>撤回申报</h4>"), self.withdraw_what, self.withdraw_reason,
                                    self.withdraw_button])
        self.withdraw_box.add_class("jyjg-withdraw-box")
        self.history = w.HTML()
        self.history.add_class("jyjg-history")
        if not self.offers_forms():
            # An account that can decide nothing (创建单位, 只读) sees the decisions and 整改意见 only.
            # (the history's own 评审结论 table holds each decision's opinion, the 整改意见 included)
            return w.VBox([self.current_box, self.message, self.history])
        return w.VBox([
            self.current_box,
            w.HTML("<h4>初审（市机关事务管理局）</h4>"), self.review_state, self.review_outcome, self.review_opinion,
            self.review_save,
            w.HTML("<h4>实地验收（评价小组）</h4>"
                   '<div class="jyjg-muted">实地验收须先在“核定”中逐条核定全部规则；验收通过还须核定总分达到合格分。</div>'),
            self.site_state, self.site_outcome, self.site_opinion, self.site_save,
            self.message, self.reload_button, self.revoke_box, self.withdraw_box, self.history])

    def offers_forms(self) -> bool:
        """Whether this account is offered the decision forms at all (the store checks each decision)."""
        return any(could(self.store.account, action) for action in (Action.REVIEW, Action.SITE, Action.REVOKE))

    def show(self, version: Version, fresh: bool) -> None:
        if fresh:
            self.review_opinion.value = ""
            self.site_opinion.value = ""
            self.review_outcome.value = None
            self.site_outcome.value = None
            self.revoke_reason.value = ""
            self.withdraw_reason.value = ""
            self.message.value = ""
        self.current_box.value = current_html(version)
        history = self.store.history(version.id)
        self.history.value = render.render_history(history)
        pending = len(self.store.verified_card(version.id).pending) if version.status == AWAITING_SITE else 0
        review = review_note(version) or self.shell.refusal("review")
        site = site_note(version) or self.shell.refusal("site")
        for widget in (self.review_outcome, self.review_opinion, self.review_save):
            widget.disabled = bool(review)
        for widget in (self.site_outcome, self.site_opinion, self.site_save):
            widget.disabled = bool(site)
        self.review_state.value = message_html("info", review)
        self.site_state.value = message_html(
            "info", site or (f"尚有 {pending} 条规则未核定，请先在“核定”中核定。" if pending else ""))
        standing = [d for d in history.decisions if not d.revoked]
        self._show_revocable(version, standing)
        withdrawable = version.current and not standing and self.shell.may("withdraw")
        self.withdraw_box.layout.display = None if withdrawable else "none"
        self.withdraw_what.value = (
            '<div class="jyjg-muted">误传的文件（不是申报包、传错单位、重复上传）可以撤回：撤回后不再列入申报列表和统计，'
            "原件和记录保留；如单位此前另有版本，那一版恢复为当前版本。</div>")

    def _show_revocable(self, version: Version, standing: list[Decision]) -> None:
        last = standing[-1] if standing else None
        if last is None or not version.current or not self.shell.may("revoke"):
            self.revoke_box.layout.display = "none"
            self.revocable = None
            return
        self.revocable = last
        self.revoke_box.layout.display = None
        self.revoke_what.value = (
            f'<div>最近的结论：<b>{last.stage}{last.outcome}</b>（{render.text(last.reviewer)}，{when(last.decided_at)}）。'
            "撤销后这条结论仍保留在评审结论中（标明已撤销），申报回到作出这条结论之前的状态。</div>")

    def _reload(self) -> None:
        if self.shell.current is None:
            return
        self.shell.reopen()
        self.message.value = message_html("info", "已载入最新内容。")

    def decide(self, stage: str) -> None:
        current = self.shell.current
        if current is None:
            self.message.value = message_html("error", "请先在“申报列表”中打开一份申报。")
            return
        outcome_pick, opinion = ((self.review_outcome, self.review_opinion) if stage == STAGE_REVIEW
                                 else (self.site_outcome, self.site_opinion))
        if outcome_pick.value is None:
            self.message.value = message_html("error", f"请先选择{stage}结论。")
            return
        try:
            decision = self.store.decide(current.id, stage, outcome_pick.value, opinion.value,
                                         expected_revision=current.revision)
        except StaleWrite as stale:
            # Nothing is reloaded: the reviewer's choice and text stay on the page to be saved again.
            self.message.value = message_html("error", str(stale) + "\n您填写的意见仍保留在上面，"
                                              "点击“载入最新内容”查看后可再次保存。")
            return
        opinion.value = ""
        outcome_pick.value = None
        self.shell.changed()
        self.message.value = message_html(
            "ok", f"已保存：{decision.stage}{decision.outcome}（评审人 {decision.reviewer}）。"
                  f"当前状态：{self.shell.current.status}。")

    def withdraw(self) -> None:
        current = self.shell.current
        if current is None:
            self.message.value = message_html("error", "请先在“申报列表”中打开一份申报。")
            return
        if not self.withdraw_reason.value.strip():
            self.message.value = message_html("error", "请填写撤回理由。")
            return
        try:
            gone = self.store.withdraw(current.id, self.withdraw_reason.value, expected_revision=current.revision)
        except StaleWrite as stale:
            self.message.value = message_html("error", str(stale) + "\n您填写的撤回理由仍保留在下面。")
            return
        self.withdraw_reason.value = ""
        self.shell.changed()
        self.message.value = message_html("ok", f"已撤回{gone.label}（{gone.original_name}），"
                                                "不再列入申报列表和统计；原件和记录保留。")

    def revoke(self) -> None:
        current, decision = self.shell.current, getattr(self, "revocable", None)
        if current is None or decision is None:
            self.message.value = message_html("error", "没有可以撤销的结论。")
            return
        if not self.revoke_reason.value.strip():
            self.message.value = message_html("error", "请填写撤销理由。")
            return
        try:
            self.store.revoke_decision(decision.id, self.revoke_reason.value,
                                       expected_revision=current.revision)
        except StaleWrite as stale:
            self.message.value = message_html("error", str(stale) + "\n您填写的撤销理由仍保留在下面。")
            return
        self.revoke_reason.value = ""
        self.shell.changed()
        self.message.value = message_html(
            "ok", f"已撤销{decision.stage}{decision.outcome}结论（仍保留在评审结论中）。"
                  f"当前状态：{self.shell.current.status}。")
