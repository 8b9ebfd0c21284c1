"""Translation jobs: translation memory first, then MT, each finished segment stored at once.

A job is (documents × target languages). It runs language by language so each model is loaded once
and released before the next; each segment's translation is committed in its own transaction, so a
job killed at any moment resumes where it stopped without redoing or losing anything.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from . import checks, limits, tm
from .model import Document, Origin, Segment, Status
from .mt.engine import LoadedModel, load, pick_device
from .mt.registry import LoadError, ModelMap, ModelSpec, Step
from .store import Store
from .termmatch import Terminology

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
    backend: str = "torch"  # or "ctranslate2": the fast CPU path (workbench.mt.fast)
    compute_type: str | None = None  # CTranslate2's, for the fast path (None: int8, int8_float16 on CUDA)
    # Documents share batches up to this many batches' worth of segments (0: one document at a time);
    # see groups().
    group_batches: int = 4
    # A job claims (see Lease) this many batches' worth of a document's segments at a time: a second
    # job on the store takes the next part; a whole speech usually fits, so its batches are unchanged.
    lease_batches: int = 32

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
    elsewhere: int = 0  # left to another job that holds their lease (see Lease)
    seconds: float = 0.0
    target_tokens: int = 0
    first_segment_s: float | None = None
    started: float = field(default_factory=time.perf_counter, repr=False)  # the clock of first_segment_s

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
            log.info("loading %s (%s) on %s, %s", spec.model, spec.kind, self.device, self.options.backend)
            if self.options.backend == "ctranslate2":
                from .mt.fast import load_fast

                self.loaded[spec] = load_fast(  # type: ignore[assignment]
                    spec, self.device, cache_dir=self.options.cache_dir, threads=self.options.threads,
                    compute_type=self.options.compute_type,
                )  # fmt: skip
            else:
                self.loaded[spec] = load(
                    spec, self.device, cache_dir=self.options.cache_dir, threads=self.options.threads
                )
        return self.loaded[spec]

    def release(self) -> None:
        for model in self.loaded.values():
            model.release()
        self.loaded.clear()


class Lease:
    """This job's claim on the segments it translates (see :meth:`Store.claim`): two jobs on one store
    share the work instead of both doing all of it, and a job that dies frees its segments when its
    leases expire (``limits.LIMITS.lease_s``, renewed after each batch)."""

    def __init__(self, store: Store):
        self.store = store
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    def claim(self, segments: list[Segment], tgt: str) -> list[Segment]:
        self._free_the_dead()
        held = set(self.store.claim([s.id for s in segments], tgt, self.holder, limits.LIMITS.lease_s))  # type: ignore[arg-type]
        return [s for s in segments if s.id in held]

    def renew(self) -> None:
        self.store.renew(self.holder, limits.LIMITS.lease_s)

    def _free_the_dead(self) -> None:
        """Release the leases of jobs on this machine whose process is gone (killed, crashed): a job
        restarted at once resumes their segments instead of waiting for the leases to expire."""
        host = socket.gethostname()
        for holder in self.store.lease_holders():
            where, _, rest = holder.rpartition(":")[0].rpartition(":")
            if where == host and rest.isdigit() and not _alive(int(rest)):
                self.store.release(holder)

    def release(self) -> None:
        self.store.release(self.holder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True


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


@dataclass
class Group:
    """Documents machine-translated together into one language: one route, shared batches."""

    steps: list[Step]
    parts: list[tuple[_Job, list[Segment]]] = field(default_factory=list)

    @property
    def lead(self) -> _Job:
        """The parts' jobs differ only in their document and progress bar: any one speaks for all."""
        return self.parts[0][0]

    @property
    def todo(self) -> list[Segment]:
        return [s for _, todo in self.parts for s in todo]

    @property
    def engine(self) -> str:
        return " → ".join(s.spec.model for s in self.steps)

    def jobs(self) -> list[_Job]:
        """The job of each segment of :attr:`todo`."""
        return [job for job, todo in self.parts for _ in todo]

    def advance(self, positions: list[int]) -> None:
        """Move each document's progress by its segments among ``positions`` (indices into todo)."""
        part = [k for k, (_, todo) in enumerate(self.parts) for _ in todo]
        for k, count in Counter(part[i] for i in positions).items():
            advance = self.parts[k][0].advance
            if advance:
                advance(count)


