"""The plain data model every step of the workbench reads and writes.

Offsets: ``Document.text`` is the normalised text (NFC, Markdown emphasis and hard line breaks
removed, paragraphs joined by a blank line). ``Paragraph.start/end`` and ``Segment.start/end`` index
into it, so ``doc.text[seg.start:seg.end] == seg.text``; ``Paragraph.raw_start/raw_end`` point back
into the decoded original file, so a reviewer can always be shown where a sentence came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """Review status of a translation; maps one-to-one onto XLIFF 2 states (design.md §9)."""

    DRAFT = "draft"
    TRANSLATED = "translated"
    REVIEWED = "reviewed"
    APPROVED = "approved"


class Origin(StrEnum):
    """Where a translation came from."""

    MT = "mt"
    TM = "tm"
    HUMAN = "human"
    ALIGNED = "aligned"


@dataclass
class Segment:
    """One sentence (or heading) of a paragraph."""

    index: int  # position in the document, 0-based
    paragraph: int  # index of its paragraph
    start: int
    end: int
    text: str
    raw_start: int = 0
    raw_end: int = 0
    id: int | None = None


@dataclass
class Paragraph:
    """A paragraph of the normalised text; segments never cross one."""

    index: int
    start: int
    end: int
    raw_start: int
    raw_end: int
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Document:
    """A speech in one UN language, as paragraphs of segments."""

    name: str
    lang: str
    text: str
    paragraphs: list[Paragraph]
    sha256: str
    source_path: str | None = None
    id: int | None = None
    created_at: str | None = None

    @property
    def segments(self) -> list[Segment]:
        return [s for p in self.paragraphs for s in p.segments]


@dataclass
class Translation:
    """The translation of one segment into one language, with its review state."""

    segment_id: int
    lang: str
    text: str
    origin: Origin
    status: Status
    engine: str | None = None  # model id, "tm", or the reviewer's tool
    version: int = 1  # bumped on every change; a save must name the version it edited
    updated_by: str | None = None
    updated_at: str | None = None
    id: int | None = None
    confidence: float | None = None  # of the alignment bead, for origin "aligned"

    @property
    def persons_work(self) -> bool:
        """Written or passed by a person: no machine writer (MT, TM, alignment) replaces it."""
        return persons_work(self.origin, self.status)


def persons_work(origin: Origin, status: Status) -> bool:
    """The one rule of what a machine may not overwrite: a person's text, or a reviewed one."""
    return origin == Origin.HUMAN or status in (Status.REVIEWED, Status.APPROVED)


@dataclass
class HistoryEntry:
    """One change to a translation: who, when, and the text and status before and after."""

    translation_id: int
    version: int
    old_text: str | None
    new_text: str
    old_status: Status | None
    new_status: Status
    who: str | None
    at: str
    id: int | None = None


@dataclass(frozen=True)
class Flag:
    """One finding of the QA checks on a translation (stored with it, shown to reviewers)."""

    code: str  # term, forbidden, numbers, untranslated, empty, punctuation, length, inconsistent
    severity: str  # error, warning or info
    message: str
    concept: str | None = None  # glossary concept id, for term flags
    mark: str | None = None  # present, forced, missing, suggested, forbidden
