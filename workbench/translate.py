"""Translation jobs: translation memory first, then MT, each finished batch stored at once.

A job is (documents × target languages). It runs language by language so each model is loaded once
and released before the next; each batch of translations is committed in its own transaction
(:func:`workbench.translations.record`), so a job killed at any moment resumes where it stopped
without redoing or losing anything. :func:`run_job` is the one job loop: the local executor and the
Ray one (:mod:`workbench.distributed`) differ only in how a work unit runs.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from . import limits, tm, translations
from .model import Document, Origin, Segment
from .mt import base
from .mt.engine import Batch, pick_device
from .mt.registry import LoadError, ModelMap, ModelSpec, Step
from .store import Store
from .termmatch import Terminology

log = logging.getLogger("workbench.translate")


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

    @property
    def expected_version(self) -> int | None:
        """What a job's writes expect to find stored: nothing, or with ``force`` whatever is there
        (a person's work is kept either way: see :meth:`~workbench.store.Store.put_translation`)."""
        return None if self.force else 0

    def decoding(self) -> base.Decoding:
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
        self.loaded: dict[ModelSpec, base.Translator] = {}

    def get(self, spec: ModelSpec) -> base.Translator:
        if spec not in self.loaded:
            if not self.options.keep_models:
                self.release()
            log.info("loading %s (%s) on %s, %s", spec.model, spec.kind, self.device, self.options.backend)
            self.loaded[spec] = base.load(
                self.options.backend, spec, self.device, cache_dir=self.options.cache_dir,
                threads=self.options.threads, compute_type=self.options.compute_type,
            )  # fmt: skip
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
        if existing is None or (force and not existing.persons_work):
            todo.append(segment)
    return todo


def check_routes(store: Store, doc_ids: list[int], targets: list[str], model_map: ModelMap) -> list[Step]:
    """Raise :class:`~workbench.mt.registry.ModelMapError` now for any pair the map cannot serve;
    returns the steps the job will take."""
    sources = {store.document_lang(d) for d in doc_ids}
    steps = []
    for src in sorted(sources):
        for tgt in targets:
            if src != tgt:
                steps.extend(model_map.route(src, tgt))
    return steps


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
        return " → ".join(s.spec.label for s in self.steps)  # a Hub model with its commit

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

    Each document's translation memory pass runs (and is stored) as it is reached. Consecutive
    documents on the same route join a group until it holds
    ``options.group_batches`` batches' worth of segments: an archive of short statements fills whole
    length-sorted batches instead of one small batch per statement (``benchmarks/bench_archive.py``
    measures the gain; a GPU, which one statement's batch leaves nearly idle, stands to gain most),
    while a long
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
        for chunk in chunks:
            if lease:
                mine = lease.claim(chunk, tgt)
                stats.elsewhere += len(chunk) - len(mine)
                chunk = _todo(store, mine, tgt, options.force)  # not what the other job did meanwhile
                stats.done_before += len(mine) - len(chunk)
            chunk = _from_tm(job, chunk, options)
            if not chunk:
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
    """Translate documents into ``targets`` in this process; returns per-language statistics.

    ``progress(label, total)`` returns a callback advanced by the number of segments finished.
    A ``pool`` passed in (models already loaded) stays the caller's: it is not released here.
    With ``terminology``, enforced glossary terms are forced into the MT, and every translation is
    stored with its QA flags (see :mod:`workbench.checks`).
    """
    own_pool = pool is None
    models = pool or ModelPool(options)

    def execute(units: Iterable[Unit]) -> Iterator[Iterable[Batch]]:
        for unit in units:
            yield run_unit(models, unit, options)

    try:
        return run_job(store, doc_ids, targets, model_map, options, execute, progress, terminology)
    finally:
        if own_pool:
            models.release()


@dataclass
class Unit:
    """A group's machine translation: what running it needs and nothing it would have to look up, so
    a Ray worker without the store runs it as the local job does."""

    texts: list[str]
    steps: list[Step]
    constraints: list[list[list[str]]]  # per segment: each enforced term's forms in the target language
    pivot_constraints: list[list[list[list[str]]]]  # the same per pivot step (say, English)
    pivots: list[list[str | None]]  # per pivot step, stored translations used instead of MT


def run_unit(pool: ModelPool, unit: Unit, options: Options) -> Iterator[Batch]:
    """How a unit runs, in this process or in a Ray worker: its pivot steps, then the last step's
    batches as each finishes."""
    texts = through_pivots(pool, unit.steps, unit.texts, unit.pivots, unit.pivot_constraints, options)
    last = unit.steps[-1]
    model = pool.get(last.spec)
    yield from model.translate(texts, last.src, last.tgt, constraints=unit.constraints, **options.decoding())


# Runs units in order and yields, per unit, its batches (an error raises while they are read).
Executor = Callable[[Iterable[Unit]], Iterator[Iterable[Batch]]]


def run_job(
    store: Store,
    doc_ids: list[int],
    targets: list[str],
    model_map: ModelMap,
    options: Options,
    execute: Executor,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    terminology: Terminology | None = None,
) -> list[LangStats]:
    """The job loop of both executors: the groups of each language (translation memory first), a
    unit per group run by ``execute``, and each batch that comes back checked and stored with the
    same guarantees, whichever executor ran it."""
    documents = [store.document(d) for d in doc_ids]
    lease = Lease(store)
    # "--to all" names the source language too: only targets some document is not already in
    targets = [t for t in targets if any(d.lang != t for d in documents)]
    results: list[LangStats] = []
    running: deque[tuple[Group, list[list[tuple[str, list[str]]]]]] = deque()

    def units() -> Iterator[Unit]:
        for tgt in targets:
            stats = LangStats(tgt)
            results.append(stats)
            for group in groups(
                store, documents, tgt, model_map, options, stats, progress, terminology, lease
            ):
                todo, lead = group.todo, group.lead
                terms = lead.constraints(todo, tgt)
                running.append((group, terms))
                yield Unit(
                    [s.text for s in todo], group.steps, forms_of(terms),
                    [lead.forms(todo, step.tgt) for step in group.steps[:-1]],
                    pivots_from_store(store, todo, group.steps),
                )  # fmt: skip
            stats.seconds = time.perf_counter() - stats.started

    try:
        for batches in execute(units()):
            group, terms = running.popleft()
            _store_unit(group, terms, batches, options, lease)
    finally:
        lease.release()
    for stats in results:
        log.info("%s: %s", stats.lang, stats)
    return results


def _store_unit(
    group: Group,
    terms: list[list[tuple[str, list[str]]]],
    batches: Iterable[Batch],
    options: Options,
    lease: Lease,
) -> None:
    """Store a unit's batches as they come, each in one transaction, renewing the job's lease; a
    RuntimeError (out of memory, say) ends the unit, and its segments not stored stay to do."""
    lead, todo, last = group.lead, group.todo, group.steps[-1]
    stats, done = lead.stats, 0
    try:
        for batch in batches:
            writes = []
            for n, i in enumerate(batch.indices):
                for c in batch.dropped[n] if batch.dropped else ():
                    log.warning(
                        "%s: the model cannot spell '%s' (%s)", last.spec.model, terms[i][c][1][0], lead.tgt
                    )
                forced = frozenset(terms[i][c][0] for c in batch.forced[n]) if batch.forced else frozenset()
                writes.append(
                    translations.Write(
                        todo[i].id, lead.tgt, batch.texts[n], Origin.MT, engine=group.engine,  # type: ignore[arg-type]
                        expected_version=options.expected_version, forced=forced,
                    )
                )  # fmt: skip
            translations.record(lead.store, writes, lead.terminology)
            done += len(writes)
            stats.from_mt += len(writes)
            stats.target_tokens += sum(batch.target_tokens)
            lead.started_one()
            group.advance(batch.indices)
            lease.renew()
    except LoadError:  # bad setup, not a failed segment: the job stops with its message
        raise
    except RuntimeError as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        log.error("%s→%s with %s: %s", group.steps[0].src, lead.tgt, group.engine, reason)
        stats.failed += len(todo) - done
    stats.seconds = time.perf_counter() - stats.started


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

    def started_one(self) -> None:
        """Note the time to the first stored segment."""
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


def _from_tm(job: _Job, todo: list[Segment], options: Options) -> list[Segment]:
    """Store exact translation memory matches (one transaction); the segments left for MT."""
    rest, writes = [], []
    for segment in todo:
        match = tm.exact(job.store, segment.text, job.src, job.tgt, exclude_segment=segment.id)
        if match is None:
            rest.append(segment)
        else:
            writes.append(
                translations.Write(
                    segment.id, job.tgt, match, Origin.TM, engine="tm",  # type: ignore[arg-type]
                    expected_version=options.expected_version,
                )
            )  # fmt: skip
    if writes:
        translations.record(job.store, writes, job.terminology)
        job.stats.from_tm += len(writes)
        job.started_one()
        if job.advance:
            job.advance(len(writes))
    return rest


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
