"""The review interface in a real browser: Debian's Chromium driven by Playwright.

No Playwright browser download: ``/usr/bin/chromium`` (``.ci/run`` installs it; without it these tests
fail, they do not skip). Every page blocks any request that is not to 127.0.0.1 and the test fails if
one is attempted. Screenshots for the README are written only with ``WORKBENCH_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from conftest import REVIEWER, ROOT, SECOND, free_port, shared
from editor_pages import (
    TIMEOUT,
    draft,
    editor_value,
    long_store,
    new_context,
    row_numbers,
    sign_in,
    wait_active,
    wait_message,
    wait_status,
)
from lxml import etree
from playwright.sync_api import Page, sync_playwright

from workbench import review
from workbench.cli import main
from workbench.glossary import load_all
from workbench.model import Status
from workbench.store import Store
from workbench.termmatch import Terminology

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "docs" / "screenshots"

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
    """A factory of logged-in pages (the seed server unless ``url``), each in its own browser context;
    outside requests fail the test."""
    contexts, outside = [], []

    def new_page(account=REVIEWER, login: bool = True, url: str | None = None) -> Page:
        context = new_context(playwright, outside)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(url or review_server["url"])
        if login:
            sign_in(page, *account)
            page.wait_for_selector("#wb-context[data-segment]")  # the editor opens a document by itself
        return page

    yield new_page
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the machine: {outside}"


def open_lang(page: Page, lang: str, search: str = "") -> None:
    """Switch the editor to ``lang``; ``search`` narrows the list to the segments containing it."""
    page.select_option("#wb-lang", lang)
    page.wait_for_function(
        "l => document.querySelector('#wb-progress-text')?.textContent.startsWith(l + ':')", arg=lang
    )
    if search:
        page.fill("#wb-search", search)
        page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.wb-row.active')?.getAttribute('data-id')"
        " === document.querySelector('#wb-context')?.getAttribute('data-segment')"
    )


def active_number(page: Page) -> int:
    return int(page.locator(".wb-row.active .num").inner_text())


def retype(page: Page, text: str) -> None:
    """Into the active segment's target, from the keyboard: open it, select all, type over it."""
    page.keyboard.press("Enter")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def stored(server, number: int, lang: str, doc: int = 1):
    """The translation of segment ``number`` (1-based, as the editor shows it)."""
    with Store(server["store"]) as store:
        segment = store.document(doc).segments[number - 1]
        return store.translation(segment.id, lang)


def test_a_wrong_password_stays_outside(browser, review_server):
    page = browser(login=False)
    sign_in(page, "anna", "not the password")
    page.wait_for_timeout(1500)
    assert page.locator("#wb-doc").count() == 0
    assert page.locator("input[type=password]").count() == 1


def test_the_editor_opens_a_document_numbered_from_one(browser, review_server):
    page = browser()
    assert row_numbers(page)[:3] == ["1", "2", "3"] and active_number(page) == 1
    assert page.locator("#wb-context h3").inner_text().startswith("Segment 1 ")
    assert page.locator("#wb-row, .wb-row").count() == 26


def test_edit_and_confirm_from_the_keyboard(browser, review_server):
    page = browser()
    open_lang(page, "fr", "Minsk was opened")
    n = active_number(page)
    retype(page, "Nous avons été honorés que la Conférence de Minsk ait été ouverte par le Président.")
    page.keyboard.press("Control+S")
    wait_message(page, f"Segment {n} saved")
    t = stored(review_server, n, "fr")
    assert (
        t.text.startswith("Nous avons été honorés") and t.updated_by == "anna" and t.status == Status.REVIEWED
    )
    page.keyboard.press("Control+Enter")
    wait_status(page, n, "approved")
    assert stored(review_server, n, "fr").status == Status.APPROVED


