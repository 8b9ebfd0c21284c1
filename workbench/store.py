"""The SQLite store: documents, segments, translations and their history.

WAL journal so reviewers read while a job writes; foreign keys on; one transaction per logical
write (a document with all its segments, one finished translation, one reviewer's save), so a kill
at any moment leaves either all of a write or none of it. The schema version lives in
``PRAGMA user_version`` and :data:`MIGRATIONS` brings an older store up to date on open.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import ConflictError, NotFoundError, WorkbenchError
from .model import Document, Flag, HistoryEntry, Origin, Paragraph, Segment, Status, Translation, persons_work

DEFAULT_PATH = Path("aligned") / "workbench.db"

# Each entry upgrades the schema by one version; never edit a released entry, append a new one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        lang TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        source_path TEXT,
        text TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (sha256, lang)
    );
    CREATE TABLE paragraphs (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        raw_start INTEGER NOT NULL,
        raw_end INTEGER NOT NULL,
        UNIQUE (document_id, idx)
    );
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        paragraph_id INTEGER NOT NULL REFERENCES paragraphs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        raw_start INTEGER NOT NULL,
        raw_end INTEGER NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (document_id, idx)
    );
    CREATE INDEX segments_text ON segments(text);
    CREATE TABLE translations (
        id INTEGER PRIMARY KEY,
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        text TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('mt', 'tm', 'human', 'aligned')),
        status TEXT NOT NULL
            CHECK (status IN ('draft', 'translated', 'reviewed', 'approved')),
        engine TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        updated_by TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (segment_id, lang)
    );
    CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        translation_id INTEGER NOT NULL REFERENCES translations(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        old_text TEXT,
        new_text TEXT NOT NULL,
        old_status TEXT,
        new_status TEXT NOT NULL,
        who TEXT,
        at TEXT NOT NULL
    );
    CREATE INDEX history_translation ON history(translation_id);
    """,
    """
    CREATE TABLE flags (
        id INTEGER PRIMARY KEY,
        translation_id INTEGER NOT NULL REFERENCES translations(id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        severity TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
        message TEXT NOT NULL,
        concept TEXT,
        mark TEXT
    );
    CREATE INDEX flags_translation ON flags(translation_id);
    """,
    """
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        who TEXT,
        at TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX comments_segment ON comments(segment_id, lang);
    CREATE TABLE memories (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        path TEXT,
        sha256 TEXT NOT NULL UNIQUE,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE tm_units (
        id INTEGER PRIMARY KEY,
        memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        tuid TEXT,
        note TEXT
    );
    CREATE INDEX tm_units_memory ON tm_units(memory_id);
    CREATE TABLE tm_variants (
        id INTEGER PRIMARY KEY,
        unit_id INTEGER NOT NULL REFERENCES tm_units(id) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        text TEXT NOT NULL,
        key TEXT NOT NULL
    );
    CREATE INDEX tm_variants_key ON tm_variants(lang, key);
    CREATE INDEX tm_variants_unit ON tm_variants(unit_id);
    CREATE VIRTUAL TABLE tm_fts USING fts5(
        text, content='tm_variants', content_rowid='id', tokenize='trigram'
    );
    CREATE TRIGGER tm_variants_ai AFTER INSERT ON tm_variants BEGIN
        INSERT INTO tm_fts(rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER tm_variants_ad AFTER DELETE ON tm_variants BEGIN
        INSERT INTO tm_fts(tm_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    """,
    """
    ALTER TABLE translations ADD COLUMN confidence REAL;
    """,
    """
    CREATE TABLE leases (
        segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        lang TEXT NOT NULL,
        holder TEXT NOT NULL,
        expires REAL NOT NULL,
        PRIMARY KEY (segment_id, lang)
    );
    CREATE INDEX leases_holder ON leases(holder);
    """,
]


class StoreError(WorkbenchError):
    """The store cannot be opened or used; the message names the file."""


class StaleError(StoreError):
    """A split or merge asked for from a page that no longer shows what the store holds."""


