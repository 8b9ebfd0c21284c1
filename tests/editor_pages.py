"""Driving the segment editor (ui/static/editor.js) in Debian's Chromium, for tests and benchmarks.

Also builds the 1,000-segment document both use: two sentence patterns taking turns, each segment with
a colleague's French draft (the odd ones miss a required term, so confirming them needs a fix or an
override), and an imported memory holding one near match of the second pattern.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Page

from workbench import ingest, tm, translations
from workbench.model import Origin, Status
from workbench.store import Store
from workbench.termmatch import Terminology

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]  # fmt: skip
TIMEOUT = 45_000

CONFERENCE = "The Conference underscored the need to enhance cooperation with Member States ({i})."
CONFERENCE_FR = (
    "La Conférence a souligné la nécessité de renforcer la coopération avec les États Membres ({i})."
)
OFFICE = "The United Nations Office of Counter-Terrorism will report to the General Assembly on item {i}."
OFFICE_FR = "Le Bureau fera rapport à l'Assemblée générale sur le point {i}."  # lacks the Office's name
MEMORY_FR = "Le Bureau de lutte contre le terrorisme fera rapport à l'Assemblée générale sur le point 7."
TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header creationtool="test" creationtoolversion="1" segtype="sentence" o-tmf="none"
 adminlang="en" srclang="en" datatype="plaintext"/><body><tu tuid="1">
<tuv xml:lang="en"><seg>{source}</seg></tuv><tuv xml:lang="fr"><seg>{target}</seg></tuv></tu></body></tmx>
"""


def source(i: int) -> str:
    return (CONFERENCE if i % 2 == 0 else OFFICE).format(i=i)


def draft(i: int) -> str:
    return (CONFERENCE_FR if i % 2 == 0 else OFFICE_FR).format(i=i)


def long_store(path: Path, terminology: Terminology, count: int = 1000) -> int:
    """A store holding a ``count``-segment English document with French drafts; returns its id."""
    raw = "\n\n".join(source(i) for i in range(count)) + "\n"
    document = ingest.build_document(raw, name="long-session.txt", lang="en")
    with Store(path) as store:
        ingest.store_document(store, document)
        assert len(document.segments) == count
        drafts = [
            translations.Write(s.id, "fr", draft(i), Origin.HUMAN, Status.TRANSLATED, who="colleague")
            for i, s in enumerate(document.segments)
        ]
        translations.record(store, drafts, terminology)
        memory = Path(tempfile.mkdtemp()) / "unoct.tmx"
        memory.write_text(TMX.format(source=OFFICE.format(i=7), target=MEMORY_FR), encoding="utf-8")
        tm.import_tmx(store, memory)
    return document.id  # type: ignore[return-value]


def new_context(playwright, outside: list[str]):
    """A fresh Chromium profile whose requests may go to 127.0.0.1 only (others are recorded, refused)."""
    context = playwright.chromium.launch_persistent_context(
        tempfile.mkdtemp(), executable_path=CHROMIUM, headless=True, args=ARGS,
        viewport={"width": 1400, "height": 1000},
    )  # fmt: skip

    def guard(route):
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    return context


def sign_in(page: Page, name: str, password: str) -> None:
    page.locator("input[type=text]").fill(name)
    page.locator("input[type=password]").fill(password)
    page.locator("button", has_text="Login").click()


def wait_active(page: Page, number: int, editing: bool = False) -> None:
    """Until segment ``number`` (1-based) is the active row, its context drawn (and its editor focused)."""
    page.wait_for_function(
        """([n, editing]) => {
            const row = document.querySelector('.wb-row.active');
            const ctx = document.querySelector('#wb-context');
            if (!row || row.querySelector('.num').textContent !== String(n)) return false;
            if (!ctx || ctx.getAttribute('data-segment') !== row.getAttribute('data-id')) return false;
            return !editing || (document.activeElement?.classList.contains('wb-input')
                                && row.contains(document.activeElement));
        }""",
        arg=[number, editing],
        timeout=TIMEOUT,
    )


def wait_status(page: Page, number: int, status: str) -> None:
    page.wait_for_function(
        """([n, s]) => [...document.querySelectorAll('.wb-row')].some(
            r => r.querySelector('.num').textContent === String(n) && r.dataset.status === s)""",
        arg=[number, status],
        timeout=TIMEOUT,
    )


def wait_message(page: Page, text: str) -> str:
    page.wait_for_function(
        "t => document.querySelector('#wb-message')?.innerText.includes(t)", arg=text, timeout=TIMEOUT
    )
    return page.locator("#wb-message").inner_text()


def editor_value(page: Page) -> str:
    return page.evaluate("document.activeElement.value")


def row_numbers(page: Page) -> list[str]:
    return page.eval_on_selector_all(".wb-row:not(.hidden) .num", "els => els.map(e => e.textContent)")
