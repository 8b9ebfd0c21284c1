"""Sentence segmentation on SRX 2.0 rules, paragraph by paragraph, losslessly.

Rules are consulted in this order, the first matching rule at a position deciding:

1. the user-editable exceptions of the language (``segment-exceptions/<lang>.txt``: one
   abbreviation a line, never followed by a break), turned into SRX ``break="no"`` rules;
2. the project rules ``data/srx/un.srx`` for the UN traps that stock rules get wrong
   (``para. 5``, ``п. 12``, ``M. Guterres``, ``。”``, ``《…》``, no split after a colon, …);
3. LanguageTool's ``segment.srx`` as shipped by choppa-srx.
"""

from __future__ import annotations

import os
import xml.sax
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex
from choppa import DEFAULT_SRX_RULESET, SrxDocument
from choppa.iterators import SrxTextIterator
from choppa.srx_parser import SRXHandler
from choppa.structures import LanguageRule, Rule

from . import langs
from .errors import WorkbenchError
from .model import Document, Segment

DATA_DIR = Path(__file__).parent / "data"
PROJECT_SRX = DATA_DIR / "srx" / "un.srx"
DEFAULT_EXCEPTIONS_DIR = DATA_DIR / "segment-exceptions"
EXCEPTIONS_ENV = "WORKBENCH_SEGMENT_EXCEPTIONS"


class RulesError(WorkbenchError):
    """A broken exceptions file or SRX file; the message names the file and line."""


@dataclass(frozen=True)
class Abbreviation:
    """One abbreviation after which a sentence never ends (optionally only before ``after``)."""

    abbreviation: str
    after: str = ""


def read_exceptions(path: Path) -> list[Abbreviation]:
    """Parse an exceptions file: ``abbr`` or ``abbr<TAB>regex-of-what-follows``; ``#`` comments."""
    entries: list[Abbreviation] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return entries
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot be read ({exc})") from None
    for number, line in enumerate(lines, 1):
        line = line.split(" #", 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        abbr, _, after = line.strip().partition("\t")
        after = after.strip()
        if after:
            try:
                regex.compile(after)
            except regex.error as exc:
                raise RulesError(f"{path}:{number}: bad regular expression '{after}' ({exc})") from None
        entries.append(Abbreviation(abbr, after))
    return entries


def _exception_rule(lang: str, entries: list[Abbreviation]) -> LanguageRule:
    rule = LanguageRule(f"exceptions-{lang}")
    for entry in entries:
        # Abbreviations are words: not preceded by a letter, so "No." does not fire inside "Geno.".
        before = r"(?<![\p{L}\p{N}])" + regex.escape(entry.abbreviation) + r"[\s\u00a0\u202f]+"
        rule.add_rule(Rule(False, before, entry.after or ""))
    return rule


def exceptions_dir() -> Path:
    """The active exceptions folder: ``$WORKBENCH_SEGMENT_EXCEPTIONS`` or the shipped one."""
    return Path(os.environ.get(EXCEPTIONS_ENV) or DEFAULT_EXCEPTIONS_DIR)


@lru_cache(maxsize=8)
def _srx_document(exceptions: Path, stamp: tuple[float, ...]) -> SrxDocument:
    """Build (and cache per exceptions folder and its files' mtimes) the cascaded rule set."""
    document = SrxDocument(ruleset=None)
    for code in langs.CODES:
        entries = read_exceptions(exceptions / f"{code}.txt")
        if entries:
            document.add_language_map(f"{code}_.*", _exception_rule(code, entries))
    for srx in (PROJECT_SRX, DEFAULT_SRX_RULESET):
        try:
            xml.sax.parse(str(srx), SRXHandler(document=document))
        except xml.sax.SAXParseException as exc:
            raise RulesError(f"{srx}:{exc.getLineNumber()}: {exc.getMessage()}") from None
    document.cascade = True
    return document


def _stamp(folder: Path) -> tuple[float, ...]:
    return tuple(
        (folder / f"{code}.txt").stat().st_mtime if (folder / f"{code}.txt").exists() else 0.0
        for code in langs.CODES
    )


class Segmenter:
    """Splits paragraph text of one language into sentence spans."""

    def __init__(self, lang: str, exceptions: str | Path | None = None):
        self.lang = langs.normalize(lang)
        folder = Path(exceptions) if exceptions else exceptions_dir()
        self._document = _srx_document(folder, _stamp(folder))
        # "_two": only a blank line is a hard break; paragraphs arrive without newlines anyway.
        self._code = f"{self.lang}_two"

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Offsets of each sentence in ``text``, edge whitespace excluded.

        The SRX pieces join back to ``text`` exactly; the spans are those pieces without the
        whitespace at their edges, so the text between spans is only whitespace.
        """
        spans: list[tuple[int, int]] = []
        pos = 0
        for piece in SrxTextIterator(self._document, self._code, text):
            start, end = pos, pos + len(piece)
            pos = end
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                spans.append((start, end))
        if pos != len(text):  # the engine promises losslessness; refuse silently lost text
            raise RuntimeError(f"segmentation lost text at offset {pos} of {len(text)}")
        return spans

    def split(self, text: str) -> list[str]:
        """The sentences of ``text`` as strings."""
        return [text[s:e] for s, e in self.spans(text)]


def segment_document(
    document: Document, exceptions: str | Path | None = None, raw_map: list[int] | None = None
) -> Document:
    """Fill every paragraph of ``document`` with its segments (in place) and return it.

    ``raw_map`` (the raw-file offset of each character of ``document.text``, from ingest) sets
    each segment's ``raw_start``/``raw_end``.
    """
    segmenter = Segmenter(document.lang, exceptions)
    index = 0
    for paragraph in document.paragraphs:
        text = document.text[paragraph.start : paragraph.end]
        paragraph.segments = []
        for s, e in segmenter.spans(text):
            start, end = paragraph.start + s, paragraph.start + e
            raw = (raw_map[start], raw_map[end - 1] + 1) if raw_map else (start, end)
            paragraph.segments.append(
                Segment(index, paragraph.index, start, end, document.text[start:end], *raw)
            )
            index += 1
    return document
