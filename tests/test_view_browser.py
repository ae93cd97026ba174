"""`newscorpus view` in a real headless Chromium (the system package, driven by Playwright).

scripts/test installs Chromium from the system packages where it can; Playwright never
downloads a browser here (it is pointed at the system one). Where either is missing these tests
skip and say why; tests/test_view.py still checks the HTML.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import make_project
from newscorpus.corpus import load_article
from newscorpus.project import load_project
from newscorpus.view.site import build_site
from view_helpers import HOSTILE, add_hostile

DOC = "india-japan-5g-agreement"


def _chromium() -> str | None:
    return os.environ.get("NEWSCORPUS_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install -e '.[dev]')")
    executable = _chromium()
    if executable is None:
        pytest.skip(
            "no Chromium: install the system package (apt-get install chromium; scripts/test "
            "does it when run as root) or set NEWSCORPUS_CHROMIUM to a Chromium binary"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed and the hostile article, viewed once for every test of the module."""
    root = make_project(tmp_path_factory.mktemp("view") / "proj", with_seed=True)
    project = load_project(root)
    add_hostile(project)
    out = root / "site"
    build_site(project, out)
    return out


class Page:
    """A browser tab that records console messages, page errors and dialogs."""

    def __init__(self, browser: Any, site: Path, name: str) -> None:
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.tab = browser.new_page(viewport={"width": 1280, "height": 900})
        self.tab.on("console", self._console)
        self.tab.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.tab.on("dialog", self._dialog)
        self.tab.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))
        self.requests: list[str] = []
        self.tab.on("request", lambda r: self.requests.append(r.url))
        self.tab.goto((site / name).as_uri())
        self.tab.wait_for_load_state("load")

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.tab.close()


@pytest.fixture
def open_page(browser: Any, site: Path) -> Iterator[Any]:
    pages: list[Page] = []

    def opener(name: str) -> Page:
        pages.append(Page(browser, site, name))
        return pages[-1]

    yield opener
    for page in pages:
        # Every page loads only files of the site and logs nothing.
        assert page.problems == []
        assert all(url.startswith(site.as_uri()) for url in page.requests), page.requests
        page.close()


def test_index_lists_the_documents(open_page: Any) -> None:
    page = open_page("index.html")
    rows = page.tab.locator("#documents tbody tr")
    assert rows.count() == 2
    assert rows.locator("td:first-child").all_inner_texts() == [HOSTILE, DOC]
    assert rows.nth(1).locator("td").nth(6).inner_text() == "ok"
    assert rows.nth(0).locator("td").nth(6).inner_text() == "1 error: E109"
    page.tab.fill("#filter", "india")
    assert page.tab.locator("#documents tbody tr:visible").count() == 1


def test_document_page_shows_an_entity_with_its_label_and_a_relation(open_page: Any) -> None:
    page = open_page(f"docs/{DOC}.html")
    india = page.tab.locator("#e-T1")
    assert india.is_visible()
    assert india.locator(".lab").inner_text() == "GPE"
    assert india.evaluate("e => e.firstChild.textContent") == "India"
    colour = india.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(254, 202, 116)"  # GPE, #feca74
    # A nested entity is drawn inside, and visibly smaller than, its parent.
    outer = page.tab.locator("#e-T27").bounding_box()
    inner = page.tab.locator("#e-T28").bounding_box()
    assert outer["height"] > inner["height"] and outer["width"] > inner["width"]
    # R1: India agreement_with Japan, drawn as a labelled arc between the two names.
    arcs = page.tab.locator("#arcs-1")
    assert arcs.is_visible()
    assert arcs.locator(".displacy-word").all_text_contents()[:2] == ["India", "Japan"]
    assert "agreement_with" in arcs.locator(".displacy-label").all_text_contents()
    assert page.tab.locator("#r-R1 td").all_inner_texts() == [
        "R1",
        "agreement_with",
        "T1 GPE \u201cIndia\u201d",
        "T2 GPE \u201cJapan\u201d",
        "gold",
        "",
    ]


def test_clicking_an_entity_shows_its_details_and_the_toggle_shows_the_raw_text(
    open_page: Any,
) -> None:
    page = open_page(f"docs/{DOC}.html")
    assert page.tab.locator("#e-T1").get_attribute("title") == "T1 GPE [0, 5) gold"
    assert page.tab.locator("#details").is_hidden()
    page.tab.locator("#e-T1").click(position={"x": 5, "y": 5})
    assert page.tab.locator("#details td").all_inner_texts()[:5] == [
        "T1",
        "GPE",
        "[0, 5)",
        "India",
        "gold",
    ]
    assert page.tab.locator("#text-raw").is_hidden()
    page.tab.get_by_role("button", name="Raw text with normalisation edits").click()
    assert page.tab.locator("#text-normalised").is_hidden()
    first_edit = page.tab.locator("#text-raw .edit").first
    assert first_edit.is_visible()
    assert first_edit.get_attribute("data-rule") == "site_boilerplate"


def test_statistics_page_has_its_plots(open_page: Any) -> None:
    page = open_page("stats.html")
    charts = page.tab.locator("figure.chart")
    assert charts.count() == 5
    for i in range(5):
        assert charts.nth(i).locator("svg rect").count() > 0
        box = charts.nth(i).locator("svg").bounding_box()
        assert box["width"] > 300 and box["height"] > 20


_TEXT_WITHOUT_LABELS = """() => {
    const text = document.getElementById("text-normalised").cloneNode(true);
    text.querySelectorAll(".lab").forEach((label) => label.remove());
    return text.textContent;
}"""


def test_the_hostile_article_shows_its_markup_as_text_and_runs_nothing(
    open_page: Any, site: Path
) -> None:
    page = open_page(f"docs/{HOSTILE}.html")
    tab = page.tab
    assert (
        tab.evaluate(_TEXT_WITHOUT_LABELS) == load_article(load_project(site.parent), HOSTILE).text
    )
    assert tab.locator("h1").inner_text() == 'Breaking <script>alert(1)</script> & "quotes"'
    # Only the site's own script; no image, no bold from the text; the URL is no link.
    assert tab.evaluate("[...document.scripts].map(s => s.getAttribute('src'))") == [
        "../assets/view.js"
    ]
    assert tab.locator("img").count() == 0
    assert tab.locator("#text-normalised b").count() == 0
    assert tab.locator("a[href^='javascript']").count() == 0
    # Hover and click everything the article and its annotations wrote.
    for entity in tab.locator("#text-normalised .ent").all():
        entity.hover()
        entity.click()
    assert tab.locator("#details").inner_text().count("<img src=x onerror=alert(3)>") <= 1
    tab.get_by_role("button", name="Raw text with normalisation edits").click()
    assert "<script>alert(1)</script>" in tab.locator("#text-raw").inner_text()
    assert page.dialogs == []
