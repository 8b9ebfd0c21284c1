"""Cost of guaranteed glossary terms: constrained beam search against plain beam search.

One process, one randomly initialised model of the real opus-mt-en-fr size (512-d, 6+6 layers, 8 heads,
FFN 2048, vocabulary 59k), beam 4, batch 8, output length fixed (``min_new_tokens = max_new_tokens``) so
every run decodes the same number of tokens. Each sentence carries 2-3 enforced terms of the shipped
UN glossary (English source, French forms), and every constrained output is checked to contain them.

    python benchmarks/bench_glossary.py [--sentences 48] [--tokens 30] [--threads 1]

Prints per-token and per-sentence ratios of constrained to plain decoding (target: at most 1.3), and
the same for the constrained search run without terms (its own overhead).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import ingest, tbx  # noqa: E402
from workbench.mt.constrained import constrained_beam_search  # noqa: E402
from workbench.mt.engine import load  # noqa: E402
from workbench.mt.registry import ModelSpec  # noqa: E402
from workbench.mt.synthetic import build_marian  # noqa: E402
from workbench.termmatch import Terminology  # noqa: E402

EXAMPLE = ROOT / "examples" / "unoct-2019-09-26.en.txt"
GLOSSARY = ROOT / "glossaries" / "un-counter-terrorism.tbx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=48)
    parser.add_argument("--tokens", type=int, default=30, help="fixed target length")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = random.Random(0)

    terms = Terminology([tbx.read(GLOSSARY)])
    names = [
        c.entries["en"].full[0]
        for c in terms.glossaries[0].concepts
        if "fr" in c.entries and terms.policy.enforced(c.entries["fr"])
    ]
    lines = [s.text for s in ingest.load(EXAMPLE).segments]
    work = Path(tempfile.mkdtemp(prefix="bench-glossary-"))
    glossary_text = [
        e.text for c in terms.glossaries[0].concepts for e in c.entries.values() for e in e.terms
    ]
    folder = build_marian(
        work / "opus-mt-en-fr-size",
        lines * 20 + glossary_text,
        vocab_size=2000,
        model_vocab_size=59514,
        d_model=512,
        layers=6,
        heads=8,
        ffn=2048,
    )
    model = load(ModelSpec(str(folder)), torch.device("cpu"), threads=args.threads)

    texts, constraints = [], []
    while len(texts) < args.sentences:
        picked = rng.sample(names, rng.choice((2, 3)))
        text = f"{rng.choice(lines)} With the {', the '.join(picked[:-1])} and the {picked[-1]}."
        cons = terms.constraints(terms.expectations(text, "en", "fr"))
        if 2 <= len(cons) <= 3:
            texts.append(text)
            constraints.append(cons)
    token_cons = [[model.term_ids(forms, "fr") for _, forms in cons] for cons in constraints]
    batches = []
    for i in range(0, len(texts), args.batch_size):
        enc = model.tokenizer(texts[i : i + args.batch_size], return_tensors="pt", padding=True)
        ids = token_cons[i : i + args.batch_size]
        # The same fixed length for every mode, long enough for the terms of the longest sentence.
        length = max(args.tokens, *(sum(min(map(len, c)) for c in sentence) + 3 for sentence in ids))
        gen = {"num_beams": args.beam, "max_new_tokens": length, "min_new_tokens": length, "do_sample": False}
        batches.append((enc, ids, constraints[i : i + args.batch_size], gen))

    def run(mode: str) -> tuple[int, float]:
        produced, start = 0, time.perf_counter()
        with torch.inference_mode():
            for enc, ids, cons, gen in batches:
                extra = {}
                if mode != "plain":
                    extra = {
                        "custom_generate": constrained_beam_search,
                        "constraints": ids if mode == "constrained" else [[] for _ in ids],
                        "glued_tokens": model.glued_tokens,
                    }
                out = model.model.generate(**enc, **gen, **extra)
                produced += int((out[:, 1:] != model.tokenizer.pad_token_id).sum())
                if mode == "constrained":
                    for row, wanted in zip(out, cons, strict=True):
                        text = model.tokenizer.decode(row, skip_special_tokens=True)
                        for _, forms in wanted:
                            assert any(f in text for f in forms), (text, forms)
        return produced, time.perf_counter() - start

    run("plain")  # warm-up
    totals: dict[str, list[float]] = {m: [0, 0.0] for m in ("plain", "constrained", "search without terms")}
    for _ in range(2):  # interleaved, so drift in machine speed hits all three alike
        for mode in totals:
            tokens, seconds = run(mode)
            totals[mode][0] += tokens
            totals[mode][1] += seconds
    results = {}
    base_tokens, base_seconds = totals["plain"]
    for mode, (tokens, seconds) in totals.items():
        per_token = (seconds / tokens) / (base_seconds / base_tokens)
        per_sentence = seconds / base_seconds
        results[mode] = {
            "tokens_per_s": tokens / seconds,
            "per_token_ratio": per_token,
            "per_sentence_ratio": per_sentence,
        }
        print(
            f"{mode:22s} {tokens / seconds:8.1f} target tokens/s   per-token ×{per_token:.3f}"
            f"   per-sentence ×{per_sentence:.3f}"
        )
    ratio = results["constrained"]["per_token_ratio"]
    print(
        f"constrained / plain per token: {ratio:.3f} (target <= 1.3: {'met' if ratio <= 1.3 else 'NOT met'})"
    )
    print(
        f"{args.sentences} sentences with 2-3 enforced terms each (all present), beam {args.beam}, "
        f"batch {args.batch_size}, at least {args.tokens} target tokens (fixed per batch), "
        f"{args.threads} thread(s)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
