"""评审意见交流: reviewers' comments on the open submission (and on the unit's earlier versions of the year)."""
from __future__ import annotations

import ipywidgets as w

from shared.scope import Action
from shared.store import Version

from ..common import current_html, message_html
from ..listing import text
from ..render import when
from ..screen import Screen

COMMENT_MAX = 2000


class CommentScreen(Screen):
    key = "comments"
    title = "评审意见交流"
    needs = (Action.COMMENT,)

    def build(self) -> w.Widget:
        self.message = w.HTML()
        self.message.add_class("jyjg-comment-message")
        self.current_box = w.HTML(current_html(None))
        self.current_box.add_class("jyjg-current-box")
        self.thread = w.HTML()
        self.thread.add_class("jyjg-comments")
        self.text = w.Textarea(placeholder="写下您对这份申报的意见，其他评审人会在这里看到",
                               layout=w.Layout(width="720px", height="90px"))
        self.text.add_class("jyjg-comment-text")
        self.post = w.Button(description="发表意见", button_style="primary", icon="comment")
        self.post.add_class("jyjg-comment-post")
        self.post.on_click(self.shell.guarded(lambda _: self.add(), self.message))
        return w.VBox([self.current_box, self.thread, self.text, self.post, self.message])

    def show(self, version: Version, fresh: bool) -> None:
        if fresh:
            self.text.value = ""
            self.message.value = ""
        self.current_box.value = current_html(version)
        history = self.store.history(version.id)
        entries = []
        for other in history.versions:
            mine = other.id == version.id
            comments = history.comments if mine else self.store.history(other.id).comments
            label = "" if mine else f'<span class="jyjg-muted">（第 {other.number} 版）</span>'
            entries += [(c.created_at, c, label) for c in comments]
        entries.sort(key=lambda e: e[0])
        items = "".join(
            f'<div class="jyjg-comment"><div class="jyjg-comment-head"><b>{text(c.author)}</b> '
            f'<span class="jyjg-muted">{when(c.created_at)}</span>{label}</div>'
            f'<div class="jyjg-prose">{text(c.text)}</div></div>' for _, c, label in entries)
        self.thread.value = items or '<p class="jyjg-muted">还没有评审意见。</p>'

    def add(self) -> None:
        current = self.shell.current
        if current is None:
            self.message.value = message_html("error", "请先在“申报列表”中打开一份申报。")
            return
        typed = self.text.value.strip()
        if not typed:
            self.message.value = message_html("error", "请先填写意见内容。")
            return
        if len(typed) > COMMENT_MAX:
            self.message.value = message_html("error", f"意见有 {len(typed)} 字，请精简到 {COMMENT_MAX} 字以内。")
            return
        self.store.add_comment(current.id, typed)
        self.text.value = ""
        self.shell.reopen()
        self.message.value = message_html("ok", "意见已发表。")
