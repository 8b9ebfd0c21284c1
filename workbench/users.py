"""Reviewer accounts for the review interface: a file of ``name:pbkdf2_sha256$rounds$salt$hash`` lines.

Passwords are never stored in clear; ``workbench users add FILE NAME`` appends or replaces a line.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from pathlib import Path

from .errors import InputError, UsageError
from .files import write_text

ROUNDS = 200_000


def hash_password(password: str, salt: bytes | None = None, rounds: int = ROUNDS) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, rounds)
    return f"pbkdf2_sha256${rounds}${salt.hex()}${digest.hex()}"


def load(path: str | Path) -> dict[str, str]:
    """name → password hash."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(path, f"cannot read the users file ({exc.strerror})") from None
    users = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not name.strip() or stored.count("$") != 3 or not stored.startswith("pbkdf2_sha256$"):
            raise InputError(path, "expected 'name:pbkdf2_sha256$…' (use 'workbench users add')", number)
        try:
            check_name(name.strip())
        except UsageError as exc:
            raise InputError(path, str(exc), number) from None
        users[name.strip()] = stored.strip()
    if not users:
        raise InputError(path, "no users")
    return users


def verify(users: dict[str, str], name: str, password: str) -> bool:
    stored = users.get(name)
    if stored is None:
        hash_password(password, b"0" * 16)  # the same work for unknown names: no timing hint
        return False
    _, rounds, salt, _ = stored.split("$")
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt), int(rounds)), stored)


def check_name(name: str) -> None:
    """Refuse a name that would break the file or the logs: ':' ends a name, control and line
    separator characters split or hide lines, outer spaces are lost when the file is read."""
    bad = sorted({c for c in name if c == ":" or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")})
    if not name or name != name.strip() or bad:
        shown = ", ".join(f"U+{ord(c):04X}" for c in bad) or "spaces around it"
        raise UsageError(f"{name!r}: not a usable user name ({shown}); use letters, digits, '.', '-', '_'")


def add(path: str | Path, name: str, password: str) -> None:
    """Add or replace ``name`` in the users file, owner-only from its first byte (never briefly readable
    by others), written whole beside it and then renamed over the old one."""
    check_name(name)
    if not password:
        raise UsageError(f"{name}: a user needs a password")
    path = Path(path)
    users = load(path) if path.exists() and path.read_text(encoding="utf-8").strip() else {}
    users[name] = hash_password(password)
    write_text(path, "".join(f"{n}:{h}\n" for n, h in users.items()), mode=0o600)