def groups(
    store: Store,
    documents: list[Document],
    tgt: str,
    model_map: ModelMap,
    options: Options,
    stats: LangStats,
    progress: Callable[[str, int], Callable[[int], None]] | None,
    terminology: Terminology | None,
    lease: Lease | None = None,
) -> Iterator[Group]:
    """The documents' segments still to machine-translate into ``tgt``, in groups that share batches.

    Each document's translation memory pass runs as it is reached, and a document it completes is
    checked at once. Consecutive documents on the same route join a group until it holds
    ``options.group_batches`` batches' worth of segments: an archive of short statements fills whole
    length-sorted batches instead of one small batch per statement (``benchmarks/bench_archive.py``:
    30 four-sentence statements 1.9 times faster on the fast path, two CPU threads; a GPU, which one
    statement's batch leaves nearly idle, stands to gain more, unmeasured here), while a long
    document is still finished before the ones after it start. Both executors use the same groups,
    so they build the same batches.

    With a ``lease``, a document's segments are claimed ``options.lease_batches`` batches' worth at a
    time, just before they are translated (the translation memory pass included): segments another
    job holds are left to it (counted in ``stats.elsewhere``), those it finished meanwhile are not
    done again.
    """
    limit = options.group_batches * options.batch_size
    group: Group | None = None
    for document in documents:
        if document.lang == tgt:
            continue
        steps = model_map.route(document.lang, tgt)
        stats.segments += len(document.segments)
        todo = _todo(store, document.segments, tgt, options.force)
        stats.done_before += len(document.segments) - len(todo)
        advance = progress(f"{document.name} → {tgt}", len(todo)) if progress else None
        job = _Job(store, document.id, document.lang, tgt, terminology, stats, advance)  # type: ignore[arg-type]
        size = options.lease_batches * options.batch_size
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)] if lease and todo else [todo]
        for number, chunk in enumerate(chunks):
            if lease:
                mine = lease.claim(chunk, tgt)
                stats.elsewhere += len(chunk) - len(mine)
                chunk = _todo(store, mine, tgt, options.force)  # not what the other job did meanwhile
                stats.done_before += len(mine) - len(chunk)
            chunk = _from_tm(job, chunk)
            if not chunk:
                if number == len(chunks) - 1:
                    checks.refresh_consistency(store, document.id, tgt)  # type: ignore[arg-type]
                continue
            if group and group.steps != steps:
                yield group
                group = None
            group = group or Group(steps)
            group.parts.append((job, chunk))
            if len(group.todo) >= limit:
                yield group
                group = None
    if group:
        yield group


def translate_documents(
    store: Store,
    doc_ids: list[int],
    targets: list[str],
    model_map: ModelMap,
    options: Options,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    pool: ModelPool | None = None,
    terminology: Terminology | None = None,
) -> list[LangStats]:
    """Translate documents into ``targets``; returns per-language statistics.

    ``progress(label, total)`` returns a callback advanced by the number of segments finished.
    A ``pool`` passed in (models already loaded) stays the caller's: it is not released here.
    With ``terminology``, enforced glossary terms are forced into the MT, and every translation is
    stored with its QA flags (see :mod:`workbench.checks`).
    """
    documents = [store.document(d) for d in doc_ids]
    own_pool = pool is None
    pool = pool or ModelPool(options)
    lease = Lease(store)
    results: list[LangStats] = []
    # "--to all" names the source language too: only targets some document is not already in
    targets = [t for t in targets if any(d.lang != t for d in documents)]
    try:
        for tgt in targets:
            stats = LangStats(tgt)
            results.append(stats)
            for group in groups(
                store, documents, tgt, model_map, options, stats, progress, terminology, lease
            ):
                _from_mt(group, pool, options, lease)
                for doc_id in dict.fromkeys(job.doc_id for job, _ in group.parts):
                    checks.refresh_consistency(store, doc_id, tgt)
            stats.seconds = time.perf_counter() - stats.started
            log.info("%s: %s", tgt, stats)
    finally:
        lease.release()
        if own_pool:
            pool.release()
    return results


@dataclass
class _Job:
    """One document into one language: where results go and how they are checked."""

    store: Store
    doc_id: int
    src: str
    tgt: str
    terminology: Terminology | None
    stats: LangStats
    advance: Callable[[int], None] | None

    def save(
        self, segment: Segment, text: str, origin: Origin, engine: str, replace: bool, forced=()
    ) -> None:
        flags = checks.check(segment.text, text, self.src, self.tgt, self.terminology, forced)
        self.store.put_translation(
            segment.id,  # type: ignore[arg-type]
            self.tgt,
            text,
            origin=origin,
            status=Status.TRANSLATED,
            engine=engine,
            replace=replace,
            flags=flags,
        )
        if self.stats.first_segment_s is None:
            self.stats.first_segment_s = time.perf_counter() - self.stats.started

    def constraints(self, segments: list[Segment], lang: str) -> list[list[tuple[str, list[str]]]]:
        if self.terminology is None:
            return [[] for _ in segments]
        return [
            self.terminology.constraints(self.terminology.expectations(s.text, self.src, lang))
            for s in segments
        ]

    def forms(self, segments: list[Segment], lang: str) -> list[list[list[str]]]:
        """Per segment, the accepted forms of each enforced term in ``lang`` (what decoders take)."""
        return forms_of(self.constraints(segments, lang))


