"""The add-in's actions as xlwings-server custom scripts (Excel on the web, and Excel without local Python).

xlwings-server imports the `custom_scripts` package of its project folder; excel_addin/server/ is that
folder and re-exports these. The book arrives as the task pane's JSON payload, so the workbook's own
folder is out of reach: validation and scores work as on the desktop (except that evidence files cannot
be looked at), while adding evidence and packing say how to do them on a PC.
"""
from __future__ import annotations

import xlwings as xw
from xlwings.server import script

from . import labels, scripts


@script
def validate(book: xw.Book):
    scripts.validate(book, folder=None)


@script
def score(book: xw.Book):
    scripts.score(book, folder=None)


@script
def attach_evidence(book: xw.Book):
    book.app.alert(labels.WEB_NEEDS_DESKTOP, title=labels.TITLE)


@script
def pack(book: xw.Book):
    book.app.alert(labels.WEB_NEEDS_DESKTOP, title=labels.TITLE)
