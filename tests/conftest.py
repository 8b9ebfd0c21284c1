"""Shared fixtures: the bundled example, ../shared reference data, tiny models, small file systems.

Tests import helpers from here one way only: ``from conftest import ...`` (pytest puts tests/ on the
path).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXAMPLE = ROOT / "examples" / "unoct-2019-09-26.en.txt"
GLOSSARY = ROOT / "glossaries" / "un-counter-terrorism.tbx"
# Decoding options that keep the tiny random models quick: MT quality is not what these tests test.
FAST = ["--beam", "2", "--max-length", "12", "--batch-size", "8", "--quiet"]


def run(
    *args: str, stdin: bytes | None = None, env: dict | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    """The ``workbench`` command in its own process, offline (tests never download)."""
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
    )


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "workbench.db"


def shared(*parts: str) -> Path:
    """A file of ../shared; its absence is a broken checkout, so fail loudly rather than skip."""
    path = SHARED.joinpath(*parts)
    assert path.exists(), f"reference data missing: {path} (clone with ../shared beside it)"
    return path


LANG_COLUMNS = ("en", "fr", "es", "ru", "zh", "ar")


def training_sentences(core_terms: bool = False) -> list[str]:
    """The seed speech and the six-language term list: every script the tiny models must know.

    ``core_terms`` adds every form of the core-glossary terms the seed speech names ("ladies and
    gentlemen": 女士们，先生们, señoras y señores), so that a model translating the seed speech can
    spell all its enforced terms (the session's tiny models are trained with them).
    """
    import csv

    speech = EXAMPLE.read_text(encoding="utf-8")
    lines = [line for line in speech.splitlines() if line.strip()]
    with shared("terms", "un_terms.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            lines.extend(row[c] for c in LANG_COLUMNS if row[c])
    if core_terms:
        from workbench import tbx
        from workbench.termmatch import Terminology

        core = Terminology([tbx.read(ROOT / "glossaries" / "un-core.tbx")])
        for concept in dict.fromkeys(m.concept.id for m in core.find(speech, "en")):
            for entry in core.glossaries[0].concept(concept).entries.values():
                lines.extend(entry.full + entry.abbr)
    return lines


def write_model_map(path: Path, en_x: Path, x_en: Path) -> Path:
    """A model map with no built-in defaults: en→5 languages direct, fr→en, nothing else."""
    path.write_text(
        "defaults = false\n"
        + "".join(f'[pairs.en-{t}]\nmodel = "{en_x}"\n' for t in ("fr", "es", "ru"))
        + f'[pairs.en-zh]\nmodel = "{en_x}"\ntarget_token = ">>cmn_Hans<<"\n'
        + f'[pairs.en-ar]\nmodel = "{en_x}"\ntarget_token = ">>ara<<"\n'
        + f'[pairs.fr-en]\nmodel = "{x_en}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """Tiny random-weight Marian (en→x multi-target, x→en), M2M100 and NLLB models, saved to disk."""
    from workbench.mt.synthetic import build_m2m100, build_marian, build_nllb

    root = tmp_path_factory.mktemp("models")
    sentences = training_sentences(core_terms=True)  # they translate the seed speech: all its terms
    return {
        "en-x": build_marian(root / "marian-en-x", sentences, target_tokens=[">>ara<<", ">>cmn_Hans<<"]),
        "x-en": build_marian(root / "marian-x-en", sentences, seed=1),
        "m2m100": build_m2m100(root / "m2m100", sentences),
        "nllb": build_nllb(root / "nllb", sentences),
    }


@pytest.fixture(scope="session")
def model_map(tiny_models, tmp_path_factory) -> Path:
    """A model map with no built-in defaults: en→5 languages direct, fr→en, nothing else."""
    path = tmp_path_factory.mktemp("maps") / "models.toml"
    return write_model_map(path, tiny_models["en-x"], tiny_models["x-en"])


REVIEWER = ("anna", "correct horse battery staple")
SECOND = ("boris", "another long passphrase")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def translated_seed(tmp_path_factory, model_map) -> Path:
    """The seed speech machine-translated into the five other languages, once per run: copy it
    (:func:`copy_store`, :func:`translated_store`) before changing anything."""
    from workbench.cli import main

    path = tmp_path_factory.mktemp("translated") / "wb.db"
    argv = ["translate", str(EXAMPLE), "--to", "all", "--model-map", str(model_map), "--store", str(path)]
    assert main([*argv, *FAST]) == 0
    return path


def copy_store(source: Path, target: Path) -> Path:
    """A consistent copy of a store (SQLite's backup, write-ahead log included)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


@pytest.fixture
def translated_store(translated_seed: Path, tmp_path: Path) -> Path:
    """The translated seed speech, this test's own copy."""
    return copy_store(translated_seed, tmp_path / "translated" / "wb.db")


@pytest.fixture(scope="session")
def review_server(tmp_path_factory, translated_seed, model_map):
    """One review server for the test run: the translated seed speech, login on."""
    from ui.app import Context, launch
    from workbench import users
    from workbench.glossary import load_all
    from workbench.mt.registry import load_map
    from workbench.termmatch import Terminology

    root = tmp_path_factory.mktemp("review")
    store = copy_store(translated_seed, root / "wb.db")
    accounts = root / "users"
    users.add(accounts, *REVIEWER)
    users.add(accounts, *SECOND)
    ctx = Context(store, Terminology(load_all()), model_map=load_map(model_map))
    port = free_port()
    app = launch(ctx, port=port, auth=users.load(accounts), block=False)
    yield {"url": f"http://127.0.0.1:{port}/", "store": store, "ctx": ctx}
    app.close()


@pytest.fixture(scope="session")
def terms():
    """The shipped UN glossary, as the pipeline loads it."""
    from workbench import tbx
    from workbench.termmatch import Terminology

    return Terminology([tbx.read(GLOSSARY)])


@pytest.fixture
def small_fs(tmp_path: Path):
    """A 1 MB tmpfs folder: a real file system that really fills up (mounting needs root)."""
    folder = tmp_path / "small"
    folder.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small file system with")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'})")
    yield folder
    subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(folder: Path) -> None:
    """Write a filler file into ``folder`` until its file system has no byte left."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)


def dump(store: Path) -> str:
    """Everything a store holds, as SQL text: equal dumps mean an unchanged store."""
    with closing(sqlite3.connect(store)) as db:
        return "\n".join(db.iterdump())