def test_confirming_a_flagged_segment_needs_an_explicit_override(browser, review_server):
    page = browser()
    open_lang(page, "fr", "seventh biennial review")
    n = active_number(page)
    before = stored(review_server, n, "fr")
    retype(page, "Ces grandes manifestations coïncideront avec le septième examen biennal.")
    page.keyboard.press("Control+Enter")
    message = wait_message(page, "not confirmed")
    assert "missing term: " in message and "Ctrl+Shift+Enter" in message
    after = stored(review_server, n, "fr")
    assert (after.text, after.version, after.status) == (before.text, before.version, before.status)
    page.keyboard.press("Control+Shift+Enter")
    wait_status(page, n, "approved")
    t = stored(review_server, n, "fr")
    assert t.status == Status.APPROVED and t.text.endswith("examen biennal.")
    with Store(review_server["store"]) as store:
        (comment,) = store.comments(t.segment_id, "fr")
    assert comment[0] == "anna" and comment[2].startswith("approved over: missing term: ")


def test_a_missing_term_is_flagged_in_words_and_clears_after_the_fix(browser, review_server):
    page = browser()
    open_lang(page, "ar", "Excellencies, ladies and gentlemen")
    n = active_number(page)
    retype(page, "أصحاب السعادة، السيدات والسادة،")
    page.keyboard.press("Control+S")
    wait_message(page, f"Segment {n} saved")
    flags = (
        page.locator("#wb-context .ctx-flags").all_inner_texts() if page.locator(".ctx-flags").count() else []
    )
    assert not any("✗" in f or "!" in f for f in flags)  # words, never codes
    direction = page.locator(".wb-row.active textarea").evaluate("el => getComputedStyle(el).direction")
    assert direction == "rtl"
    assert page.locator(".wb-row.active .src").evaluate("el => getComputedStyle(el).direction") == "ltr"


def test_escape_cancels_the_edit(browser, review_server):
    page = browser()
    open_lang(page, "zh", "four hundred participants")
    n = active_number(page)
    before = stored(review_server, n, "zh")
    page.keyboard.press("Enter")
    page.keyboard.type("不要保存这个")
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('.wb-row.active textarea')")
    page.wait_for_timeout(300)
    assert page.locator(".wb-row.active .tgt").inner_text() == before.text
    after = stored(review_server, n, "zh")
    assert (after.text, after.version) == (before.text, before.version)


def test_a_line_break_cannot_enter_a_target(browser, review_server):
    page = browser()
    open_lang(page, "fr", "four hundred participants")
    retype(page, "Première ligne")
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Enter")
    page.keyboard.type(" suite")
    wait_message(page, "no line break")
    assert editor_value(page) == "Première ligne suite"
    page.keyboard.press("Escape")


def test_no_error_blanks_the_list(browser, review_server):
    page = browser()
    open_lang(page, "fr")
    rows = page.locator(".wb-row").count()
    page.keyboard.press("s")  # split with the carets at the very start: refused
    page.wait_for_selector("#wb-split-source")
    page.locator("#wb-split-source").evaluate("el => el.setSelectionRange(0, 0)")
    page.keyboard.press("Enter")
    wait_message(page, "Not split: ")
    assert page.locator(".wb-row").count() == rows and page.locator("#wb-context[data-segment]").count() == 1
    page.keyboard.press("Escape")


