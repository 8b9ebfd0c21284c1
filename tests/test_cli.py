"""The CLI as users and other tools call it: output contract, exit codes, store untouched on error."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLE, run


def test_ingest_prints_id_and_counts_then_show(store_path):
    r = run("ingest", str(EXAMPLE), "--store", str(store_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\t") == [
        "1",
        "unoct-2019-09-26.en.txt",
        "en",
        "24 paragraphs",
        "26 segments\n",
    ]
    again = run("ingest", str(EXAMPLE), "--store", str(store_path))
    assert again.stdout.decode().startswith("1\talready stored")
    show = run("show", "1", "--store", str(store_path)).stdout.decode().splitlines()
    assert show[0].startswith("document 1: unoct-2019-09-26.en.txt (en)")
    assert len(show) == 27


def test_segment_stdout_contract():
    r = run("segment", "--lang", "es", stdin="Hola Sr. Pérez. ¿Cómo está?\n\nBien.\n".encode())
    assert r.returncode == 0
    assert r.stdout.decode() == "Hola Sr. Pérez.\n¿Cómo está?\n\nBien.\n"
    assert r.stderr == b""


def test_segment_file_matches_ingest():
    lines = run("segment", str(EXAMPLE)).stdout.decode().split("\n\n")
    assert len(lines) == 24
    assert sum(len(p.strip().splitlines()) for p in lines) == 26


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "empty.txt").write_bytes(b"")
    (tmp / "binary.txt").write_bytes(bytes(range(256)) * 64)
    with (tmp / "big.txt").open("wb") as fh:
        fh.write(b"x" * (50 * 2**20))
    (tmp / "fake.docx").write_bytes(b"")
    with zipfile.ZipFile(tmp / "fake.docx", "w") as zf:
        zf.writestr("data.csv", "a,b\n")
    (tmp / "notes.pdf").write_bytes(b"%PDF")
    return {
        "empty": (["ingest", str(tmp / "empty.txt")], "empty"),
        "binary": (["ingest", str(tmp / "binary.txt")], "binary"),
        "50MB": (["ingest", str(tmp / "big.txt")], "limit"),
        "fake docx": (["ingest", str(tmp / "fake.docx")], "not a Word document"),
        "pdf": (["ingest", str(tmp / "notes.pdf")], "unsupported"),
        "lang": (["ingest", str(EXAMPLE), "--lang", "de"], "not one of the six UN languages"),
        "missing": (["ingest", str(tmp / "missing.txt")], "No such file"),
    }


@pytest.mark.parametrize("case", ["empty", "binary", "50MB", "fake docx", "pdf", "lang", "missing"])
def test_bad_input_one_line_exit_2_store_unchanged(tmp_path, store_path, case):
    assert run("ingest", str(EXAMPLE), "--store", str(store_path)).returncode == 0
    before = _digest(store_path)
    args, message = _bad_inputs(tmp_path)[case]
    r = run(*args, "--store", str(store_path))
    err = r.stderr.decode()
    assert r.returncode == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert r.stdout == b""
    assert _digest(store_path) == before


def test_utf16_speech_is_read_not_refused(tmp_path, store_path):
    path = tmp_path / "speech.txt"
    path.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("utf-16"))
    r = run("ingest", str(path), "--store", str(store_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().endswith("24 paragraphs\t26 segments\n")


def test_bad_input_does_not_create_a_store(tmp_path, store_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert run("ingest", str(tmp_path / "empty.txt"), "--store", str(store_path)).returncode == 2
    assert not store_path.exists()
