"""Server hardening: logins everywhere, no stack traces, upload limits, confined file names."""

from __future__ import annotations

import hashlib
import threading

import httpx
import pytest
from conftest import REVIEWER, SECOND
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from workbench import limits, review
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


def test_a_huge_comment_and_an_over_long_translation_are_refused_with_one_line(review_server):
    client = Client(review_server["url"], auth=REVIEWER, verbose=False)
    table, shown = client.predict(1, "fr", [], "all", "all", "", 1, api_name="/load_page")[:2]
    sid = table["data"][0][1]
    with Store(review_server["store"]) as store:
        before = store.translation(sid, "fr"), store.comments(sid, "fr")
    with pytest.raises(AppError) as info:
        client.predict("x" * (30 * 2**20), api_name="/comment")
    assert str(info.value).count("\n") == 0 and "the comment has 31,457,280 characters" in str(info.value)
    data = [list(r) for r in table["data"]]
    data[0][3] = "y" * (limits.LIMITS.target_chars + 1)
    with pytest.raises(AppError, match="the limit is 20,000"):
        client.predict({"headers": table["headers"], "data": data, "metadata": None}, shown, api_name="/save")
    with Store(review_server["store"]) as store:
        assert (store.translation(sid, "fr"), store.comments(sid, "fr")) == before


@pytest.fixture(scope="module")
def guarded(review_server, tmp_path_factory):
    """A second server on the same store with its own login guard: its lockouts stay its own."""
    from conftest import free_port

    from ui.app import launch
    from workbench import users

    accounts = tmp_path_factory.mktemp("guarded") / "users"
    users.add(accounts, *REVIEWER)
    users.add(accounts, *SECOND)
    port = free_port()
    app = launch(review_server["ctx"], port=port, auth=users.load(accounts), block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()


def login(base: str, name: str, password: str, address: str | None = None) -> httpx.Response:
    """A login; ``address`` poses as a client behind a proxy (X-Forwarded-For, trusted from loopback)."""
    headers = {"X-Forwarded-For": address} if address else {}
    return httpx.post(
        f"{base}login", data={"username": name, "password": password}, headers=headers, timeout=30
    )


def test_the_page_before_login_shows_no_endpoint_and_no_document(review_server):
    base = review_server["url"]
    names = endpoints(review_server)
    before = httpx.get(base, timeout=10)
    assert before.status_code == 200 and "gradio_config" in before.text  # Gradio's login page
    leaks = [n for n in [*names, "named_endpoints", "unoct-2019-09-26"] if n in before.text]
    assert leaks == []
    signed_in = httpx.get(base, cookies=login(base, *REVIEWER).cookies, timeout=10)
    assert "load_page" in signed_in.text and "unoct-2019-09-26" in signed_in.text  # what was withheld


def test_the_sixth_wrong_password_in_a_minute_is_refused_and_failures_are_logged(guarded, caplog):
    for _ in range(5):
        assert login(guarded, "boris", "guess").status_code == 400
    refused = login(guarded, "boris", SECOND[1])  # even the right password, while locked
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "try again" in refused.json()["detail"] and "access-token" not in str(refused.cookies)
    failures = [r.getMessage() for r in caplog.records if r.name == "workbench.login"]
    assert failures.count("failed login for 'boris' from 127.0.0.1") == 5
    assert any(f.startswith("login refused") and "127.0.0.1" in f for f in failures)
    elsewhere = login(guarded, "boris", SECOND[1], address="10.0.0.9")  # the name is locked everywhere
    assert elsewhere.status_code == 429
    assert any("refused for 'boris' from 10.0.0.9" in r.getMessage() for r in caplog.records)
    assert login(guarded, "anna", REVIEWER[1], address="10.0.0.10").status_code == 200  # others are not


def test_a_slow_password_check_does_not_hold_up_signed_in_reviewers(review_server, monkeypatch):
    from workbench import users

    client = Client(review_server["url"], auth=REVIEWER, verbose=False)  # signed in before the patch
    checking, release = threading.Event(), threading.Event()

    def slow_verify(accounts, name, password):
        checking.set()
        release.wait(30)  # a check that lasts until the reviewer's request below has been answered
        return False

    monkeypatch.setattr(users, "verify", slow_verify)
    pending = threading.Thread(target=login, args=(review_server["url"], "mallory", "x"))
    pending.start()
    try:
        assert checking.wait(10)
        table = client.predict(1, "fr", [], "all", "all", "", 1, api_name="/load_page")[0]
        assert pending.is_alive() and len(table["data"]) > 0  # answered while the check is running
    finally:
        release.set()
        pending.join()


def test_lockouts_double_and_a_success_resets_them(monkeypatch):
    from ui.guard import Attempts

    now = [0.0]
    attempts = Attempts(clock=lambda: now[0])
    for _ in range(5):
        assert attempts.wait("user:anna") == 0
        attempts.failed("user:anna")
    assert attempts.wait("user:anna") == 60
    now[0] += 61
    for _ in range(5):
        attempts.failed("user:anna")
    assert attempts.wait("user:anna") == 120  # the second lockout lasts twice as long
    now[0] += 121
    attempts.failed("user:anna")
    attempts.succeeded("user:anna")
    for _ in range(4):
        attempts.failed("user:anna")
    assert attempts.wait("user:anna") == 0  # the success forgot the earlier failure
    now[0] += 61
    for _ in range(4):
        attempts.failed("user:anna")
    assert attempts.wait("user:anna") == 0  # failures older than the window do not count
