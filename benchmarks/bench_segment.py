"""Segmentation speed over the gold texts of ../shared/seg and the UN set (all six languages).

Prints sentences per second of the workbench segmenter and, as the baseline measured in the same
process, of choppa-srx running LanguageTool's rules alone (the workbench adds its exception and UN
rules in front, and strips/offsets every span); runs are interleaved and the best of --repeat of
each is kept. Target on a 2-core machine: at least 5,000/s.

    python benchmarks/bench_segment.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from choppa import DEFAULT_SRX_RULESET, SrxDocument
from choppa.iterators import SrxTextIterator

from workbench.segment import Segmenter

SEG = Path(__file__).resolve().parents[2] / "shared" / "seg"
UN_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "un_segmentation.jsonl"


def load_cases() -> list[tuple[str, str]]:
    cases = []
    for path in [*sorted(SEG.glob("*.jsonl")), UN_SET]:
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if case["lang"] in ("ar", "zh", "en", "fr", "ru", "es"):
                cases.append((case["lang"], case["text"]))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = load_cases()
    segmenters = {lang: Segmenter(lang) for lang in {c[0] for c in cases}}
    baseline_doc = SrxDocument(ruleset=DEFAULT_SRX_RULESET)

    def run_workbench() -> int:
        return sum(len(segmenters[lang].spans(text)) for lang, text in cases)

    def run_baseline() -> int:
        return sum(len(list(SrxTextIterator(baseline_doc, f"{lang}_two", text))) for lang, text in cases)

    runs = {"choppa + LanguageTool rules (baseline)": run_baseline, "workbench Segmenter": run_workbench}
    best = dict.fromkeys(runs, float("inf"))
    sentences = {name: fn() for name, fn in runs.items()}  # warm the regex caches
    # Interleaved, best of --repeat: on a shared machine the load drifts between runs, and the
    # fastest run of each is the one least disturbed by other processes.
    for _ in range(args.repeat):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    results = {name: sentences[name] / best[name] for name in runs}
    for name, rate in results.items():
        print(f"{name:42s} {rate:10,.0f} sentences/s ({len(cases)} texts, best of {args.repeat})")
    base, ours = results.values()
    print(f"ratio workbench / baseline: {ours / base:.2f}")
    print(f"target >= 5,000 sentences/s: {'met' if ours >= 5000 else 'NOT met'}")


if __name__ == "__main__":
    main()
