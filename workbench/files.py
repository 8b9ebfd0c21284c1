"""Files written whole or not at all.

Every file the workbench writes for someone else (TMX, XLIFF, TBX, the users file, the exports of the
review interface) goes through :func:`replacing`: the bytes go to a temporary file in the target's
folder (so the final rename never crosses file systems), are flushed and fsynced, and only then
replace the target. On any failure (a full disk, a folder where the file should be) the old file is
untouched and the temporary is removed; the error names the target, as an :class:`InputError`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from .errors import InputError


@contextmanager
def replacing(path: str | Path, mode: int = 0o666) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content into; it replaces ``path`` when the block ends.

    ``mode`` is the new file's permissions before the umask (0o600 for a file of secrets).
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a folder; give a file name")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:  # os.open, not mkstemp, so that the umask applies as to any other new file
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise InputError(path, f"cannot be written ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(
                path, f"cannot be written ({exc.strerror or exc}); any old file is unchanged"
            ) from None
        raise


def folder(path: str | Path) -> Path:
    """``path`` as a folder, made with its parents where missing (an export's destination)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(path, f"cannot be made a folder ({exc.strerror})") from None
    return path


def write_xml(tree: etree._ElementTree, path: str | Path, doctype: str | None = None) -> None:
    """Write ``tree`` as UTF-8 XML with a declaration, whole or not at all."""
    with replacing(path) as out:
        tree.write(out, xml_declaration=True, encoding="UTF-8", pretty_print=True, doctype=doctype)


def write_text(path: str | Path, text: str, mode: int = 0o666) -> None:
    """Write ``text`` as UTF-8, whole or not at all."""
    with replacing(path, mode) as out:
        out.write(text.encode("utf-8"))
