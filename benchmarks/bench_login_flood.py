"""A signed-in reviewer's save latency while four clients flood the login form, through the real server.

The server runs as its own process (``workbench serve --auth``). One reviewer saves a segment over and
over: first alone (the idle figure), then while four threads post wrong passwords as fast as the
server answers (four processes), in two ways:

- *one address*: all from 127.0.0.1 for the reviewer's own name: after 5 failures the lockout answers
  429 without checking the password;
- *worst case*: each attempt for a name that is no account and from a new address (forged
  ``X-Forwarded-For``, trusted from loopback), so no lockout applies and every attempt costs a full
  PBKDF2 check (in the worker thread).

Prints, for each kind of flood, the median save latency without it (measured just before) and
during it, and their ratio (the issue's target: under 2). Failed and refused logins are answered
after ``login_delay_s`` (1 s), so a client that waits for each answer sends about one a second.

    python benchmarks/bench_login_flood.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import EXAMPLE, REVIEWER, free_port  # noqa: E402
from gradio_client import Client  # noqa: E402
from test_reliability import served  # noqa: E402

from workbench import ingest, users  # noqa: E402
from workbench.model import Origin, Status  # noqa: E402
from workbench.store import Store  # noqa: E402


def saves(client: Client, seconds: float) -> list[float]:
    """Save row 0 again and again for ``seconds``; the latency of each save."""
    latencies = []
    table, shown = client.predict(1, "fr", [], "all", "all", "", 1, api_name="/load_page")[:2]
    deadline = time.monotonic() + seconds
    for n in itertools.count():
        if time.monotonic() >= deadline:
            break
        data = [list(r) for r in table["data"]]
        data[0][3] = f"Texte numéro {n}."
        start = time.perf_counter()
        table, shown, message, _ = client.predict(
            {"headers": table["headers"], "data": data, "metadata": None}, shown, api_name="/save"
        )
        latencies.append(time.perf_counter() - start)
        assert "Saved 1" in message, message
    return latencies


def flood(url: str, stop, worst: bool, counts, k: int) -> None:
    """One flooding client: a process of its own, so that it does not slow the measuring one."""
    with httpx.Client(timeout=60) as http:
        for n in itertools.count():
            if stop.is_set():
                return
            name, headers = (
                (f"nobody{k}-{n}", {"X-Forwarded-For": f"10.{k}.{n // 250 % 250}.{n % 250}"})
                if worst
                else (REVIEWER[0], {})
            )
            http.post(f"{url}login", data={"username": name, "password": "wrong"}, headers=headers)
            counts[k] += 1


def phase(client: Client, url: str, seconds: float, worst: bool | None) -> tuple[float, int]:
    context = multiprocessing.get_context("spawn")
    stop, counts = context.Event(), context.Array("i", 4)
    flooders = [] if worst is None else [
        context.Process(target=flood, args=(url, stop, worst, counts, k)) for k in range(4)
    ]  # fmt: skip
    for p in flooders:
        p.start()
    while flooders and min(counts[:]) == 0:  # their start-up (imports) is not part of the flood
        time.sleep(0.1)
    try:
        latencies = saves(client, seconds)
    finally:
        stop.set()
        for p in flooders:
            p.join()
    return statistics.median(latencies), sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-login-"))
    store_path = work / "wb.db"
    with Store(store_path) as store:
        document = ingest.ingest_file(store, EXAMPLE)
        for s in document.segments:
            store.put_translation(s.id, "fr", s.text, origin=Origin.HUMAN, status=Status.REVIEWED)
    accounts = work / "users"
    users.add(accounts, *REVIEWER)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with served(store_path, port, accounts):
        client = Client(url, auth=REVIEWER, verbose=False)
        saves(client, 2)  # warm up
        for worst, label in ((False, "one address"), (True, "worst case")):
            idle, _ = phase(client, url, args.seconds, None)  # just before: the machine's load drifts
            median, attempts = phase(client, url, args.seconds, worst)
            print(f"{label}: idle median save {idle * 1000:.0f} ms; {attempts} login attempts in "
                  f"{args.seconds:.0f} s, median save {median * 1000:.0f} ms, "
                  f"{median / idle:.2f}× idle")  # fmt: skip


if __name__ == "__main__":
    main()
