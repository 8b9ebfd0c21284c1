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
