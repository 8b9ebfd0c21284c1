"""Hostile inputs end as one line naming the file and exit code 2, with the store unchanged; a file
being replaced is replaced whole or not at all, even on a full disk."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import EXAMPLE, FAST, dump, fill

from workbench.cli import main
from workbench.errors import InputError, WorkbenchError
from workbench.files import write_text


@pytest.fixture
def ingested(store_path: Path) -> Path:
    assert main(["ingest", str(EXAMPLE), "--store", str(store_path)]) == 0
    return store_path


def refused(argv: list[str], capsys, names: Path) -> str:
    """Run the command; it must exit 2 with one line on stderr that names ``names``."""
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("workbench: error: "), err
    assert str(names) in err, err
    return err


def test_glossary_cell_over_the_csv_limit(ingested, tmp_path, capsys):
    table = tmp_path / "huge.tsv"
    table.write_text("en\tfr\n" + "a" * 140_000 + "\tb\n", encoding="utf-8")  # csv stops at 128 KB
    before = dump(ingested)
    err = refused(["check", "1", "--glossary", str(table), "--store", str(ingested)], capsys, table)
    assert f"{table}:2: not a readable table" in err
    assert dump(ingested) == before


def test_model_map_nested_too_deeply(ingested, tmp_path, capsys):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    before = dump(ingested)
    argv = ["translate", "1", "--to", "fr", "--model-map", str(deep), "--store", str(ingested), *FAST]
    refused(argv, capsys, deep)
    assert dump(ingested) == before


def test_xliff_unit_id_too_large_for_sqlite(ingested, tmp_path, capsys):
    folder = tmp_path / "xliff"
    assert main(["export", "1", "--xliff", str(folder), "--to", "fr", "--store", str(ingested)]) == 0
    (path,) = folder.iterdir()
    text = path.read_text(encoding="utf-8")
    first = text.index('<unit id="s') + len('<unit id="')
    end = text.index('"', first)
    path.write_text(text[:first] + "s" + "9" * 30 + text[end:], encoding="utf-8")
    before = dump(ingested)
    err = refused(["xliff", "import", str(path), "--store", str(ingested)], capsys, path)
    assert "is not a workbench segment" in err
    assert dump(ingested) == before


def test_tmx_export_onto_a_folder(ingested, tmp_path, capsys):
    folder = tmp_path / "already-a-folder"
    folder.mkdir()
    before = dump(ingested)
    argv = ["export", "1", "--tmx", str(folder), "--status", "all", "--store", str(ingested)]
    assert "is a folder" in refused(argv, capsys, folder)
    assert list(folder.iterdir()) == [] and dump(ingested) == before


def test_tbx_export_into_a_missing_folder(ingested, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "glossary.tbx"
    before = dump(ingested)
    argv = ["export", "1", "--tbx", str(target), "--store", str(ingested)]
    assert "No such file or directory" in refused(argv, capsys, target)
    assert not target.parent.exists() and dump(ingested) == before


def test_xliff_export_into_a_file(ingested, tmp_path, capsys):
    taken = tmp_path / "a-file"
    taken.write_text("not a folder\n", encoding="utf-8")
    argv = ["export", "1", "--xliff", str(taken), "--to", "fr", "--store", str(ingested)]
    assert "cannot be made a folder" in refused(argv, capsys, taken)
    assert taken.read_text(encoding="utf-8") == "not a folder\n"


@pytest.fixture
def full_store(small_fs: Path):
    """A store with the example on a file system filled to the last byte.

    A connection held open keeps SQLite's shared-memory file allocated (opening still works) and its
    write-ahead log truncated to nothing, so the first write the command makes needs a new block."""
    path = small_fs / "wb.db"
    assert main(["ingest", str(EXAMPLE), "--store", str(path)]) == 0
    with closing(sqlite3.connect(path)) as held:
        held.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = dump(path)
        fill(small_fs)
        yield path
        assert dump(path) == before
        assert held.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_full_disk_during_ingest(full_store, tmp_path, capsys):
    speech = tmp_path / "another.txt"
    speech.write_text("The Secretary-General opened the meeting.\n\nMember States adopted it.\n", "utf-8")
    err = refused(["ingest", str(speech), "--store", str(full_store)], capsys, full_store)
    assert "the disk is full" in err


def test_full_disk_during_translate(full_store, model_map, tmp_path, capsys):
    argv = ["translate", "1", "--to", "fr", "--model-map", str(model_map), "--store", str(full_store)]
    err = refused([*argv, "--log", str(tmp_path / "log"), *FAST], capsys, full_store)
    assert "the disk is full" in err


def test_a_failed_export_keeps_the_old_file(ingested, small_fs, capsys):
    out = small_fs / "memory.tmx"
    argv = ["export", "1", "--tmx", str(out), "--store", str(ingested)]
    assert main(argv) == 0  # approved only: a TMX without units
    old = out.read_bytes()
    fill(small_fs)
    err = refused([*argv[:-2], "--status", "all", *argv[-2:]], capsys, out)  # every segment: needs space
    assert "No space left on device" in err
    assert out.read_bytes() == old
    assert sorted(p.name for p in small_fs.iterdir()) == ["filler", "memory.tmx"]  # no temporary left


def test_writer_keeps_the_old_file_when_the_writing_fails(tmp_path):
    path = tmp_path / "users"
    write_text(path, "old\n")

    class Broken(RuntimeError):
        pass

    with pytest.raises(Broken):  # not an OSError: a bug stays a bug, yet the old file is kept
        from workbench.files import replacing

        with replacing(path) as out:
            out.write(b"half a new fi")
            raise Broken
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["users"]


def test_every_user_error_is_a_workbench_error():
    assert issubclass(InputError, WorkbenchError) and issubclass(InputError, ValueError)
    error = InputError("glossary.tsv", "bad confidence 'x'", 7)
    assert str(error) == "glossary.tsv:7: bad confidence 'x'"
    assert (error.path, error.problem, error.line) == ("glossary.tsv", "bad confidence 'x'", 7)
