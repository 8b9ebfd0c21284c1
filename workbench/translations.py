"""The one way a translation is written: checked, versioned, by one overwrite rule, in one transaction.

Every writer goes through here: the MT job (local or on Ray) and its translation memory pass,
alignment, a reviewer's save and an XLIFF import (:func:`record`), and a merge or split of segments
(:func:`merge`, :func:`split`). So a stored text always carries the flags of its own QA checks
(:mod:`workbench.checks`), the in-document consistency check is current after every write, and a
person's work is kept by the store's one rule (:meth:`~workbench.store.Store.put_translation`).
This module runs no SQL: it calls store methods inside one store transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import checks
from .model import Flag, Origin, Status, Translation
from .store import Store
from .termmatch import Terminology

# Flags a writer sets beside the checks (alignment's), which re-checking a text keeps.
WRITER_CODES = ("alignment",)


@dataclass(frozen=True)
class Write:
    """One translation to store; see :meth:`~workbench.store.Store.put_translation` for the rule."""

    segment_id: int
    lang: str
    text: str
    origin: Origin
    status: Status = Status.TRANSLATED
    engine: str | None = None
    who: str | None = None
    confidence: float | None = None
    expected_version: int | None = None  # the version the writer read (0: none); None: any
    by_person: bool | None = None  # None: a person's when the text is (origin human, reviewed …)
    forced: frozenset[str] = frozenset()  # concept ids the decoder forced against the model
    notes: tuple[Flag, ...] = ()  # the writer's own flags, stored beside the checks
    source: str | None = None  # what the text translates when more than its segment (a bead)
    checked: bool = True  # False: not a translation of its segment alone (merged by alignment)


def record(
    store: Store, writes: Sequence[Write], terminology: Terminology | None = None
) -> list[Translation | None]:
    """Check and store ``writes``, then refresh the consistency flags of their documents, all in one
    transaction. Returns per write the stored translation, or None where the rule kept what was there;
    a person's write on a stale version raises :class:`~workbench.store.ConflictError` and stores
    nothing of the call."""
    saved: list[Translation | None] = []
    touched: dict[tuple[int, str], None] = {}
    with store.transaction():
        for w in writes:
            source, src, doc_id = store.segment_source(w.segment_id)
            flags = list(w.notes)
            if w.checked:
                flags += checks.check(w.source or source, w.text, src, w.lang, terminology, w.forced)
            saved.append(
                store.put_translation(
                    w.segment_id, w.lang, w.text, origin=w.origin, status=w.status, engine=w.engine,
                    who=w.who, expected_version=w.expected_version, by_person=w.by_person, flags=flags,
                    confidence=w.confidence,
                )
            )  # fmt: skip
            touched[(doc_id, w.lang)] = None
        for doc_id, lang in touched:
            refresh_consistency(store, doc_id, lang)
    return saved


def recheck(store: Store, translations: Iterable[Translation], terminology: Terminology | None) -> None:
    """Check stored texts again (a glossary changed, a source was merged or split), in one
    transaction with the consistency check of their documents. Terms the decoder forced stay marked
    forced, and a writer's own flags (alignment's) stay."""
    touched: dict[tuple[int, str], None] = {}
    with store.transaction():
        updates = {}
        for t in translations:
            source, src, doc_id = store.segment_source(t.segment_id)
            old = store.flags(t.id)  # type: ignore[arg-type]
            forced = {f.concept for f in old if f.mark == "forced" and f.concept}
            kept = [f for f in old if f.code in WRITER_CODES]
            updates[t.id] = kept + checks.check(source, t.text, src, t.lang, terminology, forced)
            touched[(doc_id, t.lang)] = None
        store.set_flags_many(updates)  # type: ignore[arg-type]
        for doc_id, lang in touched:
            refresh_consistency(store, doc_id, lang)


def merge(
    store: Store,
    segment_id: int,
    *,
    who: str | None,
    terminology: Terminology | None = None,
    lang: str | None = None,
    seen: Sequence[tuple[int, str, int]] = (),
) -> int:
    """Merge a segment with the next one (:meth:`~workbench.store.Store.merge_segments`, refused if
    ``seen`` in ``lang`` is not what the store holds) and check the joined translations against the
    joined source, in one transaction."""
    with store.transaction():
        store.merge_segments(segment_id, who=who, lang=lang, seen=seen)
        recheck(store, store.segment_translations(segment_id), terminology)
    return segment_id


def split(
    store: Store,
    segment_id: int,
    offset: int,
    *,
    terminology: Terminology | None = None,
    lang: str | None = None,
    seen: Sequence[tuple[int, str, int]] = (),
) -> tuple[int, int]:
    """Split a segment (:meth:`~workbench.store.Store.split_segment`, refused if ``seen`` in ``lang``
    is not what the store holds) and check its translations, which stay with the first part, against
    that part, in one transaction."""
    with store.transaction():
        ids = store.split_segment(segment_id, offset, lang=lang, seen=seen)
        recheck(store, store.segment_translations(segment_id), terminology)
    return ids


def refresh_consistency(store: Store, doc_id: int, lang: str) -> None:
    """Flag the segments of a document whose identical sources are translated in different ways,
    rewriting only the flags that change (a job calls this after every batch)."""
    rows = store.consistency_rows(doc_id, lang)
    flagged = checks.inconsistent((sid, source, target) for sid, source, _, target, _ in rows)
    changes = {}
    for sid, _, tid, _, message in rows:
        flag = flagged.get(sid)
        if (flag.message if flag else None) != message:
            changes[tid] = [flag] if flag else []
    if changes:
        store.set_flags_many(changes, codes=("inconsistent",))
