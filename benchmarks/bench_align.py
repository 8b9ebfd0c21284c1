"""Sentence alignment on the public gold sets in ../shared/align, scored as vecalign's score.py does.

    python benchmarks/bench_align.py [--json FILE]

Rows: Text+Berg de→fr dev and test, with the shipped Moses MT of the German side
(``eval19xx.europarlfull.fr``, Bleualign's setting) and without MT; ParIce en→is without MT; the
Bible en→zh (5000 × 6301 sentences) for speed, with CPU time and peak memory; a 300 × 300 pair.
Prints strict and lax precision/recall/F1 and the targets. The parameters were tuned on the dev row
only (``python benchmarks/bench_align.py --tune``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.align import DEFAULT, Params, align, parse_vecalign  # noqa: E402
from workbench.evaluate import alignment_scores  # noqa: E402

SHARED = ROOT.parent / "shared" / "align"
TEXTBERG = SHARED / "vecalign" / "bleualign_data"
EVAL = SHARED / "Bleualign" / "eval"


def lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def _split_articles(rows: list[str]) -> list[list[str]]:
    docs, current = [], []
    for row in rows:
        if row.strip().lower().replace(" ", "") == ".eoa":
            docs.append(current)
            current = []
        else:
            current.append(row)
    return [*docs, current]


def textberg(split: str, mt: bool) -> list[dict]:
    """Documents of the dev (1) or test (7) set, with the German side's MT into French."""
    names = ["dev"] if split == "dev" else [f"test{i}" for i in range(7)]
    year = "1957" if split == "dev" else "1989"
    mts = _split_articles(lines(EVAL / f"eval{year}.europarlfull.fr")) if mt else [None] * len(names)
    docs = []
    for name, src_mt in zip(names, mts, strict=True):
        src, tgt = lines(TEXTBERG / f"{name}.de"), lines(TEXTBERG / f"{name}.fr")
        if src_mt is not None and len(src_mt) != len(src):
            raise SystemExit(f"{name}: MT has {len(src_mt)} lines, source {len(src)}")
        gold = parse_vecalign((TEXTBERG / f"{name}.defr").read_text(encoding="utf-8"))
        docs.append({"src": src, "tgt": tgt, "mt": src_mt, "gold": gold, "langs": ("de", "fr")})
    return docs


def parice() -> list[dict]:
    folder = SHARED / "SentAlign" / "parice"
    docs = []
    for gold in sorted((folder / "gold").glob("*.txt")):
        src = [row.split("\t", 1)[1] for row in lines(folder / "eng" / gold.name)]
        tgt = [row.split("\t", 1)[1] for row in lines(folder / "isl" / gold.name)]
        beads = parse_vecalign(gold.read_text(encoding="utf-8"))
        docs.append({"src": src, "tgt": tgt, "mt": None, "gold": beads, "langs": ("en", "is")})
    return docs


def run(docs: list[dict], params: Params = DEFAULT):
    system = []
    for doc in docs:
        beads = align(doc["src"], doc["tgt"], *doc["langs"], src_mt=doc["mt"], params=params)
        system.append([(b.src, b.tgt) for b in beads])
    return alignment_scores([d["gold"] for d in docs], system)


def timed(src: list[str], tgt: list[str], langs: tuple[str, str]) -> tuple[float, float]:
    start = time.process_time()
    align(src, tgt, *langs)
    return time.process_time() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tune() -> None:
    """Coordinate descent on the Text+Berg dev set only (mean strict F1 with and without MT)."""
    dev_mt, dev = textberg("dev", True), textberg("dev", False)

    def score(params: Params) -> float:
        return (run(dev_mt, params).f1_strict + run(dev, params).f1_strict) / 2

    best, best_score = DEFAULT, score(DEFAULT)
    print(f"start {best_score:.4f} {best}", flush=True)
    for _ in range(2):
        for name in ("sim", "length", "skip", "many", "two_two", "three", "paragraph", "anchor"):
            for factor in (0.7, 1.4):
                trial = dataclasses.replace(best, **{name: round(getattr(best, name) * factor, 3)})
                value = score(trial)
                if value > best_score + 1e-4:
                    best, best_score = trial, value
                    print(f"{best_score:.4f} {name}={getattr(best, name)}", flush=True)
    print(f"best {best_score:.4f} {best}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--tune", action="store_true", help="grid-search the parameters on the dev set")
    args = parser.parse_args()
    if args.tune:
        tune()
        return
    rows = [
        ("Text+Berg dev, MT (tuning set)", textberg("dev", True), None),
        ("Text+Berg dev, no MT (tuning set)", textberg("dev", False), None),
        ("Text+Berg test, MT europarlfull", textberg("test", True), (0.85, 0.96)),
        ("Text+Berg test, no MT", textberg("test", False), (0.75, None)),
        ("ParIce en-is, no MT", parice(), (0.79, None)),
    ]
    results = {}
    print(f"{'set':36s} {'P':>6s} {'R':>6s} {'F1':>6s} {'lax P':>6s} {'lax R':>6s} {'lax F1':>6s}  target")
    for name, docs, target in rows:
        s = run(docs)
        results[name] = dataclasses.asdict(s)
        want = ""
        if target:
            want = f"strict ≥ {target[0]}: {'met' if s.f1_strict >= target[0] else 'NOT met'}"
            if target[1]:
                want += f", lax ≥ {target[1]}: {'met' if s.f1_lax >= target[1] else 'NOT met'}"
        print(
            f"{name:36s} {s.precision_strict:6.3f} {s.recall_strict:6.3f} {s.f1_strict:6.3f} "
            f"{s.precision_lax:6.3f} {s.recall_lax:6.3f} {s.f1_lax:6.3f}  {want}"
        )
    bible = SHARED / "bertalign" / "bible"
    en, zh = lines(bible / "en" / "001"), lines(bible / "zh" / "001")
    cpu, rss = timed(en, zh, ("en", "zh"))
    print(f"Bible en-zh {len(en)} x {len(zh)}: {cpu:.2f} s CPU, peak RSS {rss:.0f} MB (≤ 10 s, ≤ 500 MB)")
    cpu300, _ = timed(en[:300], zh[:378], ("en", "zh"))
    print(f"300 x 378 sentences: {cpu300:.2f} s CPU (target ≤ 1 s)")
    results["bible"] = {"cpu_s": cpu, "peak_rss_mb": rss, "cpu_300_s": cpu300}
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
