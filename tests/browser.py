"""How the suite drives Debian's Chromium with Playwright (headless, no sandbox: CI runs as
root in a container)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
# The walkthroughs in docs/ show these screenshots; a test run refreshes them only when asked
# (PANELWAVE_DOC_SCREENSHOTS=1), so an ordinary run never rewrites committed files.
DOC_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "images"
SCREENSHOTS = (
    DOC_SCREENSHOTS
    if os.environ.get("PANELWAVE_DOC_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "panelwave-screenshots"
)

browser_marks = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def no_sideways_scroll(page: Any) -> bool:
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
