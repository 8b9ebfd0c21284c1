"""The SQLite store: schema, transactions, versions and history."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import EXAMPLE

from workbench import ingest
from workbench.model import Origin, Status
from workbench.store import MIGRATIONS, ConflictError, NotFoundError, Store, StoreError


def test_wal_foreign_keys_and_schema_version(store_path):
    with Store(store_path) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.schema_version == len(MIGRATIONS)


def test_document_round_trip(store_path):
    document = ingest.load(EXAMPLE)
    with Store(store_path) as store:
        doc_id = store.add_document(document)
        loaded = store.document(doc_id)
        assert store.document("unoct-2019-09-26.en.txt").id == doc_id
        assert store.find_document(document.sha256, "en") == doc_id
    assert [s.text for s in loaded.segments] == [s.text for s in document.segments]
    assert [(s.start, s.end, s.raw_start, s.raw_end) for s in loaded.segments] == [
        (s.start, s.end, s.raw_start, s.raw_end) for s in document.segments
    ]
    assert len(loaded.paragraphs) == 24


def test_failed_document_write_leaves_nothing(store_path):
    document = ingest.load(EXAMPLE)
    document.paragraphs[5].segments[0].text = None  # type: ignore[assignment]  # NOT NULL fails
    with Store(store_path) as store:
        with pytest.raises(sqlite3.IntegrityError):
            store.add_document(document)
        assert store.documents() == []
        assert store.db.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 0


def test_translation_versions_history_and_conflicts(store_path):
    with Store(store_path) as store:
        doc_id = store.add_document(ingest.load(EXAMPLE))
        seg = store.document(doc_id).segments[3]
        t1 = store.put_translation(
            seg.id, "fr", "Bonjour", origin=Origin.MT, status=Status.TRANSLATED, engine="tiny"
        )
        assert t1.version == 1
        t2 = store.put_translation(
            seg.id,
            "fr",
            "Bonjour à tous",
            origin=Origin.HUMAN,
            status=Status.REVIEWED,
            who="ana",
            expected_version=1,
        )
        assert t2.version == 2 and t2.updated_by == "ana"
        with pytest.raises(ConflictError) as info:
            store.put_translation(
                seg.id,
                "fr",
                "Salut",
                origin=Origin.HUMAN,
                status=Status.REVIEWED,
                who="bob",
                expected_version=1,
            )
        assert info.value.current.text == "Bonjour à tous"
        assert "ana" in str(info.value)
        # a machine write expecting nothing stored, or over a person's work, leaves the store as it is
        for expected in (0, None):
            kept = store.put_translation(
                seg.id, "fr", "ignored", origin=Origin.MT, status=Status.TRANSLATED, expected_version=expected
            )
            assert kept is None and store.translation(seg.id, "fr").text == "Bonjour à tous"
        history = store.history(t2.id)
        assert [(h.old_text, h.new_text, h.who) for h in history] == [
            (None, "Bonjour", None),
            ("Bonjour", "Bonjour à tous", "ana"),
        ]
        progress = store.documents()[0]["languages"]
        assert progress == {"fr": {"translated": 1, "approved": 0}}


def test_unknown_document(store_path):
    with Store(store_path) as store, pytest.raises(NotFoundError, match="no document 'x'"):
        store.document("x")


def test_newer_schema_refused(store_path):
    Store(store_path).close()
    db = sqlite3.connect(store_path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(StoreError, match="newer than this workbench"):
        Store(store_path)


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        Store(path)
