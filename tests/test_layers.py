"""Rules of the code's layout that a test can hold: only the store runs SQL."""

from __future__ import annotations

import re

from conftest import ROOT

# A statement keyword in capitals (how this code writes SQL), a cursor call, or the driver itself.
SQL = re.compile(
    r"\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE (TABLE|INDEX|TRIGGER|VIRTUAL)|ALTER TABLE|PRAGMA"
    r"|BEGIN|COMMIT|ROLLBACK|SAVEPOINT)\b|\.execute(many|script)?\(|\bsqlite3\b"
)
STORE = ROOT / "workbench" / "store.py"


def sql_outside_the_store() -> list[str]:
    found = []
    for path in sorted([*(ROOT / "workbench").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]):
        if path == STORE:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_only_the_store_runs_sql():
    assert sql_outside_the_store() == []


def test_the_search_finds_sql():
    """The rule above can fail: the same search over a module that queries the store finds it."""
    assert SQL.search('rows = store.db.execute("SELECT id FROM memories WHERE sha256 = ?", (d,))')
    assert SQL.search("        import sqlite3")
    assert not SQL.search("    def select(self, rows: list[int]) -> None:  # update the selection")
