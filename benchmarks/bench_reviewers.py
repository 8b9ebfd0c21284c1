"""Twenty reviewers editing one document at once for a minute, through the real server.

Each reviewer is a separate process using gradio_client (``tests/reviewers.py``); they all edit the
same three segments, so saves collide. Afterwards the store is checked: every acknowledged save is in
the history and replaced the text its author saw, no refused save was stored. Prints saves/s and the
95th-percentile save latency.

    python benchmarks/bench_reviewers.py [--reviewers 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import EXAMPLE, REVIEWER, free_port, training_sentences  # noqa: E402
from reviewers import simulate, verify  # noqa: E402
from test_reliability import served  # noqa: E402

from workbench import users  # noqa: E402
from workbench.cli import main as workbench  # noqa: E402
from workbench.mt.synthetic import build_marian  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-reviewers-"))
    model = build_marian(work / "en-x", training_sentences())
    model_map = work / "models.toml"
    model_map.write_text(f'defaults = false\n[pairs.en-fr]\nmodel = "{model}"\n', encoding="utf-8")
    store = work / "wb.db"
    argv = ["translate", str(EXAMPLE), "--to", "fr", "--model-map", str(model_map), "--store", str(store)]
    assert workbench([*argv, "--beam", "2", "--max-length", "12", "--quiet"]) == 0
    accounts = work / "users"
    users.add(accounts, *REVIEWER)
    port = free_port()
    with served(store, port, accounts):
        records = simulate(f"http://127.0.0.1:{port}/", args.reviewers, args.seconds, work, account=REVIEWER)
    figures = verify(store, records)
    print(
        f"{args.reviewers} reviewers for {args.seconds:.0f} s: {figures['saves']} saves "
        f"({figures['saves'] / args.seconds:.1f}/s), {figures['acknowledged']} acknowledged, "
        f"{figures['refused']} refused as conflicts, p95 save latency {figures['p95_latency_s']:.2f} s; "
        "nothing lost, nothing overwritten unseen"
    )


if __name__ == "__main__":
    main()