def test_split_cuts_the_target_where_told_and_rechecks_both_halves(browser, review_server):
    with Store(review_server["store"]) as store:
        segments = store.document(1).segments
        n = next(i + 1 for i, s in enumerate(segments) if s.text.startswith("Your Excellency, Mr. Vladimir"))
        sid = segments[n - 1].id
        text = "Monsieur le Ministre Vladimir Makei, Excellences, Mesdames et Messieurs,"
        review.save(store, sid, "fr", text, who="marie")
    page = browser()
    open_lang(page, "fr", "Your Excellency, Mr. Vladimir")
    source = stored(review_server, n, "fr")
    page.keyboard.press("s")
    page.wait_for_selector("#wb-split-source")
    cut_source = "Your Excellency, Mr. Vladimir Makei,".__len__()
    page.locator("#wb-split-source").evaluate(f"el => el.setSelectionRange({cut_source}, {cut_source})")
    cut_target = "Monsieur le Ministre Vladimir Makei,".__len__()
    page.locator("#wb-split-target").evaluate(f"el => el.setSelectionRange({cut_target}, {cut_target})")
    page.locator("#wb-split-source").focus()
    page.keyboard.press("Enter")
    wait_message(page, "split in two")
    assert source is not None
    with Store(review_server["store"]) as store:
        first, second = store.document(1).segments[n - 1 : n + 1]
        assert (first.text, second.text) == (
            "Your Excellency, Mr. Vladimir Makei,",
            "Excellencies, ladies and gentlemen,",
        )
        a, b = store.translation(first.id, "fr"), store.translation(second.id, "fr")
        assert (a.text, b.text) == (
            "Monsieur le Ministre Vladimir Makei,",
            "Excellences, Mesdames et Messieurs,",
        )
        assert a.updated_by == b.updated_by == "anna"
        # both halves checked again: each carries its own flags, and no split flag (the cut was given)
        assert "split" not in {f.code for f in store.flags(a.id) + store.flags(b.id)}
        for lang in ("ar", "zh"):  # no cut given: the whole text stays on the first half, flagged, as a draft
            other = store.translation(first.id, lang)
            assert other.status == Status.DRAFT and "split" in {f.code for f in store.flags(other.id)}
            assert store.translation(second.id, lang) is None  # left for translation
        store.merge_segments(first.id, who="test")  # leave the seed as the other tests expect it


def test_a_conflicting_save_from_a_second_browser_is_refused_with_both_texts(browser, review_server):
    anna, boris = browser(REVIEWER), browser(SECOND)
    open_lang(anna, "fr", "four hundred participants")
    open_lang(boris, "fr", "four hundred participants")
    n = active_number(anna)
    for page, text in (
        (anna, "Première version, celle d'Anna."),
        (boris, "Seconde version, celle de Boris."),
    ):
        retype(page, text)
        page.keyboard.press("Control+S")
    wait_message(anna, f"Segment {n} saved")
    message = wait_message(boris, "Not saved")
    assert "Première version, celle d'Anna." in message and "Seconde version, celle de Boris." in message
    assert stored(review_server, n, "fr").text == "Première version, celle d'Anna."


def test_a_stale_message_is_cleared_by_a_language_switch(browser, review_server):
    page = browser()
    open_lang(page, "fr", "four hundred participants")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    wait_message(page, "no line break")
    page.keyboard.press("Escape")
    open_lang(page, "ar")
    assert page.locator("#wb-message").inner_text() == ""


def test_help_overlay_lists_the_keyboard_map(browser, review_server):
    page = browser()
    page.keyboard.press("?")
    overlay = page.locator("#wb-help")
    overlay.wait_for(state="visible")
    text = overlay.inner_text()
    assert "Ctrl+Enter" in text and "Ctrl+1 … Ctrl+9" in text and "Esc" in text
    page.keyboard.press("Escape")
    overlay.wait_for(state="hidden")


def test_alignment_refuses_an_unset_or_wrong_language(browser, review_server, tmp_path):
    spanish = tmp_path / "discurso.es.txt"
    spanish.write_text(
        "Excelencias, señoras y señores:\n\nLa Conferencia subrayó la necesidad de reforzar la cooperación "
        "con los Estados Miembros y de aprovechar las nuevas tecnologías para prevenir el terrorismo.\n",
        encoding="utf-8",
    )
    with Store(review_server["store"]) as store:
        documents = len(store.documents())
    page = browser()
    page.get_by_role("tab", name="Documents").click()
    assert page.locator("#align-lang input").input_value() == ""  # no default language
    page.locator("#human-file input[type=file]").set_input_files(str(spanish))
    page.locator("#human-file").get_by_text(spanish.name).wait_for()
    page.locator("#align-doc input").click()
    page.locator("ul[role=listbox] li", has_text="unoct-2019-09-26").first.click()
    page.locator("#align").click()
    page.get_by_text("choose the translation file, the document and its language").first.wait_for()
    page.locator("#align-lang input").click()
    page.locator("ul[role=listbox] li", has_text="ar").first.click()
    page.locator("#align").click()
    page.get_by_text("the text reads as Spanish, not Arabic").first.wait_for()
    with Store(review_server["store"]) as store:
        assert len(store.documents()) == documents  # nothing stored, no Arabic overwritten


