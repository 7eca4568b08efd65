"""决定: 初审 (通过 / 退回补正) and 实地验收 (通过 / 不通过) of the open submission, and its history."""
from __future__ import annotations

import ipywidgets as w

from shared.store import APPROVE, REJECT, RETURN, STAGE_REVIEW, STAGE_SITE, StaleWrite, Version

from .. import render
from ..common import current_html, message_html
from ..screen import Screen


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
        self.site_outcome = w.ToggleButtons(options=[APPROVE, REJECT], value=None, description="验收结论")
        self.site_opinion = w.Textarea(placeholder="整改意见（不通过时可留空：按核定结果自动起草）",
                                       layout=w.Layout(width="720px", height="90px"))
        self.site_save = w.Button(description="保存实地验收结论", button_style="primary", icon="check")
        self.site_save.on_click(guarded(lambda _: self.decide(STAGE_SITE), self.message))
        self.review_outcome.add_class("jyjg-review-outcome")
        self.review_opinion.add_class("jyjg-review-opinion")
        self.review_save.add_class("jyjg-review-save")
        self.site_outcome.add_class("jyjg-site-outcome")
        self.site_opinion.add_class("jyjg-site-opinion")
        self.site_save.add_class("jyjg-site-save")
        self.reload_button = w.Button(description="载入最新内容", icon="refresh",
                                      tooltip="重新读取本申报的最新状态；已填写的意见保留")
        self.reload_button.on_click(guarded(lambda _: self._reload(), self.message))
        self.history = w.HTML()
        return w.VBox([
            self.current_box,
            w.HTML("<h4>初审（市机关事务管理局）</h4>"), self.review_outcome, self.review_opinion, self.review_save,
            w.HTML("<h4>实地验收（评价小组）</h4>"
                   '<div class="jyjg-muted">验收通过须先在“核定”中逐条核定得分，且核定总分达到 80 分。</div>'),
            self.site_outcome, self.site_opinion, self.site_save,
            self.message, self.reload_button, self.history])

    def show(self, version: Version, fresh: bool) -> None:
        if fresh:
            self.review_opinion.value = ""
            self.site_opinion.value = ""
            self.review_outcome.value = None
            self.site_outcome.value = None
            self.message.value = ""
        self.current_box.value = current_html(version)
        self.history.value = render.render_history(self.store.history(version.id))

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
            decision = self.store.decide(current.id, stage, outcome_pick.value, opinion.value, self.shell.actor,
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