def now() -> str:
    """UTC timestamp with seconds, ISO 8601 (``2026-11-27T21:40:01Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """A workbench store in one SQLite file."""

    def __init__(self, path: str | Path = DEFAULT_PATH, *, create: bool = True):
        """Open the store at ``path``; ``create=False`` (commands that only read or re-check) refuses
        a missing one instead of creating its folder and an empty store."""
        self.path = Path(path)
        try:
            if create:  # a new store and its folder are the owner's alone, whatever the umask
                if not self.path.parent.exists():
                    self.path.parent.mkdir(mode=0o700, parents=True)
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
                target: str | Path = self.path
            elif not self.path.is_file():
                raise StoreError(f"{self.path}: no store here (create one with 'workbench ingest')")
            else:  # read-write, never create: a store deleted meanwhile is not silently recreated
                target = f"{self.path.absolute().as_uri()}?mode=rw"
            self.db = sqlite3.connect(target, timeout=30, isolation_level=None, uri=not create)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: BEGIN IMMEDIATE … COMMIT, rolled back on any error.

        Nested inside another, it is a savepoint of the outer one, so a caller can make several
        store writes (a translation, its flags, the document's consistency flags) one transaction.
        """
        nested = self.db.in_transaction
        self.db.execute("SAVEPOINT nested" if nested else "BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("RELEASE nested" if nested else "COMMIT")
        except BaseException as exc:
            if nested and self.db.in_transaction:
                self.db.execute("ROLLBACK TO nested")
                self.db.execute("RELEASE nested")
            elif self.db.in_transaction:
                self.db.execute("ROLLBACK")
            full = isinstance(exc, sqlite3.OperationalError) and exc.sqlite_errorcode == sqlite3.SQLITE_FULL
            if full and not nested:
                raise StoreError(f"{self.path}: the disk is full; nothing of this step was saved") from None
            raise

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: the store has schema version {version}, newer than this "
                f"workbench understands ({len(MIGRATIONS)}); upgrade workbench"
            )
        for number in range(version, len(MIGRATIONS)):
            with self.transaction() as db:
                for statement in _statements(MIGRATIONS[number]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    # ------------------------------------------------------------ documents

    def find_document(self, sha256: str, lang: str) -> int | None:
        """The id of an already stored document with this content and language."""
        row = self.db.execute(
            "SELECT id FROM documents WHERE sha256 = ? AND lang = ?", (sha256, lang)
        ).fetchone()
        return row["id"] if row else None

    def add_document(self, doc: Document) -> int:
        """Store a segmented document in one transaction and return its id (sets the ids)."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO documents (name, lang, sha256, source_path, text, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (doc.name, doc.lang, doc.sha256, doc.source_path, doc.text, now()),
            )
            doc.id = cur.lastrowid
            for p in doc.paragraphs:
                pid = db.execute(
                    'INSERT INTO paragraphs (document_id, idx, start, "end", raw_start, raw_end)'
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (doc.id, p.index, p.start, p.end, p.raw_start, p.raw_end),
                ).lastrowid
                for s in p.segments:
                    s.id = db.execute(
                        'INSERT INTO segments (document_id, paragraph_id, idx, start, "end",'
                        " raw_start, raw_end, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (doc.id, pid, s.index, s.start, s.end, s.raw_start, s.raw_end, s.text),
                    ).lastrowid
        assert doc.id is not None
        return doc.id

    def resolve_document(self, ref: str | int) -> int:
        """A document id from an id or a unique name."""
        ref = str(ref)
        if ref.isdigit():
            row = self.db.execute("SELECT id FROM documents WHERE id = ?", (int(ref),)).fetchone()
            if row:
                return row["id"]
        rows = self.db.execute("SELECT id FROM documents WHERE name = ?", (ref,)).fetchall()
        if len(rows) == 1:
            return rows[0]["id"]
        if len(rows) > 1:
            ids = ", ".join(str(r["id"]) for r in rows)
            raise NotFoundError(f"{self.path}: several documents are named '{ref}' (ids {ids})")
        raise NotFoundError(f"{self.path}: no document '{ref}'")

    def document_lang(self, doc_id: int) -> str:
        """The language of a stored document (without loading its segments)."""
        return self.document_name_lang(doc_id)[1]

    def document_name_lang(self, doc_id: int) -> tuple[str, str]:
        """(name, language) of a stored document (without loading its segments)."""
        row = self.db.execute("SELECT name, lang FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"{self.path}: no document {doc_id}")
        return row["name"], row["lang"]

    def document(self, ref: str | int) -> Document:
        """Load a whole document with its paragraphs and segments."""
        doc_id = self.resolve_document(ref)
        row = self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        paragraphs: dict[int, Paragraph] = {}
        for p in self.db.execute("SELECT * FROM paragraphs WHERE document_id = ? ORDER BY idx", (doc_id,)):
            paragraphs[p["id"]] = Paragraph(p["idx"], p["start"], p["end"], p["raw_start"], p["raw_end"])
        for s in self.db.execute("SELECT * FROM segments WHERE document_id = ? ORDER BY idx", (doc_id,)):
            paragraphs[s["paragraph_id"]].segments.append(_segment(s, paragraphs))
        return Document(
            name=row["name"],
            lang=row["lang"],
            text=row["text"],
            paragraphs=list(paragraphs.values()),
            sha256=row["sha256"],
            source_path=row["source_path"],
            id=row["id"],
            created_at=row["created_at"],
        )

    def documents(self) -> list[dict]:
        """Every document with its segment count and, per language, translated and approved counts."""
        out = []
        for row in self.db.execute(
            "SELECT d.id, d.name, d.lang, d.created_at, COUNT(s.id) AS segments"
            " FROM documents d LEFT JOIN segments s ON s.document_id = d.id"
            " GROUP BY d.id ORDER BY d.id"
        ):
            progress = {
                r["lang"]: {"translated": r["n"], "approved": r["approved"]}
                for r in self.db.execute(
                    "SELECT t.lang, COUNT(*) AS n, SUM(t.status = 'approved') AS approved"
                    " FROM translations t JOIN segments s ON s.id = t.segment_id"
                    " WHERE s.document_id = ? GROUP BY t.lang",
                    (row["id"],),
                )
            }
            out.append({**dict(row), "languages": progress})
        return out

    def segment_count(self, doc_id: int) -> int:
        return self.db.execute("SELECT COUNT(*) FROM segments WHERE document_id = ?", (doc_id,)).fetchone()[0]

    def segment_page(self, doc_id: int, offset: int, limit: int) -> list[Segment]:
        """Segments ``offset`` … ``offset + limit - 1`` of a document, without loading the rest."""
        rows = self.db.execute(
            "SELECT s.*, p.idx AS paragraph_idx FROM segments s JOIN paragraphs p ON p.id = s.paragraph_id"
            " WHERE s.document_id = ? ORDER BY s.idx LIMIT ? OFFSET ?",
            (doc_id, limit, offset),
        )
        return [
            Segment(
                r["idx"],
                r["paragraph_idx"],
                r["start"],
                r["end"],
                r["text"],
                r["raw_start"],
                r["raw_end"],
                r["id"],
            )
            for r in rows
        ]

    def translations_of(self, segment_ids: list[int], lang: str) -> dict[int, Translation]:
        marks = ",".join("?" * len(segment_ids))
        rows = self.db.execute(
            f"SELECT * FROM translations WHERE lang = ? AND segment_id IN ({marks})", (lang, *segment_ids)
        )
        return {r["segment_id"]: _translation(r) for r in rows}

    def flags_of(self, segment_ids: list[int], lang: str) -> dict[int, list[Flag]]:
        marks = ",".join("?" * len(segment_ids))
        out: dict[int, list[Flag]] = {}
        for r in self.db.execute(
            "SELECT t.segment_id, f.* FROM flags f JOIN translations t ON t.id = f.translation_id"
            f" WHERE t.lang = ? AND t.segment_id IN ({marks}) ORDER BY f.id",
            (lang, *segment_ids),
        ):
            out.setdefault(r["segment_id"], []).append(
                Flag(r["code"], r["severity"], r["message"], r["concept"], r["mark"])
            )
        return out

    # ------------------------------------------------------------ segmentation edits

    def _shift(self, db: sqlite3.Connection, doc_id: int, after: int, delta: int) -> None:
        """Move the indices of segments after ``after`` by ``delta`` (two steps: idx is unique)."""
        db.execute("UPDATE segments SET idx = -idx - 1 WHERE document_id = ? AND idx > ?", (doc_id, after))
        db.execute(
            "UPDATE segments SET idx = -idx - 1 + ? WHERE document_id = ? AND idx < 0", (delta, doc_id)
        )

    def _check_seen(self, db: sqlite3.Connection, lang: str, seen: Sequence[tuple[int, str, int]]) -> None:
        """Raise :class:`StaleError` unless each (segment id, source, version of its ``lang``
        translation, 0 for none) a page showed is still what the store holds."""
        for sid, source, version in seen:
            row = db.execute(
                "SELECT s.text, t.version FROM segments s LEFT JOIN translations t"
                " ON t.segment_id = s.id AND t.lang = ? WHERE s.id = ?",
                (lang, sid),
            ).fetchone()
            if row is None or row[0] != source or (row[1] or 0) != version:
                raise StaleError(f"segment {sid} was changed meanwhile: reload the page")

    def split_segment(
        self,
        segment_id: int,
        offset: int,
        *,
        lang: str | None = None,
        seen: Sequence[tuple[int, str, int]] = (),
    ) -> tuple[int, int]:
        """Split a segment's source at ``offset`` (characters into its text); the translations stay
        with the first part (:func:`workbench.translations.split` checks them against it). Returns the
        two segment ids. ``seen`` (with ``lang``): the segment as the caller's page showed it (see
        :meth:`_check_seen`); nothing is split if it changed since."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM segments WHERE id = ?", (segment_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"{self.path}: no segment {segment_id}")
            if seen:
                self._check_seen(db, lang or "", seen)
            text = row["text"]
            head, tail = text[:offset].rstrip(), text[offset:].lstrip()
            if not head or not tail:
                raise StoreError(f"segment {segment_id}: a split needs text on both sides of the cut")
            tail_start = row["start"] + len(text) - len(tail)
            self._shift(db, row["document_id"], row["idx"], 1)
            db.execute(
                'UPDATE segments SET text = ?, "end" = ? WHERE id = ?',
                (head, row["start"] + len(head), segment_id),
            )
            new_id = db.execute(
                'INSERT INTO segments (document_id, paragraph_id, idx, start, "end", raw_start, raw_end,'
                " text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row["document_id"], row["paragraph_id"], row["idx"] + 1, tail_start, row["end"],
                 row["raw_start"], row["raw_end"], tail),
            ).lastrowid  # fmt: skip
        return segment_id, new_id  # type: ignore[return-value]

    def merge_segments(
        self,
        segment_id: int,
        who: str | None = None,
        *,
        lang: str | None = None,
        seen: Sequence[tuple[int, str, int]] = (),
    ) -> int:
        """Merge a segment with the next one of its paragraph; translations are joined (a new draft
        version of the first segment's, with history), so no text is lost. The joined texts keep
        their old flags: :func:`workbench.translations.merge` checks them in the same transaction.
        ``seen`` (with ``lang``): the two segments as the caller's page showed them; nothing is merged
        if the next segment is another one or either changed since (see :meth:`_check_seen`)."""
        from . import langs

        with self.transaction() as db:
            first = db.execute("SELECT * FROM segments WHERE id = ?", (segment_id,)).fetchone()
            if first is None:
                raise NotFoundError(f"{self.path}: no segment {segment_id}")
            second = db.execute(
                "SELECT * FROM segments WHERE document_id = ? AND idx = ?",
                (first["document_id"], first["idx"] + 1),
            ).fetchone()
            if second is None or second["paragraph_id"] != first["paragraph_id"]:
                raise StoreError(f"segment {segment_id}: no next segment in the same paragraph to merge with")
            if seen:
                if [s[0] for s in seen] != [segment_id, second["id"]]:
                    raise StaleError(f"segment {segment_id}: its next segment is not the one shown: reload")
                self._check_seen(db, lang or "", seen)
            doc_text = db.execute(
                "SELECT text FROM documents WHERE id = ?", (first["document_id"],)
            ).fetchone()[0]
            merged = doc_text[first["start"] : second["end"]]
            if merged.replace(" ", "") != (first["text"] + second["text"]).replace(" ", ""):
                merged = f"{first['text']} {second['text']}"  # offsets moved by an earlier split
            mine = {
                r["lang"]: r
                for r in db.execute("SELECT * FROM translations WHERE segment_id = ?", (segment_id,))
            }
            theirs = {
                r["lang"]: r
                for r in db.execute("SELECT * FROM translations WHERE segment_id = ?", (second["id"],))
            }
            for lang in sorted(set(mine) | set(theirs)):
                parts = [r["text"] for r in (mine.get(lang), theirs.get(lang)) if r is not None and r["text"]]
                text = ("" if not langs.get(lang).spaced else " ").join(parts)
                if lang not in mine:  # the second's translation moves over, with its history
                    db.execute(
                        "UPDATE translations SET segment_id = ? WHERE id = ?",
                        (segment_id, theirs[lang]["id"]),
                    )
                current = _translation(mine.get(lang) or theirs[lang])
                self.put_translation(
                    segment_id, lang, text, origin=current.origin, status=Status.DRAFT, engine=current.engine,
                    who=who, expected_version=current.version, by_person=True, confidence=current.confidence,
                )  # fmt: skip
            db.execute('UPDATE segments SET text = ?, "end" = ?, raw_end = ? WHERE id = ?',
                       (merged, second["end"], second["raw_end"], segment_id))  # fmt: skip
            db.execute("DELETE FROM segments WHERE id = ?", (second["id"],))
            self._shift(db, first["document_id"], first["idx"] + 1, -1)
        return segment_id

    # ------------------------------------------------------------ translations

    def translations(self, doc_id: int, lang: str | None = None) -> list[Translation]:
        """All translations of a document (optionally one language), in segment order."""
        sql = "SELECT t.* FROM translations t JOIN segments s ON s.id = t.segment_id WHERE s.document_id = ?"
        args: list = [doc_id]
        if lang:
            sql += " AND t.lang = ?"
            args.append(lang)
        sql += " ORDER BY s.idx, t.lang"
        return [_translation(r) for r in self.db.execute(sql, args)]

    def translation(self, segment_id: int, lang: str) -> Translation | None:
        row = self.db.execute(
            "SELECT * FROM translations WHERE segment_id = ? AND lang = ?", (segment_id, lang)
        ).fetchone()
        return _translation(row) if row else None

    def segment_translations(self, segment_id: int) -> list[Translation]:
        """Every translation of one segment, by language."""
        rows = self.db.execute("SELECT * FROM translations WHERE segment_id = ? ORDER BY lang", (segment_id,))
        return [_translation(r) for r in rows]

    def consistency_rows(self, doc_id: int, lang: str) -> list[tuple[int, str, int, str, str | None]]:
        """(segment id, source, translation id, target, its 'inconsistent' flag's message or None) of
        each translated segment of a document, in one query: the consistency check reads only this."""
        rows = self.db.execute(
            "SELECT s.id, s.text, t.id, t.text, f.message FROM segments s"
            " JOIN translations t ON t.segment_id = s.id AND t.lang = ?"
            " LEFT JOIN flags f ON f.translation_id = t.id AND f.code = 'inconsistent'"
            " WHERE s.document_id = ? ORDER BY s.idx",
            (lang, doc_id),
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def segment_source(self, segment_id: int) -> tuple[str, str, int]:
        """(source text, source language, document id) of a segment."""
        row = self.db.execute(
            "SELECT s.text, d.lang, d.id FROM segments s JOIN documents d ON d.id = s.document_id"
            " WHERE s.id = ?",
            (segment_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"{self.path}: no segment {segment_id}")
        return row[0], row[1], row[2]

    def history(self, translation_id: int) -> list[HistoryEntry]:
        return [
            HistoryEntry(
                r["translation_id"],
                r["version"],
                r["old_text"],
                r["new_text"],
                Status(r["old_status"]) if r["old_status"] else None,
                Status(r["new_status"]),
                r["who"],
                r["at"],
                r["id"],
            )
            for r in self.db.execute(
                "SELECT * FROM history WHERE translation_id = ? ORDER BY version", (translation_id,)
            )
        ]

    def put_translation(
        self,
        segment_id: int,
        lang: str,
        text: str,
        *,
        origin: Origin,
        status: Status,
        engine: str | None = None,
        who: str | None = None,
        expected_version: int | None = None,
        by_person: bool | None = None,
        flags: list[Flag] | None = None,
        confidence: float | None = None,
    ) -> Translation | None:
        """Write one translation with a history record, by the one overwrite rule; returns it, or
        None where the rule keeps what is stored.

        The rule: ``expected_version`` is the version the writer read (0: none); if the stored one
        differs, someone wrote in between. A machine write (MT, TM, alignment: ``by_person`` false,
        which is the default unless the text is a person's, see :func:`~workbench.model.persons_work`)
        then leaves the store as it is, and never replaces a person's work at all: a resumed or
        retried job neither redoes nor doubles anything. A person's write on a stale version raises
        :class:`ConflictError` with the current translation. ``flags`` (the QA checks of ``text``)
        replace the stored ones in the same transaction, so a text is never stored with the flags of
        another. Writers go through :func:`workbench.translations.record`, which checks the text.
        """
        if by_person is None:
            by_person = persons_work(origin, status)
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM translations WHERE segment_id = ? AND lang = ?", (segment_id, lang)
            ).fetchone()
            current = _translation(row) if row else None
            if current is None and expected_version not in (None, 0):
                if by_person:
                    raise ConflictError("the translation was deleted meanwhile", None)  # type: ignore[arg-type]
                return None
            if current is not None and expected_version not in (None, current.version):
                if by_person:
                    raise ConflictError(
                        f"segment {segment_id} ({lang}) was changed by {current.updated_by or 'someone'}"
                        f" at {current.updated_at} (version {current.version}, you edited version"
                        f" {expected_version}); their text: {current.text}",
                        current,
                    )
                return None
            if current is not None and current.persons_work and not by_person:
                return None
            stamp = now()
            if current is None:
                tid, version = (
                    db.execute(
                        "INSERT INTO translations (segment_id, lang, text, origin, status, engine,"
                        " version, updated_by, updated_at, confidence) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                        (segment_id, lang, text, origin.value, status.value, engine, who, stamp, confidence),
                    ).lastrowid,
                    1,
                )
            else:
                tid, version = current.id, current.version + 1
                db.execute(
                    "UPDATE translations SET text = ?, origin = ?, status = ?, engine = ?,"
                    " version = ?, updated_by = ?, updated_at = ?, confidence = ? WHERE id = ?",
                    (text, origin.value, status.value, engine, version, who, stamp, confidence, tid),
                )
            db.execute(
                "INSERT INTO history (translation_id, version, old_text, new_text, old_status,"
                " new_status, who, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (tid, version, current.text if current else None, text,
                 current.status.value if current else None, status.value, who, stamp),
            )  # fmt: skip
            if flags is not None:
                _write_flags(db, tid, flags)  # type: ignore[arg-type]
            out = db.execute("SELECT * FROM translations WHERE id = ?", (tid,)).fetchone()
        return _translation(out)

    def add_comment(self, segment_id: int, lang: str, text: str, who: str | None) -> None:
        """A reviewer's comment on a segment's translation into ``lang`` (exported as a TMX note)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO comments (segment_id, lang, who, at, text) VALUES (?, ?, ?, ?, ?)",
                (segment_id, lang, who, now(), text),
            )

    def comments(self, segment_id: int, lang: str) -> list[tuple[str | None, str, str]]:
        """(who, at, text) of the comments on a segment's translation, oldest first."""
        rows = self.db.execute(
            "SELECT who, at, text FROM comments WHERE segment_id = ? AND lang = ? ORDER BY id",
            (segment_id, lang),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def document_comments(self, doc_id: int) -> dict[tuple[int, str], list[tuple[str | None, str, str]]]:
        """Every comment of a document by (segment id, language), oldest first (one query)."""
        out: dict[tuple[int, str], list[tuple[str | None, str, str]]] = {}
        for r in self.db.execute(
            "SELECT c.segment_id, c.lang, c.who, c.at, c.text FROM comments c"
            " JOIN segments s ON s.id = c.segment_id WHERE s.document_id = ? ORDER BY c.id",
            (doc_id,),
        ):
            out.setdefault((r[0], r[1]), []).append((r[2], r[3], r[4]))
        return out

    def flags(self, translation_id: int) -> list[Flag]:
        rows = self.db.execute("SELECT * FROM flags WHERE translation_id = ? ORDER BY id", (translation_id,))
        return [Flag(r["code"], r["severity"], r["message"], r["concept"], r["mark"]) for r in rows]

    def document_flags(self, doc_id: int, lang: str) -> dict[int, list[Flag]]:
        """Flags of every translation of a document into ``lang``, by segment id."""
        out: dict[int, list[Flag]] = {}
        for r in self.db.execute(
            "SELECT t.segment_id, f.* FROM flags f JOIN translations t ON t.id = f.translation_id"
            " JOIN segments s ON s.id = t.segment_id WHERE s.document_id = ? AND t.lang = ? ORDER BY f.id",
            (doc_id, lang),
        ):
            out.setdefault(r["segment_id"], []).append(
                Flag(r["code"], r["severity"], r["message"], r["concept"], r["mark"])
            )
        return out

    def set_flags_many(self, flags: dict[int, list[Flag]], codes: tuple[str, ...] | None = None) -> None:
        """Replace the flags of several translations (only those with ``codes`` when given), atomically."""
        with self.transaction() as db:
            for translation_id, items in flags.items():
                _write_flags(db, translation_id, items, codes)

    # ------------------------------------------------------------ translation memory

    def memory_id(self, sha256: str) -> int | None:
        """The id of an imported memory with these bytes."""
        row = self.db.execute("SELECT id FROM memories WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def add_memory(
        self,
        name: str,
        path: str,
        sha256: str,
        units: list[tuple[str | None, str | None, list[tuple[str, str, str]]]],
    ) -> int:
        """Store a memory in one transaction: ``units`` are (tuid, note, [(lang, text, key), …])."""
        with self.transaction() as db:
            memory_id = db.execute(
                "INSERT INTO memories (name, path, sha256, imported_at) VALUES (?, ?, ?, ?)",
                (name, path, sha256, now()),
            ).lastrowid
            for tuid, note, variants in units:
                unit_id = db.execute(
                    "INSERT INTO tm_units (memory_id, tuid, note) VALUES (?, ?, ?)", (memory_id, tuid, note)
                ).lastrowid
                db.executemany(
                    "INSERT INTO tm_variants (unit_id, lang, text, key) VALUES (?, ?, ?, ?)",
                    [(unit_id, *variant) for variant in variants],
                )
        return memory_id  # type: ignore[return-value]

    def approved_translation(
        self, text: str, src: str, tgt: str, exclude_segment: int | None = None
    ) -> str | None:
        """The newest approved translation into ``tgt`` of a segment whose source is ``text``."""
        row = self.db.execute(
            "SELECT t.text FROM segments s JOIN documents d ON d.id = s.document_id"
            " JOIN translations t ON t.segment_id = s.id"
            " WHERE s.text = ? AND d.lang = ? AND t.lang = ? AND t.status = 'approved' AND s.id != ?"
            " ORDER BY t.updated_at DESC, t.id DESC LIMIT 1",
            (text, src, tgt, exclude_segment or -1),
        ).fetchone()
        return row[0] if row else None

    def memory_translation(self, key: str, src: str, tgt: str) -> str | None:
        """The newest imported variant in ``tgt`` of a unit whose ``src`` variant has this key."""
        row = self.db.execute(
            "SELECT tv.text FROM tm_variants sv JOIN tm_variants tv ON tv.unit_id = sv.unit_id"
            " WHERE sv.lang = ? AND sv.key = ? AND tv.lang = ? ORDER BY sv.id DESC LIMIT 1",
            (src, key, tgt),
        ).fetchone()
        return row[0] if row else None

    def memory_candidates(
        self, query: str, src: str, tgt: str, limit: int = 200
    ) -> list[tuple[str, str, str]]:
        """(source, target, memory name) of imported units whose source matches the FTS5 ``query``."""
        rows = self.db.execute(
            "SELECT sv.text, tv.text, m.name FROM tm_fts JOIN tm_variants sv ON sv.id = tm_fts.rowid"
            " JOIN tm_variants tv ON tv.unit_id = sv.unit_id AND tv.lang = ?"
            " JOIN tm_units u ON u.id = sv.unit_id JOIN memories m ON m.id = u.memory_id"
            " WHERE tm_fts MATCH ? AND sv.lang = ? ORDER BY rank LIMIT ?",
            (tgt, query, src, limit),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def approved_pairs(self, src: str, tgt: str) -> list[tuple[str, str]]:
        """(source, target) of every approved translation from ``src`` into ``tgt``."""
        rows = self.db.execute(
            "SELECT s.text, t.text FROM segments s JOIN documents d ON d.id = s.document_id"
            " JOIN translations t ON t.segment_id = s.id"
            " WHERE d.lang = ? AND t.lang = ? AND t.status = 'approved'",
            (src, tgt),
        )
        return [(r[0], r[1]) for r in rows]

    def memories(self) -> list[tuple[int, str, str, int]]:
        """(id, name, imported at, units) of every imported memory."""
        rows = self.db.execute(
            "SELECT m.id, m.name, m.imported_at, COUNT(u.id) FROM memories m"
            " LEFT JOIN tm_units u ON u.memory_id = m.id GROUP BY m.id ORDER BY m.id"
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # ------------------------------------------------------------ leases

    def claim(self, segment_ids: list[int], lang: str, holder: str, seconds: float) -> list[int]:
        """Lease the translation of segments into ``lang`` to ``holder`` for ``seconds``, so that two
        jobs on one store share the work; returns the ids now held (those free, expired or already
        ``holder``'s), in the order given. A holder that dies lets its leases expire."""
        stamp = time.time()
        with self.transaction() as db:
            held = []
            for sid in segment_ids:
                taken = db.execute(
                    "INSERT INTO leases (segment_id, lang, holder, expires) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (segment_id, lang) DO UPDATE SET holder = excluded.holder,"
                    " expires = excluded.expires WHERE leases.holder = excluded.holder OR leases.expires < ?",
                    (sid, lang, holder, stamp + seconds, stamp),
                ).rowcount
                if taken:
                    held.append(sid)
        return held

    def renew(self, holder: str, seconds: float) -> None:
        """Extend every lease of ``holder`` (a job still working) by ``seconds`` from now."""
        with self.transaction() as db:
            db.execute("UPDATE leases SET expires = ? WHERE holder = ?", (time.time() + seconds, holder))

    def lease_holders(self) -> list[str]:
        """The holders of current leases (expired ones included)."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT holder FROM leases")]

    def release(self, holder: str) -> None:
        """End every lease of ``holder`` (a job that finished or stopped)."""
        with self.transaction() as db:
            db.execute("DELETE FROM leases WHERE holder = ?", (holder,))

    def integrity_check(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements, keeping trigger bodies (``BEGIN … END;``) whole."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer
            buffer = ""
    if buffer.strip():
        yield buffer


def _write_flags(
    db: sqlite3.Connection, translation_id: int, flags: list[Flag], codes: tuple[str, ...] | None = None
) -> None:
    if codes is None:
        db.execute("DELETE FROM flags WHERE translation_id = ?", (translation_id,))
    else:
        marks = ",".join("?" * len(codes))
        db.execute(
            f"DELETE FROM flags WHERE translation_id = ? AND code IN ({marks})", (translation_id, *codes)
        )
    db.executemany(
        "INSERT INTO flags (translation_id, code, severity, message, concept, mark)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(translation_id, f.code, f.severity, f.message, f.concept, f.mark) for f in flags],
    )


def _segment(row: sqlite3.Row, paragraphs: dict[int, Paragraph]) -> Segment:
    return Segment(
        row["idx"],
        paragraphs[row["paragraph_id"]].index,
        row["start"],
        row["end"],
        row["text"],
        row["raw_start"],
        row["raw_end"],
        row["id"],
    )


def _translation(row: sqlite3.Row) -> Translation:
    return Translation(
        row["segment_id"],
        row["lang"],
        row["text"],
        Origin(row["origin"]),
        Status(row["status"]),
        row["engine"],
        row["version"],
        row["updated_by"],
        row["updated_at"],
        row["id"],
        row["confidence"],
    )
