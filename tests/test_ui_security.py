"""Server hardening: logins everywhere, no stack traces, upload limits, confined file names."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from conftest import REVIEWER
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from workbench import review
from workbench.cli import main
from workbench.model import Document, Origin, Paragraph, Segment, Status
from workbench.store import Store


def endpoints(server) -> list[str]:
    api = Client(server["url"], auth=REVIEWER, verbose=False).view_api(print_info=False, return_format="dict")
    return [name.lstrip("/") for name in api["named_endpoints"]]


def test_every_endpoint_needs_a_login(review_server):
    base = review_server["url"].rstrip("/")
    names = endpoints(review_server)
    assert {"load_page", "save", "confirm", "split", "merge", "export_tmx", "upload"} <= set(names)
    for name in names:
        response = httpx.post(f"{base}/gradio_api/call/{name}", json={"data": []}, timeout=10)
        assert response.status_code == 401, (name, response.status_code)
    for path in ("/config", "/gradio_api/info", "/gradio_api/file=/etc/passwd"):
        assert httpx.get(f"{base}{path}", timeout=10).status_code == 401, path
    join = httpx.post(f"{base}/gradio_api/queue/join", json={"data": [], "fn_index": 0, "session_hash": "x"})
    assert join.status_code == 401


def test_no_stack_trace_reaches_the_browser(review_server, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("internal detail: /srv/secret/path")

    monkeypatch.setattr(review, "load_page", broken)  # the server runs in this process
    client = Client(review_server["url"], auth=REVIEWER, verbose=False)
    with pytest.raises(AppError) as info:
        client.predict(1, "fr", [], "all", "all", "", 1, api_name="/load_page")
    assert "secret" not in str(info.value) and "Traceback" not in str(info.value)


def test_uploads_over_the_limit_are_refused(review_server, tmp_path):
    big = tmp_path / "huge.txt"
    big.write_bytes(b"The Secretary-General spoke. " * (21 * 1024 * 1024 // 29 + 1))
    with Store(review_server["store"]) as store:
        before = len(store.documents())
    client = Client(review_server["url"], auth=REVIEWER, verbose=False)
    with pytest.raises(Exception):  # noqa: B017 (refused by the upload route or the handler)
        client.predict(handle_file(str(big)), [], api_name="/upload")
    with Store(review_server["store"]) as store:
        assert len(store.documents()) == before


def test_export_file_names_stay_in_their_folder(review_server, tmp_path):
    name = "../../../tmp/escape/evil.txt"
    text = "The Secretary-General spoke."
    segment = Segment(0, 0, 0, len(text), text, 0, len(text))
    with Store(review_server["store"]) as store:
        doc_id = store.add_document(
            Document(
                name,
                "en",
                text,
                [Paragraph(0, 0, len(text), 0, len(text), [segment])],
                hashlib.sha256(b"escape").hexdigest(),
            )
        )
        sid = store.document(doc_id).segments[0].id
        store.put_translation(sid, "fr", "Texte.", origin=Origin.HUMAN, status=Status.APPROVED)
    client = Client(review_server["url"], auth=REVIEWER, verbose=False)
    client.predict(api_name="/documents")  # the lists of this session now offer the new document
    files, _ = client.predict([doc_id], "fr", "2.1", api_name="/export_xliff")
    assert [f.rsplit("/", 1)[-1] for f in files] == ["evil.en-fr.xlf"]
    out = tmp_path / "out"
    assert (
        main(
            ["export", str(doc_id), "--xliff", str(out), "--to", "fr", "--store", str(review_server["store"])]
        )
        == 0
    )
    assert [p.name for p in out.iterdir()] == ["evil.en-fr.xlf"]


def test_serve_refuses_the_network_without_a_login(tmp_path, capsys):
    assert main(["serve", "--host", "0.0.0.0", "--store", str(tmp_path / "wb.db")]) == 2
    assert "--auth" in capsys.readouterr().err
