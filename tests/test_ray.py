"""The Ray executor: the same store as the local one, and no segment lost or doubled when a worker dies."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, shared

from workbench.cli import main

FAST = ["--beam", "2", "--max-length", "12", "--quiet"]
LANGS = ("ar", "zh", "fr", "ru", "es")


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance with two worker CPUs for this module."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def speeches(tmp_path: Path) -> list[str]:
    extra = tmp_path / "short.en.txt"
    extra.write_text(
        "The Secretary-General thanked the Member States.\n\nCivil society took part.", encoding="utf-8"
    )
    return [str(EXAMPLE), str(shared("tmx", "speech_en.txt")), str(extra)]


def contents(db: Path) -> dict:
    rows = sqlite3.connect(db).execute(
        "SELECT d.name, s.idx, t.lang, t.text FROM translations t JOIN segments s ON s.id = t.segment_id"
        " JOIN documents d ON d.id = s.document_id"
    )
    return {(name, idx, lang): text for name, idx, lang, text in rows}


def test_ray_gives_the_same_store_as_the_local_executor(ray_cluster, tmp_path, model_map):
    docs = speeches(tmp_path)
    local, distributed = tmp_path / "local.db", tmp_path / "ray.db"
    common = ["--to", "all", "--model-map", str(model_map), *FAST]
    assert main(["translate", *docs, *common, "--store", str(local)]) == 0
    assert (
        main(
            ["translate", *docs, *common, "--store", str(distributed), "--executor", "ray", "--workers", "2"]
        )
        == 0
    )
    ours, theirs = contents(local), contents(distributed)
    assert len(ours) == 5 * sum(1 for _ in ours if _[2] == "fr") and ours == theirs


def _ray_workers() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"ray::Worker" in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def test_a_worker_killed_mid_job_is_replaced_and_nothing_is_doubled(ray_cluster, tmp_path, model_map):
    docs = speeches(tmp_path)
    db = tmp_path / "wb.db"
    killed: list[int] = []

    def killer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            stored = 0
            if db.exists():
                try:
                    stored = sqlite3.connect(db).execute("SELECT COUNT(*) FROM translations").fetchone()[0]
                except sqlite3.Error:
                    stored = 0
            workers = _ray_workers()
            if stored and workers:  # the job is under way: kill a worker in the middle of it
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
            time.sleep(0.2)

    thread = threading.Thread(target=killer)
    thread.start()
    argv = ["translate", *docs, "--to", "all", "--model-map", str(model_map), *FAST, "--store", str(db),
            "--executor", "ray", "--workers", "2"]  # fmt: skip
    assert main(argv) == 0
    thread.join()
    assert killed, "no worker was killed: the test did not test anything"
    con = sqlite3.connect(db)
    segments = con.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
    assert dict(con.execute("SELECT lang, COUNT(*) FROM translations GROUP BY lang").fetchall()) == {
        lang: segments for lang in LANGS
    }
    assert con.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 5 * segments  # each exactly once
    assert con.execute("SELECT MAX(version) FROM translations").fetchone()[0] == 1
