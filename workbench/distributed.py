"""Batch translation on a Ray cluster, with the guarantees of the local job.

The driver (the machine running ``workbench translate --executor ray``) owns the store. It splits the
job into work units — the segments still to do after the translation memory of a group of documents
into one language (:func:`workbench.translate.groups`, the local job's batches) — and hands them to Ray
actors that each keep their models loaded (:class:`~workbench.translate.ModelPool`). Every unit's
results come back to the driver, which checks them and writes them in one transaction; a unit is
written whole or not at all, and ``replace=False`` means a unit finished twice (a retried task) is
stored once. So a resumed job neither repeats nor loses work, as with the local executor.

Fault tolerance is Ray's: actors restart when their process dies (``max_restarts``) and the task
that was running is retried (``max_task_retries``). A driver that dies leaves the store as it was
after the last unit written; run the job again to resume.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import checks
from .model import Origin, Status
from .mt.registry import ModelMap, Step
from .store import Store
from .termmatch import Terminology
from .translate import LangStats, ModelPool, Options, forms_of, groups, pivots_from_store, through_pivots

log = logging.getLogger("workbench.distributed")


@dataclass
class Unit:
    """A group of documents into one language: what a worker needs, nothing it would have to look up."""

    tgt: str
    texts: list[str]
    steps: list[Step]
    constraints: list[list[list[str]]]  # per segment: each enforced term's forms in the target language
    pivot_constraints: list[list[list[list[str]]]]  # the same per pivot step (say, English)
    pivots: list[list[str | None]]  # per pivot step, stored translations used instead of MT


class Worker:
    """The body of a Ray actor: models stay loaded between units."""

    def __init__(self, options: Options):
        self.options = options
        self.pool = ModelPool(options)

    def pid(self) -> int:
        return os.getpid()

    def run(self, unit: Unit) -> list[tuple[int, str, int, set[int]]]:
        """(position in the unit, translation, target tokens, constraints forced) per segment."""
        texts = through_pivots(
            self.pool, unit.steps, unit.texts, unit.pivots, unit.pivot_constraints, self.options
        )
        last = unit.steps[-1]
        model = self.pool.get(last.spec)
        results = []
        for batch in model.translate(texts, last.src, last.tgt, constraints=unit.constraints,
                                     **self.options.decoding()):  # fmt: skip
            for n, i in enumerate(batch.indices):
                results.append(
                    (i, batch.texts[n], batch.target_tokens[n], batch.forced[n] if batch.forced else set())
                )
        return results


def translate_documents_ray(
    store: Store,
    doc_ids: list[int],
    targets: list[str],
    model_map: ModelMap,
    options: Options,
    progress: Callable[[str, int], Callable[[int], None]] | None = None,
    terminology: Terminology | None = None,
    *,
    address: str | None = None,
    workers: int = 2,
    gpus_per_worker: float = 0,
) -> list[LangStats]:
    """:func:`workbench.translate.translate_documents` on a Ray cluster (``address``: ``auto``,
    ``HOST:PORT``, or None for a local instance)."""
    import ray
    from ray.util import ActorPool

    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
    actor = ray.remote(num_cpus=1, num_gpus=gpus_per_worker, max_restarts=-1, max_task_retries=-1)(Worker)
    actors = [actor.remote(options) for _ in range(workers)]
    documents = [store.document(d) for d in doc_ids]
    targets = [t for t in targets if any(d.lang != t for d in documents)]
    stats = {t: LangStats(t) for t in targets}
    started = time.perf_counter()
    work = []  # (unit, its group, each segment's enforced terms)
    for tgt in targets:
        for group in groups(store, documents, tgt, model_map, options, stats[tgt], progress, terminology):
            todo, lead = group.todo, group.lead
            terms = lead.constraints(todo, tgt)
            unit = Unit(
                tgt, [s.text for s in todo], group.steps, forms_of(terms),
                [lead.forms(todo, step.tgt) for step in group.steps[:-1]],
                pivots_from_store(store, todo, group.steps),
            )  # fmt: skip
            work.append((unit, group, terms))
    pool = ActorPool(actors)
    finished = pool.map(lambda a, u: a.run.remote(u), [unit for unit, _, _ in work])
    for (unit, group, terms), results in zip(work, finished, strict=True):
        todo, lead = group.todo, group.lead
        items = []
        for i, text, _tokens, forced_ids in results:
            forced = {terms[i][c][0] for c in forced_ids}
            flags = checks.check(todo[i].text, text, lead.src, lead.tgt, terminology, forced)
            items.append({"segment_id": todo[i].id, "lang": unit.tgt, "text": text, "origin": Origin.MT,
                          "status": Status.TRANSLATED, "engine": group.engine, "replace": options.force,
                          "flags": flags})  # fmt: skip
        store.put_translations(items)  # the unit whole, or nothing
        for job, _ in group.parts:
            checks.refresh_consistency(store, job.doc_id, unit.tgt)
        st = lead.stats
        st.from_mt += len(results)
        st.target_tokens += sum(r[2] for r in results)
        if st.first_segment_s is None:
            st.first_segment_s = time.perf_counter() - started
        group.advance([r[0] for r in results])
    elapsed = time.perf_counter() - started
    for st in stats.values():
        st.seconds = elapsed
    for a in actors:
        ray.kill(a)
    return list(stats.values())
