"""An archive of short statements into French: documents sharing batches against one at a time.

Operators translate hundreds of statements of a few sentences each. Translated one document at a
time, each fills one small batch; grouped (:func:`workbench.translate.groups`, the default), they fill
whole length-sorted batches. Both runs use the same loaded model of the real opus-mt-en-fr size
(random weights, output length fixed), the enforced glossary and the store, in one process:

    python benchmarks/bench_archive.py [--statements 30] [--sentences 4] [--backend ctranslate2]

Prints each run's seconds and target tokens/s, and the ratio grouped / one at a time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import ingest, tbx  # noqa: E402
from workbench.mt.registry import ModelMap, ModelSpec  # noqa: E402
from workbench.mt.synthetic import build_marian  # noqa: E402
from workbench.store import Store  # noqa: E402
from workbench.termmatch import Terminology  # noqa: E402
from workbench.translate import ModelPool, Options, translate_documents  # noqa: E402

EXAMPLE = ROOT / "examples" / "unoct-2019-09-26.en.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=30)
    parser.add_argument("--sentences", type=int, default=4, help="per statement")
    parser.add_argument("--tokens", type=int, default=40, help="fixed target length")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backend", default="ctranslate2", choices=("ctranslate2", "torch"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    terms = Terminology([tbx.read(ROOT / "glossaries" / "un-counter-terrorism.tbx")])
    lines = [s.text for s in ingest.load(EXAMPLE).segments]
    glossary = [t.text for c in terms.glossaries[0].concepts for e in c.entries.values() for t in e.terms]
    folder = build_marian(  # a vocabulary that spells every glossary term, as real models' do
        work / "opus-mt-en-fr-size", lines * 20 + glossary, vocab_size=2000, model_vocab_size=59514,
        d_model=512, layers=6, heads=8, ffn=2048,
    )  # fmt: skip
    spec = ModelSpec(str(folder))
    model_map = ModelMap({("en", "fr"): spec}, use_defaults=False)
    with Store(work / "bench.db") as store:
        ids = []
        for n in range(args.statements):  # the seed speech's sentences, a few to each statement
            chosen = [lines[(n * args.sentences + k) % len(lines)] for k in range(args.sentences)]
            path = work / f"statement-{n:03}.en.txt"
            path.write_text("\n\n".join(chosen), encoding="utf-8")
            ids.append(ingest.ingest_file(store, path, "en").id)
        options = Options(
            beam=4, batch_size=args.batch_size, max_length=args.tokens, min_length=args.tokens,
            threads=args.threads, cache_dir=str(work / "cache"), backend=args.backend, force=True,
        )  # fmt: skip
        pool = ModelPool(options)  # loaded once, outside the timings
        translate_documents(store, ids[:1], ["fr"], model_map, options, pool=pool, terminology=terms)
        seconds = {}
        for group_batches, name in ((0, "one document at a time"), (4, "documents sharing batches")):
            options.group_batches = group_batches
            start = time.perf_counter()
            stats = translate_documents(store, ids, ["fr"], model_map, options, pool=pool, terminology=terms)
            seconds[name] = elapsed = time.perf_counter() - start
            print(
                f"{name:26s} {elapsed:6.1f} s  {stats[0].target_tokens / elapsed:6.1f} target tokens/s  "
                f"({stats[0].from_mt} segments, {args.backend}, batch {args.batch_size})"
            )
        pool.release()
    ratio = seconds["one document at a time"] / seconds["documents sharing batches"]
    print(f"speed-up of sharing batches: {ratio:.2f}x")


if __name__ == "__main__":
    main()
