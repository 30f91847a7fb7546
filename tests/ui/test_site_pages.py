"""The static tutorial in a real browser: every ``make html`` page loads without console errors.

Builds the pages from the committed notebooks with ``make html``, opens each one from disk
in headless Chromium with no network, records console errors and uncaught exceptions, checks that
the page shows its figures (and, for the explorer notebooks, the explorer's saved picture instead
of an empty widget), and saves a screenshot under ``build/ui/html-*.png``. Run it with
``make test-ui``; without Chromium it is skipped with a message saying how to install it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "ui"

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _keep_error(message, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(message.text)


@pytest.fixture(scope="module")
def site() -> Path:
    """The pages as the README's command makes them: ``make html`` into ``build/html/``."""
    done = subprocess.run(["make", "-s", "html"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return ROOT / "build" / "html"


def test_every_page_loads_without_console_errors(chromium, chromium_args, site):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = ["index.html"] + [f"{p.stem}.html" for p in NOTEBOOKS]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=chromium_args)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        for name in pages:
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda msg, errors=errors: _keep_error(msg, errors))
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            page.goto((site / name).as_uri(), wait_until="load")
            assert not errors, f"{name}: console errors {errors[:3]}"
            images = page.locator("img").count()
            if name != "index.html" and not name.startswith("00_"):
                assert images >= 3, f"{name}: only {images} images shown"
            page.screenshot(path=str(SHOTS / f"html-{Path(name).stem}.png"))
            page.close()
        browser.close()


def test_pages_link_to_each_other_and_the_index_searches_offline(chromium, chromium_args, site):
    """The header's next link, a contents link, and the index's search (search.js from disk, no fetch)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=chromium_args)
        page = browser.new_context(offline=True).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto((site / f"{NOTEBOOKS[0].stem}.html").as_uri(), wait_until="load")
        page.click("a[rel=next]")
        assert page.url.endswith(f"{NOTEBOOKS[1].stem}.html")
        page.click(".site-toc a >> nth=0")
        assert "#" in page.url
        page.click("a[rel=index]")
        page.fill("#search-box", "checkerboard index")
        hits = page.locator("#search-hits a")
        assert hits.count() > 3, page.inner_text("#search-hits")
        target = hits.first.get_attribute("href")
        hits.first.click()
        page.wait_for_load_state("load")
        assert page.url.endswith(target.split("#")[0] + "#" + page.url.split("#")[1]) and not errors, errors
        browser.close()
