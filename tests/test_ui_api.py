"""Every endpoint of the review interface through gradio_client, logged in."""

from __future__ import annotations

import pytest
from conftest import EXAMPLE, REVIEWER, SECOND, shared
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from lxml import etree

from workbench.model import Origin, Status
from workbench.store import Store


def client(server, account=REVIEWER) -> Client:
    return Client(server["url"], auth=account, verbose=False)


def load(c: Client, lang="fr", **filters):
    """(table, shown, summary, detail, page number): ``shown`` goes back with every save and confirm."""
    args = {"status": "all", "flag": "all", "text": "", "number": 1, **filters}
    return c.predict(
        1, lang, [], args["status"], args["flag"], args["text"], args["number"], api_name="/load_page"
    )


def edited(table: dict, row: int, text: str) -> dict:
    data = [list(r) for r in table["data"]]
    data[row][3] = text
    return {"headers": table["headers"], "data": data, "metadata": None}


def test_login_is_required(review_server):
    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises its own or httpx errors)
        Client(review_server["url"], verbose=False).predict(
            1, "fr", [], "all", "all", "", 1, api_name="/load_page"
        )
    with pytest.raises(Exception):  # noqa: B017
        Client(review_server["url"], auth=("anna", "wrong"), verbose=False)


def test_load_page_and_filters(review_server):
    c = client(review_server)
    table, shown, summary, detail, number = load(c)
    assert table["headers"][:4] == ["#", "id", "source", "fr"] and len(table["data"]) == 26
    assert "page 1 of 1" in summary and number == 1
    first = table["data"][0]  # the heading numbers segments as the grid's "#" does, not by id
    assert f"<h4>Segment #{first[0]} (id {first[1]}, row 1)</h4>" in detail
    assert shown["lang"] == "fr" and [r[:3] for r in shown["rows"]] == [r[1:4] for r in table["data"]]
    only, _, _, only_detail, _ = load(c, text="Minsk")
    assert [r[0] for r in only["data"]] == [r[0] for r in table["data"] if "Minsk" in r[2]]
    assert f"<h4>Segment #{only['data'][0][0]} (id {only['data'][0][1]}, row 1)</h4>" in only_detail
    styled = load(c, lang="ar")[0]
    assert styled["metadata"]["styling"][0][3] == "direction: rtl; text-align: right;"


def test_save_stores_the_edit_with_the_reviewer(review_server):
    c = client(review_server)
    table, shown = load(c)[:2]
    row = 4
    sid = table["data"][row][1]
    table2, shown2, message, _ = c.predict(
        edited(table, row, "Texte revu par Anna."), shown, api_name="/save"
    )
    assert "Saved 1 segment" in message
    with Store(review_server["store"]) as store:
        t = store.translation(sid, "fr")
        assert (t.text, t.origin, t.status, t.updated_by) == (
            "Texte revu par Anna.",
            Origin.HUMAN,
            Status.REVIEWED,
            "anna",
        )
    assert table2["data"][row][3] == "Texte revu par Anna."
    assert shown2["rows"][row][3] == shown["rows"][row][3] + 1  # the browser now holds the new version


def test_a_conflicting_save_is_refused_with_both_texts(review_server):
    first, second = client(review_server), client(review_server, SECOND)
    (page_a, shown_a), (page_b, shown_b) = load(first)[:2], load(second)[:2]
    row = 6
    sid = page_a["data"][row][1]
    assert "Saved 1" in first.predict(edited(page_a, row, "Version d'Anna."), shown_a, api_name="/save")[2]
    message = second.predict(edited(page_b, row, "Version de Boris."), shown_b, api_name="/save")[2]
    assert "Not saved" in message and "Version d&#x27;Anna." in message and "Version de Boris." in message
    # A browser sends an edit on Enter and again on blur: the second copy of Boris's stale table arrives
    # after the refused save has refreshed his page, and must be refused too, not overwrite Anna.
    message = second.predict(edited(page_b, row, "Version de Boris."), shown_b, api_name="/save")[2]
    assert "Not saved" in message and "Version de Boris." in message
    with Store(review_server["store"]) as store:
        assert store.translation(sid, "fr").text == "Version d'Anna."


