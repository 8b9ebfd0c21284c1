"""Crash safety and concurrent reviewers: nothing acknowledged is ever lost or silently overwritten."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import EXAMPLE, FAST, REVIEWER, ROOT, free_port
from reviewers import FILTER, simulate, verify

from workbench import users
from workbench.store import Store

pytestmark = pytest.mark.slow
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}


def long_speech(tmp_path: Path) -> Path:
    """The seed four times over, each sentence numbered (no translation-memory shortcut): 104 segments."""
    lines = [s for s in EXAMPLE.read_text(encoding="utf-8").split("\n\n") if s.strip()]
    path = tmp_path / "long.en.txt"
    path.write_text(
        "\n\n".join(f"{line.strip()} ({n})" for n in range(4) for line in lines), encoding="utf-8"
    )
    return path


def test_a_batch_job_killed_twenty_times_ends_with_every_segment_translated_once(tmp_path, model_map):
    store_path = tmp_path / "wb.db"
    speech = long_speech(tmp_path)
    args = [sys.executable, "-m", "workbench.cli", "translate", str(speech), "--to", "all", "--model-map",
            str(model_map), "--store", str(store_path), "--batch-size", "2", *FAST]  # fmt: skip
    rng = random.Random(20261127)
    kills = rounds = 0
    while kills < 20 and rounds < 60:
        rounds += 1
        proc = subprocess.Popen(args, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 6.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if store_path.exists():
            with Store(store_path) as store:
                assert store.integrity_check() == "ok"
    assert kills == 20, f"only {kills} kills in {rounds} rounds: the job finished too soon"
    final = subprocess.run(args, cwd=ROOT, env=ENV, capture_output=True, timeout=900)
    assert final.returncode == 0, final.stderr.decode()[-2000:]
    db = sqlite3.connect(store_path)
    segments = db.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
    assert dict(db.execute("SELECT lang, COUNT(*) FROM translations GROUP BY lang").fetchall()) == {
        lang: segments for lang in ("ar", "zh", "fr", "ru", "es")
    }
    # exactly once: one history entry, at version 1, for every translation
    assert db.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 5 * segments
    assert db.execute("SELECT MAX(version) FROM translations").fetchone()[0] == 1


def serve(store_path: Path, port: int, auth: Path | None = None) -> subprocess.Popen:
    args = [sys.executable, "-m", "workbench.cli", "serve", "--store", str(store_path), "--port", str(port)]
    if auth:
        args += ["--auth", str(auth)]
    proc = subprocess.Popen(args, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code in (200, 401, 302, 307):
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("the review server did not start")


@contextmanager
def served(store_path: Path, port: int, auth: Path | None = None) -> Iterator[subprocess.Popen]:
    """A review server for the block, stopped the way an operator stops one (SIGTERM); one that does
    not stop within 30 s is killed and reported."""
    server = serve(store_path, port, auth)
    try:
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise AssertionError("the review server did not stop within 30 s of SIGTERM") from None


def test_a_server_killed_during_a_burst_of_saves_loses_no_acknowledged_save(translated_store):
    from gradio_client import Client

    acknowledged: list[tuple[int, str]] = []
    rng = random.Random(7)
    for round_ in range(3):
        port = free_port()
        server = serve(translated_store, port)
        stop = threading.Event()

        def burst(round_=round_, port=port, stop=stop):
            client = Client(f"http://127.0.0.1:{port}/", verbose=False)
            n = 0
            while not stop.is_set():
                try:
                    table, shown = client.predict(1, "fr", [], "all", "all", "", 1, api_name="/load_page")[:2]
                    data = [list(r) for r in table["data"]]
                    row = n % len(data)
                    text = f"Sauvegarde {round_}-{n}."
                    data[row][3] = text
                    message = client.predict(
                        {"headers": table["headers"], "data": data}, shown, api_name="/save"
                    )[2]
                except Exception:  # the server is gone: the burst ends
                    return
                if "Saved 1" in message:
                    acknowledged.append((data[row][1], text))
                n += 1

        worker = threading.Thread(target=burst)
        worker.start()
        time.sleep(rng.uniform(3, 6))
        server.send_signal(signal.SIGKILL)
        server.wait()
        stop.set()
        worker.join(timeout=60)
        with Store(translated_store) as store:
            assert store.integrity_check() == "ok"
    assert len(acknowledged) >= 10
    db = sqlite3.connect(translated_store)
    stored = {(sid, text) for sid, text in db.execute(
        "SELECT t.segment_id, h.new_text FROM history h JOIN translations t ON t.id = h.translation_id"
    )}  # fmt: skip
    assert [a for a in acknowledged if a not in stored] == []


def test_twenty_reviewers_at_once_lose_and_overwrite_nothing(translated_store, tmp_path):
    accounts = tmp_path / "users"
    users.add(accounts, *REVIEWER)
    port = free_port()
    with served(translated_store, port, accounts):
        records = simulate(f"http://127.0.0.1:{port}/", 20, 60, tmp_path, account=REVIEWER)
    figures = verify(translated_store, records)
    assert figures["acknowledged"] > 20 and figures["refused"] > 0  # they did collide, and were refused
    print(f"\n20 reviewers, 60 s, on the {FILTER!r} segments: {figures}")
