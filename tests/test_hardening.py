"""Bounded and private by default: user names, file modes, commands that must not create a store."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from conftest import EXAMPLE

from workbench import users
from workbench.cli import main
from workbench.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The most permissive umask, so only explicit modes keep files private."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.parametrize(
    "name", ["mallory\nadmin", "eve:admin", "tab\there", "bell\x07", "line\u2028sep", " anna"]
)
def test_user_names_that_would_corrupt_the_file_are_refused(tmp_path, capsys, name):
    accounts = tmp_path / "users"
    users.add(accounts, "anna", "a long passphrase")
    before = accounts.read_bytes()
    argv = ["users", "add", str(accounts), name, "--password-stdin"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdin", __import__("io").StringIO("another passphrase\n"))
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a usable user name" in err
    assert accounts.read_bytes() == before and users.load(accounts).keys() == {"anna"}


def test_the_users_file_is_owner_only_from_its_first_byte(tmp_path, monkeypatch, open_umask):
    accounts = tmp_path / "users"
    renamed = []
    original = os.replace

    def watching(src, dst):
        renamed.append((mode(Path(src)), Path(src).read_text(encoding="utf-8").count("\n")))
        original(src, dst)

    monkeypatch.setattr(os, "replace", watching)
    users.add(accounts, "anna", "a long passphrase")
    users.add(accounts, "boris", "another passphrase")
    assert renamed == [(0o600, 1), (0o600, 2)]  # written whole in a 0600 file, then renamed into place
    assert mode(accounts) == 0o600 and sorted(p.name for p in tmp_path.iterdir()) == ["users"]


def test_the_store_its_folder_logs_and_exports_are_owner_only(tmp_path, open_umask):
    store = tmp_path / "data" / "wb.db"
    assert main(["ingest", str(EXAMPLE), "--store", str(store)]) == 0
    assert mode(store.parent) == 0o700 and mode(store) == 0o600
    assert all(mode(p) & 0o077 == 0 for p in store.parent.iterdir())  # the WAL files too
    out = tmp_path / "out" / "memory.tmx"
    assert main(["export", "1", "--tmx", str(out), "--status", "all", "--store", str(store)]) == 0
    assert mode(out) & 0o077 == 0
    with Store(tmp_path / "library" / "wb.db"):  # the library on its own, whatever the umask
        pass
    assert mode(tmp_path / "library") == 0o700 and mode(tmp_path / "library" / "wb.db") == 0o600


def test_a_configured_umask_is_honoured(tmp_path, monkeypatch, open_umask):
    monkeypatch.setenv("WORKBENCH_UMASK", "027")
    out = tmp_path / "out.tmx"
    store = tmp_path / "wb.db"
    assert main(["ingest", str(EXAMPLE), "--store", str(store)]) == 0
    assert main(["export", "1", "--tmx", str(out), "--status", "all", "--store", str(store)]) == 0
    assert mode(out) == 0o640


@pytest.mark.parametrize(
    "command",
    [
        ["show", "1"],
        ["check", "1"],
        ["export", "1", "--tmx", "x.tmx"],
        ["tm", "list"],
        ["tm", "search", "The Council met today.", "--lang", "en", "--to", "fr"],
    ],
)
def test_read_only_commands_never_create_a_store(tmp_path, capsys, command):
    missing = tmp_path / "nonexistent" / "x.db"
    assert main([*command, "--store", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{missing}: no store here" in err
    assert not missing.parent.exists()


def test_a_lease_keeps_others_out_until_it_expires(tmp_path, monkeypatch):
    from workbench import store as store_module

    clock = [1000.0]
    monkeypatch.setattr(store_module.time, "time", lambda: clock[0])
    with Store(tmp_path / "wb.db") as store:
        ingest_example(store)
        a, b, c = (s.id for s in store.document(1).segments[:3])
        assert store.claim([a, b], "fr", "job-1", 60) == [a, b]
        assert store.claim([a, b, c], "fr", "job-2", 60) == [c]  # the others are job-1's
        assert store.claim([a], "es", "job-2", 60) == [a]  # a lease is per language
        assert store.claim([a, b], "fr", "job-1", 60) == [a, b]  # a holder may claim again
        clock[0] += 61  # job-1 died without releasing: its leases run out
        assert store.claim([a, b, c], "fr", "job-2", 60) == [a, b, c]
        store.release("job-2")
        assert store.claim([a, b, c], "fr", "job-3", 60) == [a, b, c]


def ingest_example(store: Store) -> None:
    from workbench import ingest

    ingest.ingest_file(store, EXAMPLE)


def test_two_jobs_on_one_store_translate_disjoint_sets_that_cover_everything(tmp_path, model_map):
    """Job A claims its first part of the French and is held there until job B has finished: B leaves
    A's part to A and does all the rest; then A finishes its part and finds the rest done. Each
    summary counts only what that job stored."""
    import threading

    from workbench.mt.registry import load_map
    from workbench.translate import Options, translate_documents

    path = tmp_path / "wb.db"
    with Store(path) as store:
        ingest_example(store)
    targets = ["fr", "es"]
    options = Options(beam=1, max_length=8, batch_size=2, lease_batches=4)  # parts of 8 segments
    b_done = threading.Event()
    results: dict[str, list] = {}

    def held_after_first_batch(label: str, total: int):
        def advance(n: int) -> None:
            b_done.wait(300)  # job A stops here, its part claimed, until job B is through

        return advance

    def job(name: str, progress) -> None:
        with Store(path) as store:
            results[name] = translate_documents(store, [1], targets, load_map(model_map), options, progress)

    a = threading.Thread(target=job, args=("a", held_after_first_batch))
    a.start()
    try:
        with Store(path) as store:
            while not store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0]:
                threading.Event().wait(0.05)
        job("b", None)
    finally:
        b_done.set()
        a.join(600)
    did = {name: {st.lang: st.from_tm + st.from_mt for st in stats} for name, stats in results.items()}
    assert did["a"]["fr"] == 8 and did["b"]["fr"] == 26 - 8  # disjoint, and between them all of it
    assert did["a"]["es"] == 0 and did["b"]["es"] == 26
    b_fr = next(st for st in results["b"] if st.lang == "fr")
    # B's summary shows what it left to A: A's part, less the batch A may have stored before B began
    assert b_fr.done_before + b_fr.elsewhere == 8 and b_fr.elsewhere >= 6
    with Store(path) as store:
        assert all(len(store.translations(1, lang)) == 26 for lang in targets)
        assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0  # both released


def test_a_killed_job_on_this_machine_frees_its_segments_at_once(tmp_path):
    import socket
    import subprocess
    import sys

    from workbench.translate import Lease

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with Store(tmp_path / "wb.db") as store:
        ingest_example(store)
        segments = store.document(1).segments[:3]
        ids = [s.id for s in segments]
        store.claim(ids[:2], "fr", f"{socket.gethostname()}:{dead.pid}:0", 300)
        store.claim(ids[2:], "fr", f"{socket.gethostname()}:{os.getpid()}:1", 300)  # alive: this process
        assert [s.id for s in Lease(store).claim(segments, "fr")] == ids[:2]
