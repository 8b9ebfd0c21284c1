"""MT engines compared in one run on one random model of the real opus-mt-en-fr (or NLLB-600M) size.

Engines: plain transformers ``generate`` (fp32), the workbench's default path (torch fp32, length-sorted
batches), the workbench's fast path (``--backend ctranslate2``: CTranslate2 int8, and int8 torch with
the constrained search for segments with enforced terms), and CTranslate2 int8 used directly. The
output length is fixed (minimum = maximum = ``--tokens``) so every engine decodes the same number of
tokens. Reports target tokens/s, sentences/s, first-batch latency and memory, greedy and beam 4, batch
1, 8 and 32, one and two threads, with ratios against CTranslate2 int8; then the glossary case: a third
of the sentences carrying 2–3 enforced terms (checked present in every output of the workbench paths).
Every ratio pairs a timing with a CTranslate2 run just before it; the fast path's rows take the median
of ``--repeat`` such pairs (all printed).

    python benchmarks/bench_mt_engines.py [--quick] [--model opus-mt|nllb-600m] [--device cpu|cuda]
                                          [--repeat 3] [--json FILE]

``--quick`` runs only beam 4, batch 8, one thread (the acceptance setting) and the glossary case.
``--model nllb-600m`` uses the size of NLLB-200-distilled-600M (1024-d, 12+12 layers, vocabulary 256,206;
about eight times the work per token): try ``--sentences 16`` on a CPU.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import ingest, tbx  # noqa: E402
from workbench.mt.engine import load  # noqa: E402
from workbench.mt.fast import converted, load_fast  # noqa: E402
from workbench.mt.registry import ModelSpec  # noqa: E402
from workbench.mt.synthetic import build_marian, build_nllb  # noqa: E402
from workbench.termmatch import Terminology  # noqa: E402

EXAMPLE = ROOT / "examples" / "unoct-2019-09-26.en.txt"
GLOSSARY = ROOT / "glossaries" / "un-counter-terrorism.tbx"
# The real models' dimensions; the sentencepiece vocabulary is small, the model's rows are not.
SIZES = {
    "opus-mt": (build_marian, "marian", {"model_vocab_size": 59514, "d_model": 512, "layers": 6, "heads": 8,
                                         "ffn": 2048}),
    "nllb-600m": (build_nllb, "nllb", {"model_vocab_size": 256206, "d_model": 1024, "layers": 12, "heads": 16,
                                       "ffn": 4096}),
}  # fmt: skip


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=48)
    parser.add_argument("--tokens", type=int, default=30)
    parser.add_argument("--model", default="opus-mt", choices=tuple(SIZES))
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--batches", default="1,8,32", help="batch sizes (comma-separated)")
    parser.add_argument("--threads", default="1,2", help="CPU thread counts (comma-separated)")
    parser.add_argument("--repeat", type=int, default=3, help="paired timings of the fast path rows")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    device = torch.device(args.device)
    rng = random.Random(0)
    lines = [s.text for s in ingest.load(EXAMPLE).segments]
    terms = Terminology([tbx.read(GLOSSARY)])
    work = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    glossary_text = [
        t.text for c in terms.glossaries[0].concepts for e in c.entries.values() for t in e.terms
    ]
    build, kind, size = SIZES[args.model]
    folder = build(work / f"{args.model}-size", lines * 20 + glossary_text, vocab_size=2000, **size)
    spec = ModelSpec(str(folder), kind)
    memory = {}
    before = rss_mb()
    default = load(spec, device)
    list(default.translate([lines[0]], "en", "fr", max_length=4))  # weights are mapped: touch them all
    memory["torch fp32 model"] = rss_mb() - before
    before = rss_mb()
    fast = load_fast(spec, device, cache_dir=work / "cache")
    list(fast.translate([lines[0]], "en", "fr", max_length=4, constraints=[[["ONU"]]]))  # quantises torch
    memory["fast path models (CTranslate2 int8 + int8 torch)"] = rss_mb() - before
    tokenizer = default.tokenizer
    ct2_path = str(converted(str(folder), "int8", work / "cache"))  # made by load_fast: found in the cache
    texts = [f"{lines[i % len(lines)]} ({i})" for i in range(args.sentences)]
    constraints: list = []  # the glossary case fills it
    L = args.tokens
    # NLLB: the tokenizer now adds the source code; generate forces the target code, CTranslate2
    # gets it as a prefix. Marian (forced end token) stops one step earlier in CTranslate2's count.
    _, forced = default.prepare(texts, "en", "fr")
    prefix = tokenizer.convert_ids_to_tokens([forced["forced_bos_token_id"]]) if forced else None
    forced_end = getattr(default.model.generation_config, "forced_eos_token_id", None) is not None

    def run_generate(beam: int, batch: int) -> tuple[int, float]:
        produced, first = 0, None
        start = time.perf_counter()
        with torch.inference_mode():
            for i in range(0, len(texts), batch):
                enc = tokenizer(texts[i : i + batch], return_tensors="pt", padding=True).to(device)
                out = default.model.generate(
                    **enc, num_beams=beam, max_new_tokens=L, min_new_tokens=L, do_sample=False, **forced
                )
                tokenizer.batch_decode(out, skip_special_tokens=True)
                produced += out.shape[0] * L
                first = first or time.perf_counter() - start
        return produced, first

    def run_model(model, beam: int, batch: int, constraints=None) -> tuple[int, float]:
        produced, first = 0, None
        start = time.perf_counter()
        for out in model.translate(texts, "en", "fr", beam=beam, batch_size=batch, max_length=L, min_length=L,
                                   constraints=constraints):  # fmt: skip
            produced += len(out.indices) * L
            first = first or time.perf_counter() - start
            if constraints:
                for i, text in zip(out.indices, out.texts, strict=True):
                    for forms in constraints[i]:
                        assert any(f in text for f in forms), (text, forms)
        return produced, first

    def run_terms(model, beam: int, batch: int) -> tuple[int, float]:
        return run_model(model, beam, batch, constraints)

    def run_ct2(translator, beam: int, batch: int) -> tuple[int, float]:
        produced, first = 0, None
        start = time.perf_counter()
        for i in range(0, len(texts), batch):
            tokens = [
                tokenizer.convert_ids_to_tokens(ids) for ids in tokenizer(texts[i : i + batch])["input_ids"]
            ]
            n = L - 1 if forced_end else L
            results = translator.translate_batch(
                tokens, beam_size=beam, max_decoding_length=n, min_decoding_length=n, max_batch_size=batch,
                target_prefix=[prefix] * len(tokens) if prefix else None,
            )  # fmt: skip
            produced += len(results) * L
            first = first or time.perf_counter() - start
        return produced, first

    def measure(name, fn, args_, threads, reference=None, repeat=1):
        """Time ``fn(*args_)`` after a warm-up; with ``reference`` (CTranslate2's run and arguments),
        each of ``repeat`` timings follows a run of the reference and the median pair is reported.

        This machine's speed drifts between runs (single runs of the glossary case gave the fast path
        0.73 and 0.90 of CTranslate2 minutes apart), so a ratio is only as good as the pairing.
        """
        beam, batch = args_[-2], args_[-1]
        fn(*args_)  # warm-up (and the first run's one-off costs)
        pairs = []
        for _ in range(repeat):
            base = None
            if reference:
                start = time.perf_counter()
                base = reference[0](*reference[1])[0] / (time.perf_counter() - start)
            start = time.perf_counter()
            tokens, first = fn(*args_)
            seconds = time.perf_counter() - start
            pairs.append((tokens / seconds / base if base else 1.0, tokens / seconds, seconds, first))
        ratio, rate, seconds, first = sorted(pairs)[len(pairs) // 2]
        row = {"engine": name, "beam": beam, "batch": batch, "threads": threads, "tokens_per_s": rate,
               "sentences_per_s": len(texts) / seconds, "first_batch_s": first, "vs_ct2": ratio,
               "vs_ct2_runs": [p[0] for p in pairs]}  # fmt: skip
        results["runs"].append(row)
        spread = f"  ({', '.join(f'{p[0]:.2f}' for p in pairs)})" if repeat > 1 else ""
        print(f"{name:28s} {beam:6d} {batch:6d} {threads:6d} {rate:6.1f} {len(texts) / seconds:6.2f} "
              f"{first:6.2f} {ratio:6.2f}{spread}", flush=True)  # fmt: skip

    import ctranslate2

    batches = [int(n) for n in args.batches.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    settings = (
        [(4, 8, 1)] if args.quick else [(b, n, t) for t in thread_counts for b in (1, 4) for n in batches]
    )
    results: dict = {"memory_mb": memory, "runs": []}
    header = ("beam", "batch", "thr", "tok/s", "sent/s", "first", "vs CT2")
    print(f"{'engine':28s} " + " ".join(f"{h:>6}" for h in header))
    for beam, batch, threads in settings:
        torch.set_num_threads(threads)
        direct = ctranslate2.Translator(ct2_path, device=device.type, compute_type=fast.compute_type,
                                        intra_threads=threads, max_queued_batches=-1)  # fmt: skip
        fast.translator = direct  # the fast path and the reference share the converted model
        fast.threads = threads  # its two engines together use this many (one: they take turns)
        ct2 = (run_ct2, (direct, beam, batch))
        measure("CTranslate2 int8", *ct2, threads)
        measure("transformers generate", run_generate, (beam, batch), threads, ct2)
        measure("workbench default (torch)", run_model, (default, beam, batch), threads, ct2)
        measure("workbench fast", run_model, (fast, beam, batch), threads, ct2, args.repeat)

    # The glossary case: beam 4, batch 8, one thread; a third of the sentences with 2-3 enforced terms.
    torch.set_num_threads(1)
    direct = ctranslate2.Translator(
        ct2_path, device=device.type, compute_type=fast.compute_type, intra_threads=1, max_queued_batches=-1
    )
    fast.translator, fast.threads = direct, 1
    names = [c.entries["en"].full[0] for c in terms.glossaries[0].concepts
             if "fr" in c.entries and terms.policy.enforced(c.entries["fr"])]  # fmt: skip
    constraints.clear()
    for i in range(len(texts)):
        if i % 3 == 0:
            while True:
                picked = rng.sample(names, rng.choice((2, 3)))
                text = f"{rng.choice(lines)} With the {', the '.join(picked[:-1])} and the {picked[-1]}."
                cons = terms.constraints(terms.expectations(text, "en", "fr"))
                if 2 <= len(cons) <= 3:
                    break
            texts[i] = text
            constraints.append([forms for _, forms in cons])
        else:
            constraints.append([])
    # Long enough for the terms of every sentence (the synthetic vocabulary spells French in many pieces)
    L = max(
        args.tokens,
        *(sum(min(len(ids) for ids in default.term_ids(f, "fr")) for f in c) + 3 for c in constraints if c),
    )
    with_terms = sum(1 for c in constraints if c)
    print(
        f"\nglossary case: {with_terms} of {len(texts)} sentences with 2-3 enforced terms, {L} target tokens"
    )
    ct2 = (run_ct2, (direct, 4, 8))
    measure("CTranslate2 int8 (no terms)", *ct2, 1)
    measure("workbench default + terms", run_terms, (default, 4, 8), 1, ct2)
    measure("workbench fast + terms", run_terms, (fast, 4, 8), 1, ct2, args.repeat)
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sizes = json.dumps({k: round(v) for k, v in memory.items()})
    print(f"\nmemory (MB): {sizes}; peak RSS {results['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
