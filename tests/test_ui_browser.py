"""The review interface in a real browser: Debian's Chromium driven by Playwright.

No Playwright browser download: ``/usr/bin/chromium`` (``.ci/run`` installs it; without it these tests
fail, they do not skip). Every page blocks any request that is not to 127.0.0.1 and the test fails if
one is attempted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REVIEWER, ROOT, SECOND, shared
from lxml import etree
from playwright.sync_api import Page, sync_playwright

from workbench import review
from workbench.cli import main
from workbench.glossary import load_all
from workbench.model import Status
from workbench.store import Store
from workbench.termmatch import Terminology

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMEOUT = 45_000

# Realistic reviewed translations for the screenshots (segments 0, 2, 3, 9 and 10 of the seed).
REVIEWED = {
    "fr": {
        0: "Allocution de M. Vladimir Voronkov, Secrétaire général adjoint du Bureau de lutte contre le "
        "terrorisme",
        2: "CR6, 11 heures, 26 septembre 2019",
        3: "Monsieur le Ministre Vladimir Makei, Excellences, Mesdames et Messieurs,",
        9: "Excellences, Mesdames et Messieurs,",
        10: "L'un des aspects essentiels des quatre conférences régionales tenues jusqu'ici a été la forte "
        "participation des États Membres de la région concernée, en particulier des pays hôtes.",
    },
    "ar": {
        0: "كلمة السيد فلاديمير فورونكوف، وكيل الأمين العام لمكتب الأمم المتحدة لمكافحة الإرهاب",
        2: "CR6، الساعة 11:00 صباحا، 26 أيلول/سبتمبر 2019",
        3: "معالي السيد فلاديمير ماكي، أصحاب السعادة، السيدات والسادة،",
        9: "أصحاب السعادة، السيدات والسادة،",
        10: "ومن الجوانب الرئيسية للمؤتمرات الإقليمية الأربعة التي عقدت حتى الآن المشاركة القوية"
        " للدول الأعضاء في المنطقة المعنية، ولا سيما البلدان المضيفة.",
    },
}


@pytest.fixture(scope="module")
def playwright():
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright, review_server) -> Iterator:
    """A factory of logged-in pages, each in its own browser context; outside requests fail the test."""
    contexts, outside = [], []

    def new_page(account=REVIEWER, login: bool = True) -> Page:
        context = playwright.chromium.launch_persistent_context(
            tempfile.mkdtemp(),
            executable_path=CHROMIUM,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        contexts.append(context)

        def guard(route):
            if route.request.url.startswith("http://127.0.0.1:"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(review_server["url"])
        if login:
            sign_in(page, *account)
            page.wait_for_selector("#doc")
        return page

    yield new_page
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the machine: {outside}"


def sign_in(page: Page, name: str, password: str) -> None:
    page.locator("input[type=text]").fill(name)
    page.locator("input[type=password]").fill(password)
    page.locator("button", has_text="Login").click()


def choose(page: Page, elem_id: str, option: str) -> None:
    page.locator(f"#{elem_id} input").click()
    page.locator("ul[role=listbox] li", has_text=option).first.click()


def open_review(page: Page, lang: str, status: str = "all", text: str = "") -> None:
    """Load a page; ``text`` filters it down to the segments containing it (row 0 first)."""
    choose(page, "doc", "unoct-2019-09-26")
    choose(page, "lang", lang)
    if status != "all":
        choose(page, "status", status)
    if text:
        page.locator("#text textarea, #text input").first.fill(text)
    page.locator("#load").click()
    page.wait_for_function(
        f"document.querySelector('#summary')?.innerText.includes('→ {lang}')", timeout=TIMEOUT
    )
    idle(page)


def cell(page: Page, row: int, column: int):
    return page.locator(f'[data-testid="cell-{row}-{column}"]')


def edit(page: Page, row: int, text: str) -> None:
    target = cell(page, row, 3)
    target.scroll_into_view_if_needed()
    target.dblclick()
    page.wait_for_function("document.activeElement?.tagName === 'TEXTAREA'")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def idle(page: Page) -> None:
    """Wait until no component shows Gradio's progress overlay (it swallows clicks)."""
    page.wait_for_function("!document.querySelector('[data-testid=\"status-tracker\"]:not(.hide)')")


def wait_message(page: Page, text: str) -> str:
    page.wait_for_function(
        "t => document.querySelector('#message')?.innerText.includes(t)", arg=text, timeout=TIMEOUT
    )
    idle(page)
    return page.locator("#message").inner_text()


def stored(server, row: int, lang: str):
    with Store(server["store"]) as store:
        segment = store.document(1).segments[row]
        return store.translation(segment.id, lang)


def test_a_wrong_password_stays_outside(browser, review_server):
    page = browser(login=False)
    sign_in(page, "anna", "not the password")
    page.wait_for_timeout(1500)
    assert page.locator("#doc").count() == 0
    assert page.locator("input[type=password]").count() == 1


def test_edit_and_confirm_from_the_keyboard(browser, review_server):
    page = browser()
    open_review(page, "fr", text="Minsk was opened")
    edit(page, 0, "Nous avons été honorés que la Conférence de Minsk ait été ouverte par le Président.")
    wait_message(page, "Saved 1 segment")
    t = stored(review_server, 11, "fr")
    assert (
        t.text.startswith("Nous avons été honorés") and t.updated_by == "anna" and t.status == Status.REVIEWED
    )
    cell(page, 0, 0).click()  # select the row, then confirm it from the keyboard
    page.keyboard.press("Control+Enter")
    wait_message(page, "Confirmed.")
    assert stored(review_server, 11, "fr").status == Status.APPROVED


