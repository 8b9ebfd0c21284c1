"""Batch translation on a Ray cluster, with the guarantees of the local job.

The driver (the machine running ``workbench translate --executor ray``) owns the store and runs the
local job's loop (:func:`workbench.translate.run_job`): the same groups, units, checks and writes.
Ray supplies only how a unit runs (:func:`ray_executor`): on actors that each keep their models loaded
(:class:`~workbench.translate.ModelPool`), all units at once. Each unit's batches come back to the
driver, which stores them as the local job does, a unit in one transaction whose writes expect
nothing stored (without ``--force``): a unit is stored whole or not at all, and a unit finished
twice (a retried task) is stored once. A resumed job neither repeats nor loses work, as with the
local executor.

Fault tolerance is Ray's: actors restart when their process dies (``max_restarts``) and the task
that was running is retried (``max_task_retries``). A driver that dies leaves the store as it was
after the last unit written; run the job again to resume.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from .mt.engine import Batch
from .translate import Executor, ModelPool, Options, Unit, run_unit


class Worker:
    """The body of a Ray actor: models stay loaded between units."""

    def __init__(self, options: Options):
        self.options = options
        self.pool = ModelPool(options)

    def pid(self) -> int:
        return os.getpid()

    def run(self, unit: Unit) -> list[Batch]:
        """The unit run as :func:`~workbench.translate.run_unit` runs it locally, its batches joined
        into one: the driver stores a unit whole or not at all."""
        batches = list(run_unit(self.pool, unit, self.options))
        return [
            Batch(
                [i for b in batches for i in b.indices],
                [t for b in batches for t in b.texts],
                [n for b in batches for n in b.target_tokens],
                [f for b in batches for f in b.forced or [set() for _ in b.indices]],
                [d for b in batches for d in b.dropped or [set() for _ in b.indices]],
            )
        ]


@contextmanager
def ray_executor(
    options: Options, *, address: str | None = None, workers: int = 2, gpus_per_worker: float = 0
) -> Iterator[Executor]:
    """How units run on a Ray cluster (``address``: ``auto``, ``HOST:PORT``, or None for a local
    instance), for :func:`workbench.translate.run_job`; the workers end with the block."""
    import ray
    from ray.util import ActorPool

    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
    actor = ray.remote(num_cpus=1, num_gpus=gpus_per_worker, max_restarts=-1, max_task_retries=-1)(Worker)
    actors = [actor.remote(options) for _ in range(workers)]
    pool = ActorPool(actors)

    def execute(units: Iterable[Unit]) -> Iterator[Iterable[Batch]]:
        submitted = 0
        for unit in units:  # every unit is handed out before the first result is waited for
            pool.submit(lambda a, u: a.run.remote(u), unit)
            submitted += 1
        for _ in range(submitted):
            yield _next_result(pool)

    try:
        yield execute
    finally:
        for a in actors:
            ray.kill(a)


def _next_result(pool) -> Iterator[Batch]:
    """The next unit's batches, waited for when read: a worker's error then raises inside the job
    loop as itself (not Ray's wrapper), so it is handled and logged as a local one."""
    from ray.exceptions import RayTaskError

    try:
        batches = pool.get_next()
    except RayTaskError as exc:
        if isinstance(exc.cause, Exception):
            raise exc.cause from None
        raise
    yield from batches