def test_the_document_list_follows_an_upload(browser, review_server, tmp_path):
    speech = tmp_path / "short-remarks.en.txt"
    speech.write_text("Thank you, Mr. President.\n\nThe meeting is adjourned.\n", encoding="utf-8")
    page = browser()
    page.get_by_role("tab", name="Documents").click()
    page.locator("#upload-file input[type=file]").set_input_files(str(speech))
    page.locator("#upload-file").get_by_text(speech.name).wait_for()
    page.locator("#upload").click()
    page.get_by_text("Stored short-remarks.en.txt").first.wait_for()
    page.get_by_role("tab", name="Review").click()
    page.locator("#wb-doc").focus()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#wb-doc option')]"
        ".some(o => o.textContent.includes('short-remarks'))"
    )
    page.get_by_role("tab", name="Export").click()
    page.locator("#export-docs input").click()
    page.locator("ul[role=listbox] li", has_text="short-remarks").first.wait_for()


def test_the_tmx_download_validates(browser, review_server, tmp_path):
    page = browser()
    page.get_by_role("tab", name="Export").click()
    page.locator("#export-docs input").click()
    page.locator("ul[role=listbox] li", has_text="unoct-2019-09-26").first.click()
    page.locator("#export-docs").click()  # close the list
    page.locator("#export-status input").click()
    page.locator("ul[role=listbox] li", has_text="all").first.click()
    page.locator("#build-tmx").click()
    link = page.locator('#downloads a[download="memory.tmx"]')
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "memory.tmx"
    download.value.save_as(path)
    dtd = etree.DTD(str(shared("tmx", "schemas", "tmx14.dtd")))
    assert dtd.validate(etree.parse(str(path))), dtd.error_log


@pytest.fixture(scope="module")
def long_server(tmp_path_factory):
    """A server of its own over a 1,000-segment document with French drafts (see editor_pages)."""
    from ui.app import Context, launch
    from workbench import users

    root = tmp_path_factory.mktemp("long")
    terminology = Terminology(load_all())
    store = root / "wb.db"
    doc = long_store(store, terminology)
    accounts = root / "users"
    users.add(accounts, *REVIEWER)
    port = free_port()
    app = launch(Context(store, terminology), port=port, auth=users.load(accounts), block=False)
    yield {"url": f"http://127.0.0.1:{port}/", "store": store, "doc": doc}
    app.close()


OFFICE_DONE = "Le Bureau de lutte contre le terrorisme fera rapport à l'Assemblée générale sur le point {i}."


