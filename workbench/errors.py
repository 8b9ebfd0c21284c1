"""The errors that are the user's to fix, under one root.

The command line catches :class:`WorkbenchError` and prints its message as one line with exit code 2;
anything else is a bug and stays a traceback, so bugs remain visible. Raise the narrowest class:
:class:`InputError` when a file (or a value read from one) is at fault, so that the message always
names the file; the other classes exist because a caller treats them differently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class WorkbenchError(Exception):
    """A problem the user can fix; its message is one line that says what is wrong."""


class InputError(WorkbenchError, ValueError):
    """A file that cannot be used: ``path:line: problem`` (the line when it is known)."""

    def __init__(self, path: str | Path, problem: str, line: int | None = None):
        self.path, self.problem, self.line = str(path), problem, line
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")


class UsageError(WorkbenchError, ValueError):
    """An option, value or combination of them that cannot work (not a file's fault)."""


class NotFoundError(WorkbenchError, LookupError):
    """A document, segment or translation that is not in the store."""


class ConflictError(WorkbenchError):
    """A save on a translation that someone else changed since it was read; ``current`` is theirs."""

    def __init__(self, message: str, current: Any):
        super().__init__(message)
        self.current = current
