"""The segment editor's latency in the browser (Debian's Chromium via Playwright) on a 1,000-segment
document, with the gradio_client and in-process library figures for the same work beside it.

Timed from the real key press (a capture listener stamps ``performance.now()``) to what the translator
sees: ``next``: Ctrl+↓ in the editor, until the next segment's editor has the focus and its context
panel (terms, memory, QA, history) is drawn; ``confirm``: Ctrl+Enter, until the row shows
``approved`` (``save→status``) and until the next segment is editable with its context
(``confirm→next``). Target: median under 300 ms each.

    python benchmarks/bench_ui_browser.py [--segments 1000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from editor_pages import TIMEOUT, long_store, new_context, sign_in, wait_active  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from ui.app import Context, launch  # noqa: E402
from workbench import review, users  # noqa: E402
from workbench.glossary import load_all  # noqa: E402
from workbench.store import Store  # noqa: E402
from workbench.termmatch import Terminology  # noqa: E402

ACCOUNT = ("bench", "a long enough benchmark passphrase")
STAMP = "() => window.addEventListener('keydown', () => { window.__t0 = performance.now(); }, true)"
READY = """n => {
    const row = document.querySelector('.wb-row.active');
    const ctx = document.querySelector('#wb-context');
    if (!row || row.querySelector('.num').textContent !== String(n)) return false;
    if (ctx.getAttribute('data-segment') !== row.getAttribute('data-id')) return false;
    const focused = document.activeElement;
    if (!focused?.classList.contains('wb-input') || !row.contains(focused)) return false;
    return performance.now() - window.__t0;
}"""
STATUS = """([n, s]) => {
    const row = [...document.querySelectorAll('.wb-row')]
        .find(r => r.querySelector('.num').textContent === String(n));
    return row && row.dataset.status === s ? performance.now() - window.__t0 : false;
}"""


def browser_figures(page, repeat: int) -> dict[str, list[float]]:
    page.evaluate(STAMP)
    out: dict[str, list[float]] = {"next": [], "save→status": [], "confirm→next": []}
    n = 1
    wait_active(page, n)
    page.keyboard.press("Enter")
    for _ in range(repeat):  # Ctrl+↓ in the editor: the next segment's editor, text unchanged
        page.keyboard.press("Control+ArrowDown")
        n += 1
        out["next"].append(page.wait_for_function(READY, arg=n, polling="raf", timeout=TIMEOUT).json_value())
    page.keyboard.press("Escape")
    for _ in range(repeat):  # even segments' drafts miss a term: confirm the odd ones only
        page.keyboard.press("ArrowDown")
        n += 1
        if n % 2 == 0:
            page.keyboard.press("ArrowDown")
            n += 1
        page.keyboard.press("Enter")
        wait_active(page, n, editing=True)
        page.keyboard.press("Control+Enter")
        out["save→status"].append(
            page.wait_for_function(STATUS, arg=[n, "approved"], polling="raf", timeout=TIMEOUT).json_value()
        )
        n += 1
        out["confirm→next"].append(
            page.wait_for_function(READY, arg=n, polling="raf", timeout=TIMEOUT).json_value()
        )
        page.keyboard.press("Escape")
    return {k: [v / 1000 for v in values] for k, values in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    from conftest import free_port
    from gradio_client import Client

    work = Path(tempfile.mkdtemp(prefix="bench-ui-browser-"))
    terminology = Terminology(load_all())
    store_path = work / "wb.db"
    doc = long_store(store_path, terminology, args.segments)
    accounts = work / "users"
    users.add(accounts, *ACCOUNT)
    port = free_port()
    app = launch(Context(store_path, terminology), port=port, auth=users.load(accounts), block=False)
    url = f"http://127.0.0.1:{port}/"
    try:
        with sync_playwright() as p:
            outside: list[str] = []
            context = new_context(p, outside)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT)
            start = time.perf_counter()
            page.goto(url)
            sign_in(page, *ACCOUNT)
            wait_active(page, 1)
            opened = time.perf_counter() - start
            results = browser_figures(page, args.repeat)
            context.close()
            assert not outside, outside

        client = Client(url, auth=ACCOUNT, verbose=False)
        middle = args.segments // 200

        def timed(fn) -> float:
            begin = time.perf_counter()
            fn()
            return time.perf_counter() - begin

        def api_save(i: int) -> float:
            table, shown = client.predict(1, "fr", [], "all", "all", "", middle + 1, api_name="/load_page")[
                :2
            ]
            data = [list(r) for r in table["data"]]
            data[i][3] = f"Révision {i}."
            begin = time.perf_counter()
            client.predict(
                {"headers": table["headers"], "data": data, "metadata": None}, shown, api_name="/save"
            )
            return time.perf_counter() - begin

        results["gradio_client: open a 100-segment page"] = [
            timed(lambda: client.predict(1, "fr", [], "all", "all", "", middle + 1, api_name="/load_page"))
            for _ in range(args.repeat)
        ]
        results["gradio_client: save one edit"] = [api_save(i) for i in range(args.repeat)]
        with Store(store_path) as store:
            rows = review.load_page(store, doc, "fr", size=10**9).rows
            last = 4 * args.repeat + 4  # past the segments the browser touched
            results["library: a segment's context"] = [
                timed(lambda r=r: review.context(store, r.segment_id, "fr", terminology))
                for r in rows[last : last + args.repeat]
            ]
            results["library: approve a segment"] = [
                timed(
                    lambda r=r: review.approve(
                        store, r.segment_id, "fr", r.target, r.version, who="bench", terminology=terminology
                    )
                )
                for r in rows[last : last + 2 * args.repeat : 2]
            ]
    finally:
        app.close()
    print(
        f"{args.segments}-segment document, {args.repeat} runs each; the editor opened it in {opened:.2f} s"
    )
    for name, values in results.items():
        print(
            f"{name:42s} median {1000 * statistics.median(values):7.1f} ms   max {1000 * max(values):7.1f} ms"
        )
    for name in ("next", "save→status", "confirm→next"):
        met = statistics.median(results[name]) < 0.3
        print(f"browser {name}: target median under 300 ms {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
