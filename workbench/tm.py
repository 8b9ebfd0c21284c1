"""Translation memory: imported TMX files and the store's approved work, looked up exactly or fuzzily.

Exact matches (same source text, whitespace aside) are reused by ``translate`` before any MT. Fuzzy
matches are scored the way CAT tools show them: 100 % minus the edit distance in words (characters
for Chinese) relative to the longer sentence; candidates come from an FTS5 trigram index first, so a
memory of millions of units stays fast.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import regex
from rapidfuzz.distance import Levenshtein

from . import langs, tmx
from .store import Store

_WORDS = regex.compile(r"\w+|[^\w\s]")


def key(text: str) -> str:
    """What an exact match compares: NFC, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Match:
    score: float  # 0-100
    source: str
    target: str
    origin: str  # memory name, or "store"


@dataclass(frozen=True)
class ImportResult:
    memory_id: int
    units: int
    variants: int
    skipped: int
    already: bool = False


def import_tmx(store: Store, path: str | Path, name: str | None = None) -> ImportResult:
    """Read ``path`` completely, then store it in one transaction (all of it or nothing).

    A file imported before (same bytes) is not imported twice.
    """
    path = Path(path)
    units, skipped = tmx.read(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    found = store.memory_id(digest)
    if found is not None:
        return ImportResult(found, len(units), 0, skipped, already=True)
    kept = [
        (unit.tuid, unit.note, [(lang, text, key(text)) for lang, text in unit.variants.items()])
        for unit in units
        if len(unit.variants) >= 2
    ]
    memory_id = store.add_memory(name or path.stem, str(path), digest, kept)
    return ImportResult(memory_id, len(units), sum(len(v) for _, _, v in kept), skipped)


def exact(store: Store, text: str, src: str, tgt: str, exclude_segment: int | None = None) -> str | None:
    """The newest reusable translation of exactly ``text``: approved work in the store first, then
    imported memories."""
    found = store.approved_translation(text, src, tgt, exclude_segment)
    return found if found is not None else store.memory_translation(key(text), src, tgt)


def _tokens(text: str, lang: str) -> list[str]:
    text = key(text).casefold()
    return list(text.replace(" ", "")) if not langs.get(lang).spaced else _WORDS.findall(text)


def similarity(a: str, b: str, lang: str) -> float:
    """Match percentage of ``b`` against ``a`` (100 = identical words, case and spacing aside)."""
    return 100.0 * Levenshtein.normalized_similarity(_tokens(a, lang), _tokens(b, lang))


def fuzzy(
    store: Store, text: str, src: str, tgt: str, *, limit: int = 5, minimum: float = 50.0
) -> list[Match]:
    """The best memory matches for ``text``, best first (imported memories and approved store work)."""
    grams = {g for g in (key(text)[i : i + 3] for i in range(max(len(key(text)) - 2, 0))) if g.strip()}
    candidates: dict[tuple[str, str], str] = {}
    if grams:
        query = " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))
        for source, target, name in store.memory_candidates(query, src, tgt):
            candidates.setdefault((source, target), name)
    for source, target in store.approved_pairs(src, tgt):
        candidates.setdefault((source, target), "store")
    scored = [Match(similarity(text, s, src), s, t, origin) for (s, t), origin in candidates.items()]
    scored = [m for m in scored if m.score >= minimum]
    scored.sort(key=lambda m: (-m.score, m.source))
    return scored[:limit]
