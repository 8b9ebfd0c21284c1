"""The fast CPU path: CTranslate2 for segments without enforced terms, int8 torch for the others.

CTranslate2 int8 decodes several times faster than torch fp32 on a CPU, but it cannot force words into
its beam search, so the glossary guarantee stays with the workbench's constrained search
(:mod:`workbench.mt.constrained`), run on the same torch model dynamically quantised to int8; segments
without enforced terms take CTranslate2 (``benchmarks/bench_mt_engines.py`` measures both,
docs/performance.md has the figures).

Every kind of model the workbench loads (Marian, M2M100, NLLB) has both engines. Models are
converted on first use (``ctranslate2.converters.TransformersConverter``, safetensors read by
transformers, no remote code; a Hub id from the workbench's safetensors copy of its commit, see
:mod:`workbench.mt.hub`) into the cache folder and reused; the conversion is written to a
temporary folder and renamed, so a killed job never leaves half a model.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Unpack

import torch

from . import hub
from .base import DECODING, Constraints, Decoding
from .engine import LOADING, Batch, LoadedModel, load
from .registry import LoadError, ModelSpec

try:
    import ctranslate2
    import ctranslate2.converters
except ImportError:  # an optional dependency: name the fix instead of a traceback
    raise LoadError("the ctranslate2 backend needs CTranslate2: pip install 'workbench[fast]'") from None

COMPUTE_TYPES = ("int8", "int8_float32", "float32", "float16", "int8_float16")


def cache_root(cache_dir: str | Path | None = None) -> Path:
    return hub.base_dir(cache_dir) / "workbench" / "ctranslate2"


def _fingerprint(source: str) -> str:
    """A cache key that changes when a local model's weights change."""
    path = Path(source)
    parts = [source]
    if path.exists():
        for name in sorted(p.name for p in path.iterdir() if p.suffix in (".safetensors", ".json")):
            stat = (path / name).stat()
            parts.append(f"{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def conversion_path(source: str, quantization: str, cache_dir=None, name: str | None = None) -> Path:
    """Where the CTranslate2 conversion of ``source`` is (or will be) kept."""
    return cache_root(cache_dir) / f"{name or Path(source).name}-{_fingerprint(source)}-{quantization}"


def converted(
    source: str, quantization: str, cache_dir: str | Path | None = None, name: str | None = None
) -> Path:
    """The CTranslate2 conversion of ``source`` (a local folder or a cached Hub model), made once.

    ``name`` (a Hub id's ``org--model``) names the cached folder where the source folder's own name
    is a revision hash.
    """
    target = conversion_path(source, quantization, cache_dir, name)
    if (target / "model.bin").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".converting-"))
    try:
        with LOADING:
            if (target / "model.bin").exists():  # another thread converted it meanwhile
                return target
            converter = _Converter(source, load_as_float16=False)
            converter.convert(str(work / "model"), quantization=quantization, force=True)
        try:
            os.replace(work / "model", target)
        except OSError:
            if not (target / "model.bin").exists():
                raise
            # another process finished the same conversion first: theirs is as good
    except Exception as exc:  # conversion problems of any kind name the model and stop the job
        raise LoadError(f"{source}: cannot convert to CTranslate2 ({str(exc).splitlines()[0]})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


class _Converter(ctranslate2.converters.TransformersConverter):
    """Hands the converter the whole vocabulary of M2M100 tokenizers.

    CTranslate2 4.8 reads the vocabulary from ``get_vocab()`` and adds M2M100's language tokens
    (``__fr__``) from ``additional_special_tokens``; transformers 5's M2M100Tokenizer lists them in
    neither, so the conversion stopped on a vocabulary 100 entries short. NLLB and Marian tokenizers
    already list every token and pass unchanged.
    """

    def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
        tokenizer = super().load_tokenizer(tokenizer_class, model_name_or_path, **kwargs)
        languages = getattr(tokenizer, "lang_token_to_id", None)
        if languages:
            vocab = {**tokenizer.get_vocab(), **languages}
            tokenizer.get_vocab = lambda: vocab  # this instance only: the converter's own copy
        return tokenizer


class FastModel:
    """Same interface as :class:`~workbench.mt.engine.LoadedModel`, two engines underneath."""

    def __init__(
        self, base: LoadedModel, translator, compute_type: str, threads: int = 1, quantize: bool = False
    ):
        self.base = base  # tokenizer, language handling and the constrained search (quantised torch)
        self.translator = translator
        self.compute_type = compute_type
        self.spec = base.spec
        self.threads = threads  # the CPU threads this job may use (GPU: the engines run at once)
        self._quantize = quantize  # still to do: the first constrained search does it, see _torch
        self._quantize_lock = threading.Lock()

    @property
    def tokenizer(self):
        return self.base.tokenizer

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, *, constraints: Constraints | None = None,
        **decoding: Unpack[Decoding],
    ) -> Iterator[Batch]:  # fmt: skip
        """Segments with enforced terms go to the constrained search, the others to CTranslate2.

        With two threads or more (or on a GPU) the two engines run at once, so they share the
        machine instead of taking turns, and batches are yielded in the order they finish: the
        first stored segment does not wait for the slower constrained search. With one thread
        they take turns, CTranslate2 first, so "one thread" means one core.
        """
        if not texts:
            return
        options: Decoding = {**DECODING, **decoding}  # type: ignore[typeddict-item]
        terms = list(constraints or [[] for _ in texts])
        rest = [i for i in range(len(texts)) if not terms[i]]
        if not rest:  # every segment has enforced terms: all on int8 torch
            yield from self._torch(texts, list(range(len(texts))), terms, src, tgt, options)
            return
        pending = self._ct2_submit([texts[i] for i in rest], src, tgt, options)
        on_torch = [i for i in range(len(texts)) if terms[i]]
        if not on_torch or (self.threads < 2 and self.base.device.type == "cpu"):
            for submitted in pending:
                yield self._ct2_batch(rest, *submitted, tgt)
            yield from self._torch(texts, on_torch, terms, src, tgt, options)
            return
        finished: queue.Queue = queue.Queue()
        stop = threading.Event()

        # Meanwhile this thread only decodes CTranslate2's output, which reads no tokenizer state the
        # worker changes (M2M100/NLLB: the worker sets the source and target languages again, to the
        # values _ct2_submit set, and decoding reads neither).
        def constrained() -> None:  # the torch side, in a thread (torch releases the GIL in its kernels)
            try:
                for batch in self._torch(texts, on_torch, terms, src, tgt, options):
                    finished.put(batch)
                    if stop.is_set():
                        return
            except BaseException as exc:
                finished.put(exc)
            finally:
                finished.put(None)

        worker = threading.Thread(target=constrained, name="workbench-constrained", daemon=True)
        worker.start()
        try:
            torch_running = True
            while torch_running or pending:
                if pending and all(r.done() for r in pending[0][1]):
                    yield self._ct2_batch(rest, *pending.pop(0), tgt)
                    continue
                if not torch_running:
                    yield self._ct2_batch(rest, *pending.pop(0), tgt)  # waits for CTranslate2
                    continue
                try:
                    item = finished.get(timeout=0.02)
                except queue.Empty:
                    continue
                if item is None:
                    torch_running = False
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:  # the caller stopped early or failed: let the batch in progress end before release
            stop.set()
            worker.join()

    def _torch(self, texts, positions, terms, src, tgt, options: Decoding) -> Iterator[Batch]:
        """The int8 torch model on ``texts[i] for i in positions`` (constrained where terms are).

        The model is quantised here, on first use, rather than when loaded: quantising takes
        a noticeable part of a second, which the worker thread spends while CTranslate2 is already
        decoding, instead of holding back both engines and the first segment.
        """
        if not positions:
            return
        with self._quantize_lock:
            if self._quantize:
                with warnings.catch_warnings():  # torch marks these kernels for a future move to torchao
                    warnings.simplefilter("ignore")
                    self.base.model = torch.ao.quantization.quantize_dynamic(  # in place: no fp32 copy
                        self.base.model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
                    )
                self._quantize = False
        for batch in self.base.translate(
            [texts[i] for i in positions], src, tgt, constraints=[terms[i] for i in positions], **options
        ):
            batch.indices = [positions[i] for i in batch.indices]
            yield batch

    def _ct2_submit(self, texts, src, tgt, options: Decoding) -> list[tuple[list[int], list]]:
        """Start CTranslate2 on length-sorted batches; returns (positions, async results) per batch."""
        tokenizer = self.base.tokenizer
        prepared, kwargs = self.base.prepare(texts, src, tgt)
        encoded = tokenizer(prepared, truncation=True, max_length=512)["input_ids"]
        tokens = [tokenizer.convert_ids_to_tokens(ids) for ids in encoded]
        prefix = None
        if "forced_bos_token_id" in kwargs:  # M2M100 / NLLB: the target language token comes first
            prefix = [tokenizer.convert_ids_to_tokens([kwargs["forced_bos_token_id"]])]
        # The torch path's lengths are generate()'s new tokens: the forced language token counts, and
        # the end token only where the model forces it at the limit. CTranslate2's count the language
        # token (the prefix) and never the end token, which it appends.
        generation = self.base.model.generation_config
        forced_end = getattr(generation, "forced_eos_token_id", None) is not None
        limit = self.base.limit(options["max_length"]) - (1 if forced_end else 0)
        # generate() never emits the generation config's bad words. OPUS-MT's is the pad token, which
        # CTranslate2 has already removed from Marian vocabularies; others are suppressed here.
        pad = [tokenizer.pad_token_id]
        suppress = [list(w) for w in getattr(generation, "bad_words_ids", None) or [] if list(w) != pad]
        least = min(options["min_length"] or 0, limit)
        batch_size = options["batch_size"]
        order = sorted(range(len(texts)), key=lambda i: -len(tokens[i]))
        pending = []
        for start in range(0, len(order), batch_size):
            indices = order[start : start + batch_size]
            results = self.translator.translate_batch(
                [tokens[i] for i in indices],
                target_prefix=[prefix[0] for _ in indices] if prefix else None,
                beam_size=options["beam"],
                max_decoding_length=limit,
                min_decoding_length=least,
                max_batch_size=batch_size,
                suppress_sequences=[tokenizer.convert_ids_to_tokens(w) for w in suppress]
                if suppress
                else None,
                asynchronous=True,
            )
            pending.append((indices, results, None if forced_end else limit))
        return pending

    def _ct2_batch(
        self, positions: list[int], indices: list[int], results: list, open_end: int | None, tgt: str
    ) -> Batch:
        """Wait for one submitted batch and decode it; ``positions`` maps back to the caller's list.

        ``open_end``: the length at which a hypothesis stops without an end token (torch generates
        none there unless the model forces it), so token counts match the torch path's.
        """
        tokenizer = self.base.tokenizer
        out, counts = [], []
        for result in results:
            ids = tokenizer.convert_tokens_to_ids(result.result().hypotheses[0])
            counts.append(len(ids) + (0 if len(ids) == open_end else 1))  # the end token
            out.append(self.base.decode(ids, tgt))
        mapped = [positions[i] for i in indices]
        return Batch(mapped, out, counts, [set() for _ in indices], [set() for _ in indices])

    def release(self) -> None:
        self.translator = None
        self.base.release()


