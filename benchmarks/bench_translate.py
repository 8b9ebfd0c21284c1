"""Throughput of the workbench translation pipeline against a plain ``model.generate`` loop.

Both run in one process on the same randomly initialised model of the real opus-mt-en-fr size
(512-d, 6+6 layers, 8 heads, FFN 2048, vocabulary 59k), beam 4, batch 8, with the output length fixed
(``min_new_tokens = max_new_tokens``) so both decode exactly the same number of tokens. The workbench
path is the whole job — length sorting, tokenising, decoding, detokenising and one store transaction
per segment — run through :func:`workbench.translate.translate_documents`.

    python benchmarks/bench_translate.py [--sentences 64] [--tokens 30] [--threads 1]

Prints target tokens/s of both, their ratio (target: at least 0.95) and the peak memory (RSS).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import ingest  # noqa: E402
from workbench.mt.engine import load  # noqa: E402
from workbench.mt.registry import ModelMap, ModelSpec  # noqa: E402
from workbench.mt.synthetic import build_marian  # noqa: E402
from workbench.store import Store  # noqa: E402
from workbench.translate import ModelPool, Options, translate_documents  # noqa: E402

EXAMPLE = ROOT / "examples" / "unoct-2019-09-26.en.txt"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=64)
    parser.add_argument("--tokens", type=int, default=30, help="fixed target length")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    work = Path(tempfile.mkdtemp(prefix="bench-translate-"))
    lines = [s.text for s in ingest.load(EXAMPLE).segments]
    folder = build_marian(
        work / "opus-mt-en-fr-size",
        lines * 20,
        vocab_size=2000,
        model_vocab_size=59514,
        d_model=512,
        layers=6,
        heads=8,
        ffn=2048,
    )
    # The job's text: segments of the seed speech, repeated to the requested count.
    speech = work / "speech.en.txt"
    sentences = [lines[i % len(lines)] + f" ({i})" for i in range(args.sentences)]
    speech.write_text("\n\n".join(sentences), encoding="utf-8")
    store = Store(work / "bench.db")
    doc_id = store.add_document(ingest.load(speech, "en"))
    texts = [s.text for s in store.document(doc_id).segments]

    model = load(ModelSpec(str(folder)), torch.device("cpu"), threads=args.threads)
    tokenizer, net = model.tokenizer, model.model
    gen = {
        "num_beams": args.beam,
        "max_new_tokens": args.tokens,
        "min_new_tokens": args.tokens,
        "do_sample": False,
    }

    def plain() -> int:
        """The baseline: tokenise in input order, generate, decode — nothing else."""
        produced = 0
        with torch.inference_mode():
            for i in range(0, len(texts), args.batch_size):
                enc = tokenizer(texts[i : i + args.batch_size], return_tensors="pt", padding=True)
                out = net.generate(**enc, **gen)
                tokenizer.batch_decode(out, skip_special_tokens=True)
                produced += out.shape[0] * args.tokens
        return produced

    # The workbench path: the same loaded model, handed to the job through its model pool.
    options = Options(
        beam=args.beam,
        batch_size=args.batch_size,
        max_length=args.tokens,
        min_length=args.tokens,
        threads=args.threads,
        force=True,
    )
    spec = ModelSpec(str(folder))
    model_map = ModelMap({("en", "fr"): spec}, use_defaults=False)
    pool = ModelPool(options)
    pool.loaded[spec] = model

    def workbench() -> int:
        stats = translate_documents(store, [doc_id], ["fr"], model_map, options, pool=pool)
        return stats[0].from_mt * args.tokens

    plain()  # warm-up
    results = {}
    for name, fn in (
        ("plain generate loop", plain),
        ("workbench pipeline", workbench),
        ("plain generate loop (again)", plain),
        ("workbench pipeline (again)", workbench),
    ):
        start = time.perf_counter()
        tokens = fn()
        elapsed = time.perf_counter() - start
        results[name] = tokens / elapsed
        print(f"{name:30s} {tokens / elapsed:8.1f} target tokens/s  ({len(texts) / elapsed:.2f} sentences/s)")
    base = (results["plain generate loop"] + results["plain generate loop (again)"]) / 2
    ours = (results["workbench pipeline"] + results["workbench pipeline (again)"]) / 2
    ratio = ours / base
    print(f"ratio workbench / plain: {ratio:.3f} (target >= 0.95: {'met' if ratio >= 0.95 else 'NOT met'})")
    print(
        f"peak RSS: {peak_rss_mb():.0f} MB; threads {args.threads}, beam {args.beam}, "
        f"batch {args.batch_size}, {args.tokens} target tokens per sentence"
    )
    if args.json:
        args.json.write_text(json.dumps({**results, "ratio": ratio, "peak_rss_mb": peak_rss_mb()}, indent=1))


if __name__ == "__main__":
    main()
