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
from .store import Store, now

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
    row = store.db.execute("SELECT id FROM memories WHERE sha256 = ?", (digest,)).fetchone()
    if row:
        return ImportResult(row[0], len(units), 0, skipped, already=True)
    variants = 0
    with store.transaction() as db:
        memory_id = db.execute(
            "INSERT INTO memories (name, path, sha256, imported_at) VALUES (?, ?, ?, ?)",
            (name or path.stem, str(path), digest, now()),
        ).lastrowid
        for unit in units:
            if len(unit.variants) < 2:
                continue
            unit_id = db.execute(
                "INSERT INTO tm_units (memory_id, tuid, note) VALUES (?, ?, ?)",
                (memory_id, unit.tuid, unit.note),
            ).lastrowid
            db.executemany(
                "INSERT INTO tm_variants (unit_id, lang, text, key) VALUES (?, ?, ?, ?)",
                [(unit_id, lang, text, key(text)) for lang, text in unit.variants.items()],
            )
            variants += len(unit.variants)
    return ImportResult(memory_id, len(units), variants, skipped)  # type: ignore[arg-type]


def exact(store: Store, text: str, src: str, tgt: str, exclude_segment: int | None = None) -> str | None:
    """The newest reusable translation of exactly ``text``: approved work in the store first, then
    imported memories."""
    row = store.db.execute(
        "SELECT t.text FROM segments s JOIN documents d ON d.id = s.document_id"
        " JOIN translations t ON t.segment_id = s.id"
        " WHERE s.text = ? AND d.lang = ? AND t.lang = ? AND t.status = 'approved' AND s.id != ?"
        " ORDER BY t.updated_at DESC, t.id DESC LIMIT 1",
        (text, src, tgt, exclude_segment or -1),
    ).fetchone()
    if row:
        return row[0]
    row = store.db.execute(
        "SELECT tv.text FROM tm_variants sv JOIN tm_variants tv ON tv.unit_id = sv.unit_id"
        " WHERE sv.lang = ? AND sv.key = ? AND tv.lang = ? ORDER BY sv.id DESC LIMIT 1",
        (src, key(text), tgt),
    ).fetchone()
    return row[0] if row else None


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
        rows = store.db.execute(
            "SELECT sv.text, tv.text, m.name FROM tm_fts JOIN tm_variants sv ON sv.id = tm_fts.rowid"
            " JOIN tm_variants tv ON tv.unit_id = sv.unit_id AND tv.lang = ?"
            " JOIN tm_units u ON u.id = sv.unit_id JOIN memories m ON m.id = u.memory_id"
            " WHERE tm_fts MATCH ? AND sv.lang = ? ORDER BY rank LIMIT 200",
            (tgt, query, src),
        )
        for source, target, name in rows:
            candidates.setdefault((source, target), name)
    rows = store.db.execute(
        "SELECT s.text, t.text FROM segments s JOIN documents d ON d.id = s.document_id"
        " JOIN translations t ON t.segment_id = s.id"
        " WHERE d.lang = ? AND t.lang = ? AND t.status = 'approved'",
        (src, tgt),
    )
    for source, target in rows:
        candidates.setdefault((source, target), "store")
    scored = [Match(similarity(text, s, src), s, t, origin) for (s, t), origin in candidates.items()]
    scored = [m for m in scored if m.score >= minimum]
    scored.sort(key=lambda m: (-m.score, m.source))
    return scored[:limit]


def memories(store: Store) -> list[tuple[int, str, str, int]]:
    """(id, name, imported at, units) of every imported memory."""
    return [
        (r[0], r[1], r[2], r[3])
        for r in store.db.execute(
            "SELECT m.id, m.name, m.imported_at, COUNT(u.id) FROM memories m"
            " LEFT JOIN tm_units u ON u.memory_id = m.id GROUP BY m.id ORDER BY m.id"
        )
    ]
