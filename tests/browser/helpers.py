"""Steps the dashboard tests share: open the page, find a unit, act on widgets."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect

# Outside the checkout (tests write nothing there): $JYJG_SCREENSHOTS, else <tmp>/jyjg-screenshots.
SCREENSHOTS = Path(os.environ.get("JYJG_SCREENSHOTS") or Path(tempfile.gettempdir()) / "jyjg-screenshots")

LOAD_MS = 90_000
STEP_MS = 30_000
CLICK_RETRY_MS = 5_000


def open_dashboard(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".jyjg-list", state="attached", timeout=LOAD_MS)


def tab(page: Page, title: str) -> None:
    page.get_by_role("tab", name=title).click()


def open_unit(page: Page, name: str) -> None:
    """Search the list for the unit and click its name; wait until it is the open submission."""
    tab(page, "申报列表")
    search = page.locator(".jyjg-search input")
    search.fill(name)
    link = page.locator(".jyjg-open-link", has_text=name).first
    current = page.locator(".jyjg-current-box").first
    # The search redraws the list; a click on the row drawn before it can land on a replaced element
    # and be lost, so click again (opening the same unit twice is harmless) until the unit is open.
    for _ in range(STEP_MS // CLICK_RETRY_MS):
        expect(link).to_be_visible(timeout=STEP_MS)
        link.click()
        try:
            expect(current).to_contain_text(name, timeout=CLICK_RETRY_MS)
            break
        except AssertionError:
            continue
    expect(current).to_contain_text(name, timeout=STEP_MS)
    page.wait_for_selector(".jyjg-rules", timeout=STEP_MS)


def no_traceback(page: Page) -> None:
    content = page.content()
    assert "Traceback" not in content and "Error:" not in page.inner_text("body")


def shot(page: Page, name: str) -> Path:
    """Keep a full-page screenshot to look at (in SCREENSHOTS, outside the checkout)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