def test_twenty_segments_of_a_long_document_reviewed_from_the_keyboard_only(browser, long_server):
    """Open, edit, insert a glossary term and a memory match by key, confirm, move on, undo, cancel,
    restore from history; then the store holds exactly the intended texts and statuses."""
    page = browser(url=long_server["url"])
    keys, typed = page.keyboard.press, page.keyboard.type
    expected: dict[int, tuple[str, Status]] = {}  # segment number → (text, status)

    def confirm(n: int) -> None:
        keys("Control+Enter")
        wait_status(page, n, "approved")
        wait_active(page, n + 1, editing=True)

    wait_active(page, 1)
    assert page.locator("#wb-progress-text").inner_text().startswith("fr: 0 approved")
    keys("Enter")  # 1: the draft is right: confirm it as it is
    wait_active(page, 1, editing=True)
    confirm(1)
    expected[1] = (draft(0), Status.APPROVED)
    # 2: the memory's near match (Alt+1) replaces the draft, its number is fixed, then confirmed
    assert "%" in page.locator("#wb-context .ctx-matches").inner_text()
    keys("Alt+1")
    assert editor_value(page).startswith("Le Bureau de lutte contre le terrorisme") and editor_value(
        page
    ).endswith("7.")
    keys("End")
    keys("Backspace")
    keys("Backspace")
    typed("1.")
    confirm(2)
    expected[2] = (OFFICE_DONE.format(i=1), Status.APPROVED)
    keys("Control+A")  # 3: retyped
    retyped = (
        "La Conférence a insisté sur la nécessité de renforcer la coopération avec les États Membres (2)."
    )
    typed(retyped)
    confirm(3)
    expected[3] = (retyped, Status.APPROVED)
    keys("Control+Enter")  # 4: the draft misses the Office's name: refused until fixed
    wait_message(page, "missing term: United Nations Office of Counter-Terrorism")
    keys("Control+A")
    typed("Le ")
    keys("Control+1")  # the glossary's first rendering at the caret
    typed(" fera rapport à l'Assemblée générale sur le point 3.")
    confirm(4)
    expected[4] = (OFFICE_DONE.format(i=3), Status.APPROVED)
    keys("End")  # 5: an insertion undone with Ctrl+Z inside the editor
    keys("Control+1")
    assert editor_value(page) == draft(4) + "États Membres"
    keys("Control+Z")
    assert editor_value(page) == draft(4)
    confirm(5)
    expected[5] = (draft(4), Status.APPROVED)
    keys("Control+Enter")  # 6: approved over the warning, on purpose
    wait_message(page, "Ctrl+Shift+Enter")
    keys("Control+Shift+Enter")
    wait_status(page, 6, "approved")
    wait_active(page, 7, editing=True)
    expected[6] = (draft(5), Status.APPROVED)
    typed(" À NE PAS GARDER")  # 7: Esc cancels; nothing is stored
    keys("Escape")
    wait_active(page, 7)
    assert page.locator(".wb-row.active .tgt").inner_text() == draft(6)
    keys("ArrowDown")
    wait_active(page, 8)
    keys("Enter")  # 8: two saved versions, then the colleague's draft restored from the history
    for text in ("Version une.", "Version deux."):
        keys("Control+A")
        typed(text)
        keys("Control+S")
        wait_message(page, "Segment 8 saved")
        page.wait_for_function(
            "v => document.querySelector('#wb-context h3').textContent.includes(v)",
            arg=f"v{3 if 'deux' in text else 2}",
        )
    keys("Escape")
    keys("h")  # the history: newest first; the current version cannot be restored
    page.wait_for_function("document.activeElement?.classList.contains('restore')")
    assert page.evaluate("document.activeElement.dataset.version") == "2"
    keys("Tab")
    assert page.evaluate("document.activeElement.dataset.version") == "1"
    keys("Enter")
    wait_message(page, "version 1 restored")
    expected[8] = (draft(7), Status.REVIEWED)
    keys("ArrowDown")
    wait_active(page, 9)
    keys("Enter")
    wait_active(page, 9, editing=True)
    for n in range(9, 21):  # 9–20: drafts confirmed; the Office's segments completed with Ctrl+1 first
        i = n - 1
        if i % 2:
            keys("Control+A")
            typed("Le ")
            keys("Control+1")
            typed(f" fera rapport à l'Assemblée générale sur le point {i}.")
            expected[n] = (OFFICE_DONE.format(i=i), Status.APPROVED)
        else:
            expected[n] = (draft(i), Status.APPROVED)
        confirm(n)
    in_view = page.locator(".wb-row.active").evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " const l = document.querySelector('#wb-list').getBoundingClientRect();"
        " return r.top >= l.top && r.bottom <= l.bottom; }"
    )
    assert in_view and active_number(page) == 21

    with Store(long_server["store"]) as store:
        translations = store.translations(long_server["doc"], "fr")
        assert len(translations) == 1000
        for n, t in enumerate(translations, start=1):
            if n in expected:
                assert (t.text, t.status) == expected[n], n
                assert t.updated_by == "anna", n
            else:
                assert (t.text, t.status, t.version) == (draft(n - 1), Status.TRANSLATED, 1), n
        sixth = translations[5].segment_id
        assert [c[2].startswith("approved over: missing term:") for c in store.comments(sixth, "fr")] == [
            True
        ]
    assert page.locator("#wb-progress-text").inner_text().startswith("fr: 18 approved, 1 reviewed")