def test_a_confirm_of_a_text_changed_meanwhile_is_refused(review_server):
    """Confirm approves the version the browser shows, not a newer text it has not displayed."""
    first, second = client(review_server), client(review_server, SECOND)
    page_a, shown_a = load(first, lang="ar")[:2]
    shown_b = load(second, lang="ar")[1]
    sid = page_a["data"][0][1]
    first.predict(edited(page_a, 0, "نص أنّا المعدّل."), shown_a, api_name="/save")
    message = second.predict(shown_b, api_name="/confirm")[2]
    assert "Not confirmed" in message and "نص أنّا المعدّل." in message
    with Store(review_server["store"]) as store:
        t = store.translation(sid, "ar")
        assert (t.text, t.status, t.updated_by) == ("نص أنّا المعدّل.", Status.REVIEWED, "anna")


def test_an_edit_sent_after_switching_language_is_saved_in_the_language_it_was_made_in(review_server):
    c = client(review_server)
    table, shown = load(c, lang="fr")[:2]
    sid = table["data"][9][1]
    with Store(review_server["store"]) as store:
        arabic = store.translation(sid, "ar").text
    load(c, lang="ar")  # the server's page is now Arabic; the French edit was still on its way
    message = c.predict(
        edited(table, 9, "Modifié juste avant de changer de langue."), shown, api_name="/save"
    )[2]
    assert "Saved 1" in message
    with Store(review_server["store"]) as store:
        assert store.translation(sid, "fr").text == "Modifié juste avant de changer de langue."
        assert store.translation(sid, "ar").text == arabic


@pytest.mark.parametrize("change", ["source", "id", "rows"])
def test_the_server_validates_every_save(review_server, change):
    c = client(review_server)
    table, shown = load(c)[:2]
    data = [list(r) for r in table["data"]]
    if change == "source":
        data[0][2] = "A forged source."
    elif change == "id":
        data[0][1] = 999999
    else:
        data = data[:-1]
    with pytest.raises(AppError, match=r"cannot be changed from the browser|rows, the browser sent"):
        c.predict({"headers": table["headers"], "data": data, "metadata": None}, shown, api_name="/save")


def test_confirm_approves_and_moves_on(review_server):
    c = client(review_server)
    table, shown = load(c, lang="zh")[:2]
    sid = table["data"][0][1]
    table2, _, message, detail = c.predict(shown, api_name="/confirm")
    assert message == "Confirmed." and table2["data"][0][4] == "approved"
    assert "row 2" in detail  # the next unconfirmed segment is selected
    with Store(review_server["store"]) as store:
        t = store.translation(sid, "zh")
        assert t.status == Status.APPROVED and t.origin == Origin.MT and t.updated_by == "anna"


def test_split_and_merge(review_server):
    c = client(review_server)
    table = load(c, lang="ar")[0]
    source = table["data"][0][2]
    cut = source.index(",") + 1
    shown = load(c, lang="ar")[1]
    after = c.predict(shown, source[:cut] + "|" + source[cut:], api_name="/split")
    assert after[2] == "Split." and len(after[0]["data"]) == 27
    assert after[0]["data"][1][2] == source[cut:].strip()
    merged = c.predict(after[1], api_name="/merge")
    assert merged[2] == "Merged with the next segment." and len(merged[0]["data"]) == 26
    assert merged[0]["data"][0][2] == source
    refused = c.predict(merged[1], "no marker", api_name="/split")  # a message; the table is not blanked
    assert "one '|'" in refused[2]
    title = load(c, lang="ar", text="Remarks by Mr. Vladimir Voronkov")[1]  # a paragraph of one segment
    assert "Not merged:" in c.predict(title, api_name="/merge")[2]


