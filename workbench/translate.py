"""Translation jobs: translation memory first, then MT, each finished segment stored at once.

A job is (documents × target languages). It runs language by language so each model is loaded once
and released before the next; each segment's translation is committed in its own transaction, so a
job killed at any moment resumes where it stopped without redoing or losing anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from .model import Origin, Segment, Status
from .mt.engine import LoadedModel, load, pick_device
from .mt.registry import LoadError, ModelMap, ModelSpec, Step
from .store import Store

log = logging.getLogger("workbench.translate")

# Statuses a --force run may overwrite: a person's reviewed or approved work is never redone.
REDOABLE = (Status.DRAFT, Status.TRANSLATED)


@dataclass
class Options:
    beam: int = 4
    batch_size: int = 16
    max_length: int = 256
    device: str | None = None
    threads: int | None = None
    cache_dir: str | None = None
    force: bool = False
    keep_models: bool = False  # keep every model loaded for the whole job
    min_length: int | None = None  # fixes the output length together with max_length (benchmarks)

    def decoding(self) -> dict:
        """The arguments of :meth:`~workbench.mt.engine.LoadedModel.translate` these options set."""
        return {
            "beam": self.beam,
            "max_length": self.max_length,
            "batch_size": self.batch_size,
            "min_length": self.min_length,
        }


@dataclass
class LangStats:
    """What a job did for one target language (all documents together)."""

    lang: str
    segments: int = 0
    done_before: int = 0
    from_tm: int = 0
    from_mt: int = 0
    failed: int = 0
    seconds: float = 0.0
    target_tokens: int = 0
    first_segment_s: float | None = None

    @property
    def tokens_per_s(self) -> float:
        return self.target_tokens / self.seconds if self.seconds else 0.0


class ModelPool:
    """Loads models on first use; holds one at a time unless ``keep`` (pivot steps reload)."""

    def __init__(self, options: Options):
        self.options = options
        self.device = pick_device(options.device)
        self.loaded: dict[ModelSpec, LoadedModel] = {}

    def get(self, spec: ModelSpec) -> LoadedModel:
        if spec not in self.loaded:
            if not self.options.keep_models:
                self.release()
            log.info("loading %s (%s) on %s", spec.model, spec.kind, self.device)
            self.loaded[spec] = load(
                spec, self.device, cache_dir=self.options.cache_dir, threads=self.options.threads
            )
        return self.loaded[spec]

    def release(self) -> None:
        for model in self.loaded.values():
            model.release()
        self.loaded.clear()


def tm_lookup(store: Store, segment_id: int, text: str, src: str, tgt: str) -> str | None:
    """The latest approved translation into ``tgt`` of the same source text in another segment."""
    row = store.db.execute(
        "SELECT t.text FROM segments s JOIN documents d ON d.id = s.document_id"
        " JOIN translations t ON t.segment_id = s.id"
        " WHERE s.text = ? AND d.lang = ? AND t.lang = ? AND t.status = 'approved' AND s.id != ?"
        " ORDER BY t.updated_at DESC, t.id DESC LIMIT 1",
        (text, src, tgt, segment_id),
    ).fetchone()
    return row["text"] if row else None


def _todo(store: Store, segments: list[Segment], tgt: str, force: bool) -> list[Segment]:
    todo = []
    for segment in segments:
        existing = store.translation(segment.id, tgt)  # type: ignore[arg-type]
        if existing is None or (force and existing.status in REDOABLE and existing.origin != Origin.HUMAN):
            todo.append(segment)
    return todo


def check_routes(store: Store, doc_ids: list[int], targets: list[str], model_map: ModelMap) -> None:
    """Raise :class:`~workbench.mt.registry.ModelMapError` now for any pair the map cannot serve."""
    sources = {store.document_lang(d) for d in doc_ids}
    for src in sources:
        for tgt in targets:
            if src != tgt:
                model_map.route(src, tgt)


def translate_documents(
    store: Store,
    doc_ids: list[int],
    targets: list[str],
    model_map: ModelMap,
    options: Options,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    pool: ModelPool | None = None,
) -> list[LangStats]:
    """Translate documents into ``targets``; returns per-language statistics.

    ``progress(label, total)`` returns a callback advanced by the number of segments finished.
    A ``pool`` passed in (models already loaded) stays the caller's: it is not released here.
    """
    documents = [store.document(d) for d in doc_ids]
    own_pool = pool is None
    pool = pool or ModelPool(options)
    results: list[LangStats] = []
    # "--to all" names the source language too: only targets some document is not already in
    targets = [t for t in targets if any(d.lang != t for d in documents)]
    try:
        for tgt in targets:
            stats = LangStats(tgt)
            results.append(stats)
            started = time.perf_counter()
            for document in documents:
                if document.lang == tgt:
                    continue
                steps = model_map.route(document.lang, tgt)
                segments = document.segments
                stats.segments += len(segments)
                todo = _todo(store, segments, tgt, options.force)
                stats.done_before += len(segments) - len(todo)
                advance = progress(f"{document.name} → {tgt}", len(todo)) if progress else None
                todo = _from_tm(store, todo, document.lang, tgt, stats, started, advance)
                if todo:
                    _from_mt(store, pool, steps, todo, tgt, options, stats, started, advance)
            stats.seconds = time.perf_counter() - started
            log.info("%s: %s", tgt, stats)
    finally:
        if own_pool:
            pool.release()
    return results


def _mark_first(stats: LangStats, started: float) -> None:
    if stats.first_segment_s is None:
        stats.first_segment_s = time.perf_counter() - started


def _from_tm(store, todo, src, tgt, stats, started, advance) -> list[Segment]:
    rest = []
    for segment in todo:
        match = tm_lookup(store, segment.id, segment.text, src, tgt)
        if match is None:
            rest.append(segment)
            continue
        store.put_translation(
            segment.id, tgt, match, origin=Origin.TM, status=Status.TRANSLATED, engine="tm", replace=True
        )
        stats.from_tm += 1
        _mark_first(stats, started)
        if advance:
            advance(1)
    return rest


def _from_mt(store, pool, steps: list[Step], todo, tgt, options: Options, stats, started, advance):
    engine = " → ".join(s.spec.model for s in steps)
    try:
        texts = [s.text for s in todo]
        for step in steps[:-1]:  # pivot: translate into the pivot language in memory first
            pivot = _pivot_from_store(store, todo, step.tgt)
            missing = [i for i, t in enumerate(pivot) if t is None]
            model = pool.get(step.spec)
            pending = [texts[i] for i in missing]
            for batch in model.translate(pending, step.src, step.tgt, **options.decoding()):
                for j, text in zip(batch.indices, batch.texts, strict=True):
                    pivot[missing[j]] = text
            texts = [t or "" for t in pivot]
        last = steps[-1]
        model = pool.get(last.spec)
        for batch in model.translate(texts, last.src, last.tgt, **options.decoding()):
            for i, text, tokens in zip(batch.indices, batch.texts, batch.target_tokens, strict=True):
                store.put_translation(
                    todo[i].id,
                    tgt,
                    text,
                    origin=Origin.MT,
                    status=Status.TRANSLATED,
                    engine=engine,
                    replace=options.force,
                )
                stats.from_mt += 1
                stats.target_tokens += tokens
                _mark_first(stats, started)
            if advance:
                advance(len(batch.indices))
    except LoadError:  # bad setup, not a failed segment: the job stops with its message
        raise
    except RuntimeError as exc:  # e.g. out of memory: the segments not stored stay to do
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        log.error("%s→%s with %s: %s", steps[0].src, tgt, engine, reason)
        stats.failed += sum(1 for s in todo if store.translation(s.id, tgt) is None)


def _pivot_from_store(store: Store, todo: list[Segment], lang: str) -> list[str | None]:
    """Reuse stored translations into the pivot language (say, English) where they exist."""
    out: list[str | None] = []
    for segment in todo:
        existing = store.translation(segment.id, lang)  # type: ignore[arg-type]
        out.append(existing.text if existing else None)
    return out
