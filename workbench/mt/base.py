"""The one translator interface and the registry of the backends that provide it.

A job (:mod:`workbench.translate`) knows a model only as a :class:`Translator`: ``translate`` yields
:class:`~workbench.mt.engine.Batch` results as batches finish, ``release`` frees the memory. A backend
is a loader registered in :data:`BACKENDS` under the name ``--backend`` takes; the heavy libraries
(transformers, CTranslate2) are imported when a backend is first loaded, not before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypedDict, Unpack

from .registry import LoadError, ModelSpec

if TYPE_CHECKING:
    import torch

    from .engine import Batch


class Decoding(TypedDict, total=False):
    """How a translator decodes; what is not given is as in :data:`DECODING`."""

    beam: int
    max_length: int  # new tokens
    batch_size: int
    min_length: int | None  # fixes the output length together with max_length (benchmarks)


DECODING: Decoding = {"beam": 4, "max_length": 256, "batch_size": 16, "min_length": None}

# Per text, the terms it must contain, each a list of accepted forms.
Constraints = Sequence[Sequence[Sequence[str]]]


class Translator(Protocol):
    """A loaded model that translates one language pair at a time."""

    def translate(
        self, texts: Sequence[str], src: str, tgt: str, *, constraints: Constraints | None = None,
        **decoding: Unpack[Decoding],
    ) -> Iterator[Batch]:  # fmt: skip
        """``texts`` in batches, each yielded as it finishes with the positions it holds."""
        ...

    def release(self) -> None:
        """Free the model's memory (a job moves on to the next language)."""
        ...


# (spec, device, cache_dir, threads, compute_type) -> a loaded translator
Loader = Callable[["ModelSpec", "torch.device", "str | Path | None", "int | None", "str | None"], Translator]


def _torch(spec, device, cache_dir, threads, compute_type) -> Translator:
    """transformers' model with the workbench's constrained beam search (:mod:`.engine`)."""
    from .engine import load

    return load(spec, device, cache_dir=cache_dir, threads=threads)


def _ctranslate2(spec, device, cache_dir, threads, compute_type) -> Translator:
    """CTranslate2 for segments without enforced terms, int8 torch for the others (:mod:`.fast`)."""
    from .fast import load_fast

    return load_fast(spec, device, cache_dir=cache_dir, threads=threads, compute_type=compute_type)


BACKENDS: dict[str, Loader] = {"torch": _torch, "ctranslate2": _ctranslate2}


def load(
    backend: str,
    spec: ModelSpec,
    device: torch.device,
    *,
    cache_dir: str | Path | None = None,
    threads: int | None = None,
    compute_type: str | None = None,
) -> Translator:
    """Load ``spec`` with the named backend (``compute_type`` is for backends that have one)."""
    if backend not in BACKENDS:
        raise LoadError(f"unknown backend '{backend}' ({', '.join(BACKENDS)})")
    return BACKENDS[backend](spec, device, cache_dir, threads, compute_type)