@pytest.mark.skipif(os.environ.get("WORKBENCH_SCREENSHOTS") != "1", reason="README screenshots on request")
@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_editor_screenshots(browser, review_server, lang, tmp_path):
    """The README's screenshots: the editor on a reviewed segment, in French and in Arabic.

    They replace the committed ones in docs/screenshots/ only when WORKBENCH_SCREENSHOTS=1 asks."""
    terminology = Terminology(load_all())
    with Store(review_server["store"]) as store:
        segments = store.document(1).segments
        for index, text in REVIEWED[lang].items():
            review.save(store, segments[index].id, lang, text, who="marie", terminology=terminology)
    page = browser()
    open_lang(page, lang)
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    wait_active(page, 4, editing=True)
    folder = SCREENSHOTS if os.environ.get("WORKBENCH_SCREENSHOTS") == "1" else tmp_path
    path = folder / f"editor-{lang}.png"
    page.screenshot(path=str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000


def test_names_and_texts_from_users_render_as_text(browser, review_server, tmp_path):
    """A document named like a Markdown image and an HTML tag, with such a sentence inside, shows
    literally in the document lists and the editor: nothing is fetched from outside (the fixture fails
    the test if it is)."""
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
    page.locator("#wb-doc").focus()  # the list is read again when it gets the focus
    option = page.locator("#wb-doc option", has_text=trap)
    option.wait_for(state="attached")
    page.select_option("#wb-doc", option.get_attribute("value"))
    page.wait_for_function("t => document.querySelector('#wb-list')?.innerText.includes(t)", arg=trap)
    assert trap in page.locator("#wb-context").inner_text() or trap in page.locator("#wb-list").inner_text()
    assert page.locator("img[src*='evil'], a[href*='evil']").count() == 0


def test_find_and_replace_previews_applies_and_undoes_as_one_operation(browser, long_server):
    """Runs after the keyboard review above: segment 999 is past the twenty it touched."""
    page = browser(url=long_server["url"])
    wait_active(page, 1)
    page.keyboard.press("Control+H")
    page.keyboard.type("ETATS MEMBRES (998)")  # neither accents nor case need to match
    page.keyboard.press("Tab")
    page.keyboard.type("États Membres de la région (998)")
    page.keyboard.press("Enter")
    preview = page.locator("#wb-replace-preview")
    preview.get_by_text("1 segment(s) would change.").wait_for()
    assert "999: " in preview.inner_text()
    page.locator("#wb-replace-apply").click()
    wait_message(page, "Replaced in 1 segment(s)")
    new = draft(998).replace("États Membres (998)", "États Membres de la région (998)")
    with Store(long_server["store"]) as store:
        segment = store.document(long_server["doc"]).segments[998]
        assert store.translation(segment.id, "fr").text == new
    page.locator("#wb-replace-undo").click()
    wait_message(page, "Replace undone in 1 segment(s)")
    with Store(long_server["store"]) as store:
        t = store.translation(segment.id, "fr")
        assert (t.text, t.version) == (draft(998), 3)  # undone by a new version: the history keeps both


def test_the_qa_report_jumps_to_a_finding(browser, review_server):
    page = browser()
    open_lang(page, "zh")
    page.keyboard.press("q")
    first = page.locator("#wb-qa-list .qa-jump").first
    first.wait_for()
    number = int(first.inner_text().split()[-1])
    page.keyboard.press("Enter")  # the first finding has the focus
    wait_active(page, number, editing=True)
    assert page.locator("#wb-qa").is_hidden()
