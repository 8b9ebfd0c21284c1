"""Every bound on the work one input can cause, in one place (see ``docs/security.md``).

Each limit can be changed without editing code through an environment variable named
``WORKBENCH_`` + the field name in capitals (``WORKBENCH_COMMENT_CHARS=20000``), read when the
process starts. Code reads :data:`LIMITS` at the moment it checks, so tests may replace it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The caps; the comments say why each value is enough for real UN documents."""

    text_bytes: int = 20 * MB  # a .txt file, and a .docx's extracted text (a long report is ~1 MB)
    paragraphs: int = 100_000  # per document (a long report has a few thousand)
    docx_unpacked_bytes: int = 200 * MB  # a .docx's ZIP members together, checked before unpacking
    xml_bytes: int = 200 * MB  # a TBX, TMX or XLIFF file
    upload_bytes: int = 20 * MB  # one file sent to the review server
    target_chars: int = 20_000  # one segment's translation saved by a reviewer
    comment_chars: int = 5_000  # one reviewer comment
    login_failures: int = 5  # failed logins per user name and per address in login_window_s …
    login_window_s: int = 60  # … before further attempts are refused for login_lockout_s,
    login_lockout_s: int = 60  # doubled on each further lockout (at most 16 times)
    login_delay_s: int = 1  # a failed or refused login is answered this late: floods slow to a trickle
    lease_s: int = 300  # a translate job's claim on segments, renewed while it works

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ = os.environ) -> Limits:
        """The defaults, with any ``WORKBENCH_<FIELD>`` variables applied (a bad value is an error)."""
        values = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f"WORKBENCH_{f.name.upper()}")
            if raw is None:
                continue
            try:
                values[f.name] = int(raw)
            except ValueError:
                raise ValueError(f"WORKBENCH_{f.name.upper()}={raw!r}: expected a whole number") from None
            if values[f.name] <= 0:
                raise ValueError(f"WORKBENCH_{f.name.upper()}={raw!r}: must be positive")
        return cls(**values)


LIMITS = Limits.from_env()
