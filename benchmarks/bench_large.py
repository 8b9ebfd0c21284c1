"""A 100,000-segment document: ingest, segment, store, export and page through the review interface.

Reports the time of each step and the process's peak memory. Run by ``tests/test_large.py`` in CI
(as a separate process, so its peak memory is its own).

    python benchmarks/bench_large.py [--segments 100000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SENTENCES = [
    "The Conference underscored the need to enhance cooperation in practical and operational areas.",
    "Member States discussed terrorist exploitation of new technologies with civil society.",
    "UNOCT will continue to provide capacity-building support to Member States.",
    "Thank you.",
]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from workbench import ingest, tmx
    from workbench.store import Store, now

    work = Path(tempfile.mkdtemp(prefix="bench-large-"))
    speech = work / "large.en.txt"
    # five sentences per paragraph, each numbered so that none repeats
    paragraphs = [
        " ".join(f"{SENTENCES[(p + k) % len(SENTENCES)][:-1]} ({p * 5 + k})." for k in range(5))
        for p in range(args.segments // 5)
    ]
    speech.write_text("\n\n".join(paragraphs), encoding="utf-8")
    figures: dict = {"file_mb": speech.stat().st_size / 2**20}
    start = time.perf_counter()
    with Store(work / "wb.db") as store:
        document = ingest.ingest_file(store, speech, "en")
        figures["ingest_and_segment_s"] = time.perf_counter() - start
        figures["segments"] = len(document.segments)
        start = time.perf_counter()
        with store.transaction() as db:
            db.executemany(
                "INSERT INTO translations (segment_id, lang, text, origin, status, engine, version,"
                " updated_at) VALUES (?, 'fr', ?, 'human', 'approved', NULL, 1, ?)",
                [(s.id, f"Traduction {s.index}.", now()) for s in document.segments],
            )
        figures["store_translations_s"] = time.perf_counter() - start
        start = time.perf_counter()
        _, _, units = tmx.export(store, [document.id], work / "large.tmx")  # type: ignore[list-item]
        figures["export_tmx_s"] = time.perf_counter() - start
        figures["tmx_units"] = units
    from gradio_client import Client

    from ui.app import Context, launch
    from workbench.glossary import load_all
    from workbench.termmatch import Terminology

    app = launch(Context(work / "wb.db", Terminology(load_all())), port=_port(), block=False)
    client = Client(app.local_url, verbose=False)
    pages = {}
    last = args.segments // 100
    for number in (1, last // 2, last):
        start = time.perf_counter()
        table, _, summary, _, page_number = client.predict(
            1, "fr", [], "all", "all", "", number, api_name="/load_page"
        )
        pages[number] = time.perf_counter() - start
        assert page_number == number and len(table["data"]) == 100, summary
    app.close()
    figures["page_s"] = pages
    figures["peak_rss_mb"] = peak_mb()
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