def forms_of(constraints: list[list[tuple[str, list[str]]]]) -> list[list[list[str]]]:
    """The decoders' view of :meth:`_Job.constraints`: per segment, each term's accepted forms."""
    return [[f for _, f in t] for t in constraints]


def _from_tm(job: _Job, todo: list[Segment]) -> list[Segment]:
    rest = []
    for segment in todo:
        match = tm.exact(job.store, segment.text, job.src, job.tgt, exclude_segment=segment.id)
        if match is None:
            rest.append(segment)
            continue
        job.save(segment, match, Origin.TM, "tm", replace=True)
        job.stats.from_tm += 1
        if job.advance:
            job.advance(1)
    return rest


def _from_mt(group: Group, pool: ModelPool, options: Options, lease: Lease) -> None:
    steps, lead, todo, jobs = group.steps, group.lead, group.todo, group.jobs()
    engine = group.engine
    store, stats = lead.store, lead.stats
    try:
        texts = through_pivots(
            pool, steps, [s.text for s in todo], pivots_from_store(store, todo, steps),
            [lead.forms(todo, step.tgt) for step in steps[:-1]], options,
        )  # fmt: skip
        last = steps[-1]
        model = pool.get(last.spec)
        terms = lead.constraints(todo, last.tgt)
        forms = forms_of(terms)
        for batch in model.translate(texts, last.src, last.tgt, constraints=forms, **options.decoding()):
            for n, i in enumerate(batch.indices):
                forced = {terms[i][c][0] for c in batch.forced[n]} if batch.forced else set()
                for c in batch.dropped[n] if batch.dropped else ():
                    log.warning(
                        "%s: the model cannot spell '%s' (%s)", last.spec.model, terms[i][c][1][0], lead.tgt
                    )
                jobs[i].save(todo[i], batch.texts[n], Origin.MT, engine, options.force, forced)
                stats.from_mt += 1
                stats.target_tokens += batch.target_tokens[n]
            group.advance(batch.indices)
            lease.renew()
    except LoadError:  # bad setup, not a failed segment: the job stops with its message
        raise
    except RuntimeError as exc:  # e.g. out of memory: the segments not stored stay to do
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        log.error("%s→%s with %s: %s", steps[0].src, lead.tgt, engine, reason)
        stats.failed += sum(1 for s in todo if store.translation(s.id, lead.tgt) is None)  # type: ignore[arg-type]


def translate_texts(
    texts: list[str], src: str, tgt: str, model_map: ModelMap, options: Options, pool: ModelPool | None = None
) -> list[str]:
    """Machine-translate sentences in memory (nothing stored): the aligner's view of a source."""
    own = pool is None
    pool = pool or ModelPool(options)
    try:
        for step in model_map.route(src, tgt):
            out = [""] * len(texts)
            for batch in pool.get(step.spec).translate(texts, step.src, step.tgt, **options.decoding()):
                for i, text in zip(batch.indices, batch.texts, strict=True):
                    out[i] = text
            texts = out
    finally:
        if own:
            pool.release()
    return texts


def pivots_from_store(store: Store, todo: list[Segment], steps: list[Step]) -> list[list[str | None]]:
    """Per pivot step (all but the last), the stored translation of each segment into its language
    (say, English), or None: a person's reviewed English beats a machine pivot, and a stored machine
    one saves translating it again."""
    out = []
    for step in steps[:-1]:
        stored = [store.translation(s.id, step.tgt) for s in todo]  # type: ignore[arg-type]
        out.append([t.text if t else None for t in stored])
    return out


def through_pivots(
    pool: ModelPool,
    steps: list[Step],
    texts: list[str],
    pivots: list[list[str | None]],
    forms: list[list[list[list[str]]]],
    options: Options,
) -> list[str]:
    """``texts`` carried through a route's pivot steps, ready for its last step.

    ``pivots`` (see :func:`pivots_from_store`) gives the known texts per step, used instead of MT;
    ``forms`` each segment's enforced terms in each pivot language. Both executors call this, so a
    local job and a Ray job build the same pivots.
    """
    for step, known, terms in zip(steps[:-1], pivots, forms, strict=True):
        out = list(known)
        missing = [i for i, t in enumerate(known) if t is None]
        if missing:
            model = pool.get(step.spec)
            for batch in model.translate(
                [texts[i] for i in missing], step.src, step.tgt, constraints=[terms[i] for i in missing],
                **options.decoding(),
            ):  # fmt: skip
                for j, text in zip(batch.indices, batch.texts, strict=True):
                    out[missing[j]] = text
        texts = [t or "" for t in out]
    return texts