def test_a_merge_from_a_stale_page_is_refused(review_server):
    stale, fresh = client(review_server), client(review_server, SECOND)
    table, old_shown = load(stale, lang="ar")[:2]
    source = table["data"][0][2]
    cut = source.index(",") + 1
    shown = load(fresh, lang="ar")[1]
    split = fresh.predict(shown, source[:cut] + "|" + source[cut:], api_name="/split")  # a new neighbour
    refused = stale.predict(old_shown, api_name="/merge")[2]  # it would merge a segment it never saw
    assert "Not merged:" in refused and "not the one shown" in refused
    with Store(review_server["store"]) as store:
        assert len(store.document(1).segments) == 27
    edited_shown = fresh.predict(edited(split[0], 1, "نص جديد"), split[1], api_name="/save")[1]
    refused = fresh.predict(split[1], api_name="/merge")[2]  # its own page before the save: a version is old
    assert "Not merged:" in refused and "changed meanwhile" in refused
    merged = fresh.predict(edited_shown, api_name="/merge")
    assert merged[2] == "Merged with the next segment." and len(merged[0]["data"]) == 26
    assert merged[0]["data"][0][2] == source


def test_comment_shows_in_the_detail(review_server):
    c = client(review_server)
    load(c)
    note, detail = c.predict("Check the title against the programme.", api_name="/comment")
    assert note == "" and "Check the title against the programme." in detail and "anna" in detail


def test_exports_download_and_validate(review_server, tmp_path):
    c = client(review_server)
    files, note = c.predict([1], "all", api_name="/export_tmx")
    names = sorted(f.rsplit("/", 1)[-1] for f in files)
    assert names == [f"memory.en-{lang}.tmx" for lang in ("ar", "es", "fr", "ru", "zh")] + ["memory.tmx"]
    dtd = etree.DTD(str(shared("tmx", "schemas", "tmx14.dtd")))
    for path in files:
        assert dtd.validate(etree.parse(path)), dtd.error_log
    assert "26 units" in note
    xlf, _ = c.predict([1], "fr", "2.1", api_name="/export_xliff")
    assert len(xlf) == 1 and etree.parse(xlf[0]).getroot().get("version") == "2.1"


def test_documents_upload_and_align(review_server, tmp_path):
    c = client(review_server)
    listing = c.predict(api_name="/documents")[0]
    assert listing["data"][0][1] == EXAMPLE.name
    speech = tmp_path / "short.en.txt"
    speech.write_text("The Secretary-General thanked Member States.\n\nThank you.", encoding="utf-8")
    status = c.predict(handle_file(str(speech)), ["fr"], api_name="/upload")
    assert "translated it" in status and "fr: 2 MT" in status
    human = tmp_path / "short.fr.txt"
    human.write_text(
        "Le Secrétaire général a remercié les États Membres.\n\nJe vous remercie.", encoding="utf-8"
    )
    doc_id = c.predict(api_name="/documents")[0]["data"][-1][0]
    result = c.predict(handle_file(str(human)), doc_id, "fr", api_name="/align")
    assert "2 beads" in result


def test_serve_prints_no_public_link_hint(tmp_path):
    """``serve`` says where it listens and nothing a workbench user cannot act on (no share link)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    from conftest import ROOT, free_port

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "workbench.cli",
        "serve",
        "--store",
        str(tmp_path / "wb.db"),
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(1)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert f"serving {tmp_path / 'wb.db'} on http://127.0.0.1:{port}" in output
    assert "share=True" not in output and "public link" not in output


def test_the_editor_endpoint_needs_the_login(review_server):
    """The editor's server function answers only a signed-in browser."""
    import httpx

    body = {"data": {"op": "init"}, "component_id": 1, "fn_name": "wb", "session_hash": "x"}
    answer = httpx.post(review_server["url"] + "gradio_api/component_server", json=body, timeout=30)
    assert answer.status_code == 401