def test_a_missing_term_is_flagged_and_the_flag_clears_after_the_fix(browser, review_server):
    page = browser()
    open_review(page, "fr", text="seventh biennial review")
    row = 0  # "…the United Nations Global Counter-Terrorism Strategy." (segment 8)
    edit(page, row, "Ces grandes manifestations coïncideront avec le septième examen biennal.")
    wait_message(page, "Saved 1 segment")
    page.wait_for_function(
        f"document.querySelector('[data-testid=\"cell-{row}-6\"]').innerText.includes('✗gcts')"
    )
    edit(page, row, "Ces grandes manifestations coïncideront avec le septième examen biennal de la Stratégie "
                    "antiterroriste mondiale des Nations Unies.")  # fmt: skip
    wait_message(page, "Saved 1 segment")
    page.wait_for_function(
        f"document.querySelector('[data-testid=\"cell-{row}-6\"]').innerText.includes('✓gcts')"
    )
    assert "✗" not in cell(page, row, 6).inner_text()


def test_arabic_cells_render_right_to_left(browser, review_server):
    page = browser()
    open_review(page, "ar")
    direction = cell(page, 0, 3).evaluate(
        "el => [el, ...el.querySelectorAll('*')].map(e => getComputedStyle(e).direction).includes('rtl')"
    )
    assert direction
    assert cell(page, 0, 2).evaluate("el => getComputedStyle(el).direction") == "ltr"  # the English source


def test_a_conflicting_save_from_a_second_browser_is_refused_with_both_texts(browser, review_server):
    anna, boris = browser(REVIEWER), browser(SECOND)
    open_review(anna, "fr", text="four hundred participants")
    open_review(boris, "fr", text="four hundred participants")
    row = 0
    edit(anna, row, "Première version, celle d'Anna.")
    wait_message(anna, "Saved 1 segment")
    edit(boris, row, "Seconde version, celle de Boris.")
    message = wait_message(boris, "Not saved")
    assert "Première version, celle d'Anna." in message and "Seconde version, celle de Boris." in message
    assert stored(review_server, 12, "fr").text == "Première version, celle d'Anna."


def test_the_tmx_download_validates(browser, review_server, tmp_path):
    page = browser()
    page.get_by_role("tab", name="Export").click()
    choose(page, "export-docs", "unoct-2019-09-26")
    page.locator("#export-docs").click()  # close the list
    choose(page, "export-status", "all")
    page.locator("#build-tmx").click()
    link = page.locator('#downloads a[download="memory.tmx"]')
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "memory.tmx"
    download.value.save_as(path)
    dtd = etree.DTD(str(shared("tmx", "schemas", "tmx14.dtd")))
    assert dtd.validate(etree.parse(str(path))), dtd.error_log


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_review_screen_screenshots(browser, review_server, lang, tmp_path):
    """The README's screenshots: reviewed segments with their QA marks, in French and in Arabic.

    They replace the committed ones in docs/screenshots/ only when WORKBENCH_SCREENSHOTS=1 asks."""
    terminology = Terminology(load_all())
    with Store(review_server["store"]) as store:
        segments = store.document(1).segments
        for index, text in REVIEWED[lang].items():
            review.save(store, segments[index].id, lang, text, who="marie", terminology=terminology)
    page = browser()
    open_review(page, lang, status="reviewed")
    page.wait_for_function("document.querySelector('[data-testid=\"cell-0-3\"]') !== null")
    cell(page, 0, 0).click()
    page.wait_for_timeout(500)
    folder = SCREENSHOTS if os.environ.get("WORKBENCH_SCREENSHOTS") == "1" else tmp_path
    path = folder / f"review-{lang}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_names_and_texts_from_users_render_as_text(browser, review_server, tmp_path):
    """A document named like a Markdown image and an HTML tag, with such a sentence inside, shows
    literally everywhere: nothing is fetched from outside (the fixture fails the test if it is)."""
    trap = "![x](https:evil.example) <img src=https:evil.example>"
    path = tmp_path / f"{trap}.en.txt"
    path.write_text(
        f"The Committee met on Tuesday. It read {trap} aloud. The meeting rose at noon.", encoding="utf-8"
    )
    assert main(["ingest", str(path), "--store", str(review_server["store"])]) == 0
    page = browser()
    page.get_by_role("tab", name="Documents").click()
    page.locator("#refresh").click()
    page.wait_for_function("t => document.querySelector('#documents')?.innerText.includes(t)", arg=trap)
    page.get_by_role("tab", name="Review").click()
    choose(page, "doc", trap)
    choose(page, "lang", "fr")
    page.locator("#load").click()
    page.wait_for_function("t => document.querySelector('#summary')?.innerText.includes(t)", arg=trap)
    idle(page)
    cell(page, 1, 0).click()
    page.wait_for_function("t => document.querySelector('#detail')?.innerText.includes(t)", arg=trap)
    assert trap in cell(page, 1, 2).inner_text()
    assert page.locator("img[src*='evil'], a[href*='evil']").count() == 0
