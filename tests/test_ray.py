"""The Ray executor: the same store as the local one, and no segment lost or doubled when a worker dies."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE, FAST, ROOT, shared

from workbench import ingest
from workbench.cli import main
from workbench.store import Store

pytestmark = pytest.mark.ray
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


def test_stored_pivot_translations_are_used_by_both_executors(ray_cluster, tmp_path, model_map):
    """fr→ru goes through English: reviewed English translations replace the machine pivot, on Ray
    as locally. With every segment's English stored, the fr→en model is never needed, so it is
    mapped to a folder that does not exist: a job that translated the pivot anyway would fail."""
    from workbench import ingest
    from workbench.model import Origin, Status
    from workbench.store import Store

    speech = tmp_path / "discours.fr.txt"
    speech.write_text(
        "Le Secrétaire général a ouvert la séance.\n\nLes États Membres ont adopté la résolution.\n\n"
        "Nous remercions le Bélarus.",
        encoding="utf-8",
    )
    english = ["The Secretary-General opened the meeting.", "Member States adopted the resolution.",
               "We thank Belarus."]  # fmt: skip
    pivotless = tmp_path / "models.toml"
    pivotless.write_text(
        re.sub(r'(\[pairs\.fr-en\]\nmodel = )"[^"]*"', rf'\1"{tmp_path / "absent"}"', model_map.read_text()),
        encoding="utf-8",
    )
    assert str(tmp_path / "absent") in pivotless.read_text()
    russian = {}
    for name, executor in [("local", []), ("ray", ["--executor", "ray", "--workers", "2"])]:
        db = tmp_path / f"{name}.db"
        with Store(db) as store:
            for segment, text in zip(ingest.ingest_file(store, speech, "fr").segments, english, strict=True):
                store.put_translation(segment.id, "en", text, origin=Origin.HUMAN, status=Status.REVIEWED,
                                      who="anna")  # fmt: skip
        argv = ["translate", str(speech), "--to", "ru", "--model-map", str(pivotless), "--store", str(db)]
        assert main([*argv, *FAST, *executor]) == 0, name
        with Store(db) as store:
            russian[name] = [t.text for t in store.translations(1, "ru")]
    assert len(russian["local"]) == 3 and russian["ray"] == russian["local"]


def test_a_driver_killed_mid_job_keeps_finished_units_and_a_rerun_completes(ray_cluster, tmp_path, model_map):
    """The driver owns the store: killed after some units are written, the store holds whole units
    only, and the same command run again finishes the rest, each segment translated once."""
    import ray

    docs = speeches(tmp_path)
    db = tmp_path / "wb.db"
    argv = [sys.executable, "-m", "workbench.cli", "translate", *docs, "--to", "all", "--model-map",
            str(model_map), *FAST, "--store", str(db), "--executor", "ray", "--workers", "2",
            "--address", ray.get_runtime_context().gcs_address]  # fmt: skip
    driver = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline, stored = time.monotonic() + 300, 0
    while time.monotonic() < deadline and driver.poll() is None and not stored:
        try:
            stored = sqlite3.connect(db).execute("SELECT COUNT(*) FROM translations").fetchone()[0]
        except sqlite3.Error:
            stored = 0
        time.sleep(0.05)
    assert driver.poll() is None, "the job ended before it could be killed: the test tested nothing"
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    segments = dict(
        con.execute(
            "SELECT d.id, COUNT(*) FROM segments s JOIN documents d ON d.id = s.document_id GROUP BY d.id"
        ).fetchall()
    )
    units = con.execute(
        "SELECT s.document_id, t.lang, COUNT(*) FROM translations t JOIN segments s ON s.id = t.segment_id"
        " GROUP BY s.document_id, t.lang"
    ).fetchall()
    assert units and all(n == segments[doc] for doc, _, n in units)  # whole units, nothing partial
    before = len(units)
    con.close()
    rerun = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    con = sqlite3.connect(db)
    total = sum(segments.values())
    assert dict(con.execute("SELECT lang, COUNT(*) FROM translations GROUP BY lang").fetchall()) == {
        lang: total for lang in LANGS
    }
    assert con.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 5 * total  # each exactly once
    assert before < 5 * len(segments)  # the kill came before the end: the rerun had work to do


def test_both_executors_log_the_forms_a_model_cannot_spell(ray_cluster, tmp_path, model_map):
    """The dropped-term warning comes from the one job loop, whichever executor ran the unit."""
    speech = tmp_path / "short.en.txt"
    speech.write_text("Civil society took part.", encoding="utf-8")
    glossary = tmp_path / "omega.tsv"
    # a French form that no tiny vocabulary can spell
    glossary.write_text("id\ten\tfr\nomega\tCivil society\tΩΨΦ\n", encoding="utf-8")
    for name, executor in [("local", []), ("ray", ["--executor", "ray", "--workers", "2"])]:
        log, db = tmp_path / f"{name}.log", tmp_path / f"{name}.db"
        argv = ["translate", str(speech), "--lang", "en", "--to", "fr", "--model-map", str(model_map),
                "--glossary", str(glossary), "--no-default-glossaries", "--store", str(db),
                "--log", str(log)]  # fmt: skip
        assert main([*argv, *FAST, *executor]) == 0, name
        assert "the model cannot spell 'ΩΨΦ' (fr)" in log.read_text(encoding="utf-8"), name
        with Store(db) as store:
            (translation,) = store.translations(1, "fr")
            assert [f.mark for f in store.flags(translation.id) if f.code == "term"] == ["missing"], name


def test_a_unit_failing_with_a_runtime_error_is_counted_alike_by_both_executors(
    ray_cluster, tmp_path, model_map, caplog
):
    """An error inside a unit (out of memory, say; here torch refusing -1 threads when the worker loads
    the model) ends that unit only: logged, its segments counted as failed and left to do, locally and
    on Ray, where the worker's RuntimeError comes back to the driver."""
    from workbench.distributed import ray_executor
    from workbench.mt.registry import load_map
    from workbench.translate import Options, run_job, translate_documents

    options = Options(beam=2, max_length=12, threads=-1)

    def on_ray(*args):
        with ray_executor(options) as execute:
            return run_job(*args, execute)

    for name, run in [("local", translate_documents), ("ray", on_ray)]:
        with Store(tmp_path / f"{name}.db") as store:
            document = ingest.ingest_file(store, EXAMPLE, "en")
            caplog.clear()
            (stats,) = run(store, [document.id], ["fr"], load_map(model_map), options)
            assert (stats.failed, stats.from_mt) == (len(document.segments), 0), name
            assert store.translations(document.id) == [], name
            assert "set_num_threads expects a positive integer" in caplog.text, name
