"""A reviewer's save: the same checks as machine output, the same conflict rules, one transaction.

The review interface and any script that edits translations call :func:`save`; nothing else writes a
person's text, so every human edit is re-checked (terms, numbers, …) and versioned.
"""

from __future__ import annotations

from . import checks
from .model import Origin, Status, Translation
from .store import Store
from .termmatch import Terminology
from .translate import refresh_consistency


def save(
    store: Store,
    segment_id: int,
    lang: str,
    text: str,
    *,
    who: str | None,
    status: Status = Status.REVIEWED,
    expected_version: int | None = None,
    terminology: Terminology | None = None,
) -> Translation:
    """Store a person's translation with its QA flags; :class:`~workbench.store.ConflictError` if
    someone saved a newer version since ``expected_version`` was read."""
    source, src, doc_id = store.segment_source(segment_id)
    flags = checks.check(source, text, src, lang, terminology)
    current = store.translation(segment_id, lang)
    unchanged = current is not None and current.text == text  # a confirmation keeps where it came from
    saved = store.put_translation(
        segment_id,
        lang,
        text,
        origin=current.origin if unchanged else Origin.HUMAN,  # type: ignore[union-attr]
        status=status,
        engine=current.engine if unchanged else None,  # type: ignore[union-attr]
        who=who,
        expected_version=expected_version,
        flags=flags,
        confidence=current.confidence if unchanged else None,  # type: ignore[union-attr]
    )
    refresh_consistency(store, doc_id, lang)
    return saved