def default_compute_type(device: torch.device) -> str:
    """int8 weights either way; a GPU computes the rest in half precision, its fastest mode."""
    return "int8_float16" if device.type == "cuda" else "int8"


def load_fast(
    spec: ModelSpec,
    device: torch.device,
    *,
    cache_dir: str | Path | None = None,
    threads: int | None = None,
    compute_type: str | None = None,
    quantize_torch: bool = True,
) -> FastModel:
    """Load ``spec`` for the fast path (converting it to CTranslate2 on first use).

    Every kind the workbench loads converts: Marian (OPUS-MT), M2M100 and NLLB, whose target
    language token CTranslate2 receives as a one-token target prefix, as ``generate`` forces it.
    """
    compute_type = compute_type or default_compute_type(device)
    if compute_type not in COMPUTE_TYPES:
        raise LoadError(f"unknown compute type '{compute_type}' ({', '.join(COMPUTE_TYPES)})")
    base = load(spec, device, cache_dir=cache_dir, threads=threads)
    translator = _translator(base.folder, device, cache_dir, threads, compute_type)
    quantize = quantize_torch and device.type == "cpu"  # done on first use: see FastModel._torch
    return FastModel(base, translator, compute_type, threads or torch.get_num_threads(), quantize)


def quantization_of(compute_type: str) -> str:
    """The weights' type on disk: one int8 conversion serves every int8 compute type."""
    return "int8" if compute_type.startswith("int8") else compute_type


def _translator(source: Path, device: torch.device, cache_dir, threads, compute_type: str):
    """A CTranslate2 translator of the folder the torch model came from (for a Hub id: the
    workbench's copy of its commit, whose name ``org--model@commit`` names the conversion too)."""
    folder = converted(str(source), quantization_of(compute_type), cache_dir)
    # An unbounded queue: with the default one, submitting a long document's batches blocks until
    # most are decoded, and the constrained search would not start beside them.
    return ctranslate2.Translator(
        str(folder), device=device.type, compute_type=compute_type, intra_threads=threads or 0,
        max_queued_batches=-1,
    )  # fmt: skip
