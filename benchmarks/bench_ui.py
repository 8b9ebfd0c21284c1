"""Review interface latency on a 1,000-segment document, through gradio_client against the real server.

Opening a page (100 segments) and saving one edit are timed through the HTTP API and, as the baseline,
as the same library calls in this process; both print, with their ratio. Target: each under 1 s.

    python benchmarks/bench_ui.py [--segments 1000] [--repeat 10]
"""

from __future__ import annotations

import argparse
import hashlib
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ui.app import Context, launch  # noqa: E402
from workbench import review  # noqa: E402
from workbench.glossary import load_all  # noqa: E402
from workbench.model import Document, Paragraph, Segment  # noqa: E402
from workbench.store import Store, now  # noqa: E402
from workbench.termmatch import Terminology  # noqa: E402

SENTENCE = "The Conference underscored the need to enhance cooperation with Member States ({i})."
FRENCH = "La Conférence a souligné la nécessité de renforcer la coopération avec les États Membres ({i})."


def fill(store: Store, count: int) -> None:
    texts = [SENTENCE.format(i=i) for i in range(count)]
    text = "\n\n".join(texts)
    paragraphs, offset = [], 0
    for i, sentence in enumerate(texts):
        end = offset + len(sentence)
        paragraphs.append(
            Paragraph(i, offset, end, offset, end, [Segment(i, i, offset, end, sentence, offset, end)])
        )
        offset = end + 2
    doc_id = store.add_document(
        Document("long.txt", "en", text, paragraphs, hashlib.sha256(text.encode()).hexdigest())
    )
    with store.transaction() as db:
        ids = [
            r[0] for r in db.execute("SELECT id FROM segments WHERE document_id = ? ORDER BY idx", (doc_id,))
        ]
        db.executemany(
            "INSERT INTO translations (segment_id, lang, text, origin, status, engine, version, updated_at)"
            " VALUES (?, 'fr', ?, 'mt', 'translated', 'bench', 1, ?)",
            [(sid, FRENCH.format(i=i), now()) for i, sid in enumerate(ids)],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    from gradio_client import Client

    work = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    store_path = work / "wb.db"
    with Store(store_path) as store:
        fill(store, args.segments)
    terminology = Terminology(load_all())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = launch(Context(store_path, terminology), port=port, block=False)
    client = Client(f"http://127.0.0.1:{port}/", verbose=False)
    middle = args.segments // 200  # a page in the middle of the document

    def api_open():
        return client.predict(1, "fr", [], "all", "all", "", middle + 1, api_name="/load_page")[:2]

    def api_save(i: int):
        table, shown = api_open()
        data = [list(r) for r in table["data"]]
        data[i % len(data)][3] = f"Révision {i}."
        start = time.perf_counter()
        message = client.predict(
            {"headers": table["headers"], "data": data, "metadata": None}, shown, api_name="/save"
        )[2]
        elapsed = time.perf_counter() - start
        assert "Saved 1" in message, message
        return elapsed

    def lib_open():
        with Store(store_path) as store:
            return review.load_page(store, 1, "fr", number=middle)

    def lib_save(i: int):
        with Store(store_path) as store:
            page = review.load_page(store, 1, "fr", number=middle)
            sent = [(r.segment_id, r.source, r.target, r.version) for r in page.rows]
            received = [(r.segment_id, r.source, r.target) for r in page.rows]
            row = i % len(received)
            received[row] = (received[row][0], received[row][1], f"Version {i}.")
            start = time.perf_counter()
            report = review.save_page(store, "fr", sent, received, who="bench", terminology=terminology)
            elapsed = time.perf_counter() - start
            assert report.saved
            return elapsed

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    api_open()  # warm-up
    results = {
        "open page (API)": [timed(api_open) for _ in range(args.repeat)],
        "open page (library)": [timed(lib_open) for _ in range(args.repeat)],
        "save edit (API)": [api_save(i) for i in range(args.repeat)],
        "save edit (library)": [lib_save(i + 1000) for i in range(args.repeat)],
    }
    app.close()
    print(f"{args.segments}-segment document, pages of {review.PAGE_SIZE} segments, {args.repeat} runs each")
    for name, values in results.items():
        print(f"{name:22s} median {statistics.median(values):6.3f} s   max {max(values):6.3f} s")
    for what in ("open page", "save edit"):
        api, lib = (
            statistics.median(results[f"{what} (API)"]),
            statistics.median(results[f"{what} (library)"]),
        )
        worst = max(results[f"{what} (API)"])
        print(
            f"{what}: API / library {api / lib:.1f}×; target under 1 s: {'met' if worst < 1 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
