"""Simulated reviewers: separate processes saving edits through gradio_client, for tests and benchmarks.

Each reviewer loads a page of a few segments (all reviewers share them, so they collide), edits a
random one with a text nobody else writes, and saves, as fast as it can, for ``seconds``. It records
every save: the segment, the text, whether the server acknowledged it or refused it as a conflict
(with the message), and the latency. :func:`verify` then checks the store against those records.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import time
from pathlib import Path

FILTER = "Excellencies, ladies and gentlemen"  # three identical segments of the seed: a small page


def reviewer(url: str, account: tuple[str, str] | None, number: int, seconds: float, out: str) -> None:
    from gradio_client import Client

    rng = random.Random(number)
    # twenty logins at once queue for the password check (one at a time, in a worker thread, while
    # signed-in reviewers are served): more than gradio_client's 5 s on a loaded machine
    client = Client(url, auth=account, verbose=False, httpx_kwargs={"timeout": 120})
    records = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        table, shown = client.predict(1, "fr", [], "all", "all", FILTER, 1, api_name="/load_page")[:2]
        data = [list(r) for r in table["data"]]
        row = rng.randrange(len(data))
        seen = data[row][3]
        text = f"Révision {n} du réviseur {number}."
        data[row][3] = text
        start = time.perf_counter()
        try:
            message = client.predict(
                {"headers": table["headers"], "data": data, "metadata": None}, shown, api_name="/save"
            )[2]
            outcome = "saved" if "Saved 1" in message else ("conflict" if "Not saved" in message else "other")
        except Exception as exc:  # a refused save surfaces as an error: record it, it must not be stored
            message, outcome = str(exc), "error"
        records.append({"segment": data[row][1], "text": text, "seen": seen, "outcome": outcome,
                        "message": message, "latency": time.perf_counter() - start})  # fmt: skip
        n += 1
    Path(out).write_text(json.dumps(records), encoding="utf-8")


def simulate(url: str, reviewers: int, seconds: float, work: Path, account=None) -> list[dict]:
    """Run ``reviewers`` processes for ``seconds``; returns every save they made."""
    context = multiprocessing.get_context("spawn")
    procs = []
    for k in range(reviewers):
        out = work / f"reviewer-{k}.json"
        procs.append((context.Process(target=reviewer, args=(url, account, k, seconds, str(out))), out))
    for proc, _ in procs:
        proc.start()
    for proc, _ in procs:
        proc.join(timeout=seconds + 120)
    records = []
    for proc, out in procs:
        assert proc.exitcode == 0, f"a reviewer process failed ({proc.exitcode})"
        records += json.loads(out.read_text(encoding="utf-8"))
    return records


def verify(store_path: Path, records: list[dict]) -> dict:
    """Every acknowledged save is in its segment's history and replaced the text its author saw; no
    refused save was ever stored; each segment's text is the last acknowledged one. Returns figures."""
    import sqlite3

    db = sqlite3.connect(store_path)
    history: dict[int, list[str]] = {}
    for segment, text in db.execute(
        "SELECT t.segment_id, h.new_text FROM history h JOIN translations t ON t.id = h.translation_id"
        " WHERE t.lang = 'fr' ORDER BY h.id"
    ):
        history.setdefault(segment, []).append(text)
    current = dict(db.execute("SELECT segment_id, text FROM translations WHERE lang = 'fr'").fetchall())
    saved = [r for r in records if r["outcome"] == "saved"]
    refused = [r for r in records if r["outcome"] in ("conflict", "error")]
    for r in saved:
        assert r["text"] in history[r["segment"]], f"acknowledged save lost: {r}"
        # nothing overwritten unseen: the version an acknowledged save replaced is the one its author saw
        before = history[r["segment"]][history[r["segment"]].index(r["text"]) - 1]
        assert before == r["seen"], f"overwrote a text its author never saw: {r}"
    for r in refused:
        assert r["text"] not in history.get(r["segment"], []), f"refused save stored: {r}"
        if r["outcome"] == "conflict":
            assert "Their text" in r["message"] and r["text"] in r["message"]
    for segment in {r["segment"] for r in saved}:
        assert current[segment] == history[segment][-1]
    assert not [r for r in records if r["outcome"] == "other"], "a save neither saved nor refused"
    latencies = sorted(r["latency"] for r in records)
    return {
        "saves": len(records),
        "acknowledged": len(saved),
        "refused": len(refused),
        "p95_latency_s": latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0,
    }
