"""Sentence segmentation on SRX 2.0 rules, paragraph by paragraph, losslessly.

Rules are consulted in this order; at each place where some rule would break, the first rule
that matches there decides (SRX cascade semantics):

1. the user-editable exceptions of the language (``segment-exceptions/<lang>.txt``), one
   abbreviation a line with an optional context rule on what follows (a number, a lower-case
   word, a capital, …) that keeps the sentence whole (``keep``, the default) or ends it
   (``split``);
2. the project rules ``data/srx/un.srx`` for UN conventions that stock rules get wrong
   (``para. 5``, ``п. 12``, ``в 2019 г. Совет``, ``млн долл. США``, ``M. Guterres``, ``。”``,
   ``《…》``, headings ``IV. Title``, no split after a colon, …);
3. LanguageTool's ``segment.srx`` as shipped by choppa-srx.

:meth:`Segmenter.explain` reports, for every place a break rule matched, whether the break was
kept or refused and which rule (file and line, or exceptions entry) decided it.
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
from choppa.rule_matcher import RuleMatcher
from choppa.srx_parser import SRXHandler
from choppa.structures import LanguageRule, Rule

from . import langs
from .errors import WorkbenchError
from .model import Document, Segment

DATA_DIR = Path(__file__).parent / "data"
PROJECT_SRX = DATA_DIR / "srx" / "un.srx"
DEFAULT_EXCEPTIONS_DIR = DATA_DIR / "segment-exceptions"
EXCEPTIONS_ENV = "WORKBENCH_SEGMENT_EXCEPTIONS"

# Words usable in the context column of an exceptions file, for what follows the abbreviation.
CONTEXTS = {
    "number": r"\p{N}",
    "lower": r"\p{Ll}",
    "capital": r"\p{Lu}",
    "roman": r"[IVXLCDM]+\b",
    "quote": r"[\"“”«‘’(\[]",
}
_SPACE = r"[\s\u00a0\u202f]+"
_COMMENT = regex.compile(r"[ \t]#")


class RulesError(WorkbenchError):
    """A broken exceptions file or SRX file; the message names the file and line."""


@dataclass(frozen=True)
class Abbreviation:
    """One exceptions-file entry: after ``abbreviation``, when ``after`` follows (any text if
    empty), the sentence is kept whole, or ended when ``split``."""

    abbreviation: str
    after: str = ""
    split: bool = False
    line: int = 0


@dataclass(frozen=True)
class Decision:
    """A place where a break rule matched: ``split`` tells whether the sentence ended there;
    ``rule`` names the rule that decided (file:line and rule set, or exceptions entry) and
    ``pattern`` shows it."""

    position: int
    split: bool
    rule: str
    pattern: str

    def context(self, text: str, width: int = 24) -> str:
        """The text around the position, ``⏐`` marking it, on one line."""
        left = text[max(0, self.position - width) : self.position]
        right = text[self.position : self.position + width]
        return " ".join(f"{left}⏐{right}".split())


def _context(value: str, path: Path, number: int) -> str:
    words = value.split()
    if words and all(word in CONTEXTS for word in words):
        return "|".join(CONTEXTS[word] for word in words)
    try:
        regex.compile(value)
    except regex.error as exc:
        raise RulesError(f"{path}:{number}: bad regular expression '{value}' ({exc})") from None
    return value


def read_exceptions(path: Path) -> list[Abbreviation]:
    """Parse an exceptions file: ``abbr[<TAB>context[<TAB>keep|split]]``; ``#`` starts a comment.

    ``context`` is a regular expression or words among ``number lower capital roman quote``.
    """
    entries: list[Abbreviation] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return entries
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot be read ({exc})") from None
    for number, line in enumerate(lines, 1):
        line = _COMMENT.split(line, 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        abbr, after, action = [*line.strip().split("\t", 2), "", ""][:3]
        abbr = abbr.strip()
        action = action.strip() or "keep"
        if action not in ("keep", "split"):
            raise RulesError(f"{path}:{number}: third column must be 'keep' or 'split', not '{action}'")
        after = _context(after.strip(), path, number) if after.strip() else ""
        if action == "split" and not after:
            raise RulesError(f"{path}:{number}: a 'split' entry needs a context (what follows)")
        entries.append(Abbreviation(abbr, after, action == "split", number))
    return entries


def _exception_rule(lang: str, path: Path, entries: list[Abbreviation], origins: dict) -> LanguageRule:
    rule = LanguageRule(f"exceptions-{lang}")
    for entry in entries:
        # Abbreviations are words: not preceded by a letter, so "No." does not fire inside "Geno.".
        before = r"(?<![\p{L}\p{N}])" + regex.escape(entry.abbreviation) + _SPACE
        srx_rule = Rule(entry.split, before, entry.after)
        rule.add_rule(srx_rule)
        action = "split" if entry.split else "keep"
        origins[id(srx_rule)] = f"{path}:{entry.line} ({action} after '{entry.abbreviation}')"
    return rule


class _Document(SrxDocument):
    """choppa's rule set, with its pattern cache keyed by the pattern alone: choppa formats its
    regex-flag enum into the key on every lookup, twice per rule per text, which cost about a
    seventh of the segmentation time (the flags never change within a document)."""

    def __init__(self) -> None:
        super().__init__(ruleset=None)
        self._compiled: dict[str, regex.Pattern] = {}

    def compile(self, pattern: str) -> regex.Pattern:
        compiled = self._compiled.get(pattern)
        if compiled is None:
            compiled = self._compiled[pattern] = super().compile(pattern)
        return compiled


class _LocatingHandler(SRXHandler):
    """choppa's SRX parser, also noting the file and line of every rule for ``explain``."""

    def __init__(self, document: SrxDocument, path: Path, origins: dict):
        super().__init__(document=document)
        self._path, self._origins, self._line = path, origins, 0

    def startElement(self, name, attrs):  # SAX API name
        if name == "rule":
            self._line = self._locator.getLineNumber()
        super().startElement(name, attrs)

    def endElement(self, name):  # SAX API name
        super().endElement(name)
        if name == "rule" and self.language_rule is not None:
            rule = self.language_rule.rules[-1]
            self._origins[id(rule)] = f"{self._path}:{self._line} ({self.language_rule.name})"


def exceptions_dir() -> Path:
    """The active exceptions folder: ``$WORKBENCH_SEGMENT_EXCEPTIONS`` or the shipped one."""
    return Path(os.environ.get(EXCEPTIONS_ENV) or DEFAULT_EXCEPTIONS_DIR)


@lru_cache(maxsize=8)
def _srx_document(exceptions: Path, stamp: tuple[float, ...]) -> tuple[SrxDocument, dict[int, str]]:
    """Build (and cache per exceptions folder and its files' mtimes) the cascaded rule set,
    with the origin (file:line) of every rule, keyed by the rule object's id."""
    document = _Document()
    origins: dict[int, str] = {}
    for code in langs.CODES:
        path = exceptions / f"{code}.txt"
        entries = read_exceptions(path)
        if entries:
            document.add_language_map(f"{code}_.*", _exception_rule(code, path, entries, origins))
    for srx in (PROJECT_SRX, Path(DEFAULT_SRX_RULESET)):
        try:
            xml.sax.parse(str(srx), _LocatingHandler(document, srx, origins))
        except xml.sax.SAXParseException as exc:
            raise RulesError(f"{srx}:{exc.getLineNumber()}: {exc.getMessage()}") from None
    document.cascade = True
    return document, origins


def _stamp(folder: Path) -> tuple[float, ...]:
    return tuple(
        (folder / f"{code}.txt").stat().st_mtime if (folder / f"{code}.txt").exists() else 0.0
        for code in langs.CODES
    )


class _ExplainingIterator(SrxTextIterator):
    """The SRX iterator, recording each break it weighs and the rule that decided it."""

    def __init__(self, document: SrxDocument, code: str, text: str, refusers: dict):
        super().__init__(document, code, text)
        self._refusers = refusers
        self.decisions: list[tuple[int, bool, Rule]] = []

    def is_exception(self, rule_matcher: RuleMatcher) -> bool:
        split = super().is_exception(rule_matcher)
        position, rule = rule_matcher.get_break_position(), rule_matcher.rule
        if not split:
            text = self.text_manager.get_text()
            refuser = next((r for r, p in self._refusers[id(rule)] if p.match(text, position)), None)
            if refuser is None:  # choppa's combined pattern matched, so one of its parts must
                raise RuntimeError(f"no rule found refusing the break at {position}")
            rule = refuser
        self.decisions.append((position, split, rule))
        return split


class Segmenter:
    """Splits paragraph text of one language into sentence spans."""

    def __init__(self, lang: str, exceptions: str | Path | None = None):
        self.lang = langs.normalize(lang)
        folder = Path(exceptions) if exceptions else exceptions_dir()
        self._document, self._origins = _srx_document(folder, _stamp(folder))
        # "_two": only a blank line is a hard break; paragraphs arrive without newlines anyway.
        self._code = f"{self.lang}_two"

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Offsets of each sentence in ``text``, edge whitespace excluded.

        The SRX pieces join back to ``text`` exactly; the spans are those pieces without the
        whitespace at their edges, so the text between spans is only whitespace.
        """
        return self._spans(text, SrxTextIterator(self._document, self._code, text))

    def _spans(self, text: str, pieces) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        pos = 0
        for piece in pieces:
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

    def explain(self, text: str) -> tuple[list[tuple[int, int]], list[Decision]]:
        """The spans of ``text`` and, for every place a break rule matched, the decision and
        the rule that made it, so that a user can see why and add an exception."""
        iterator = _ExplainingIterator(self._document, self._code, text, self._refusers())
        spans = self._spans(text, iterator)
        decisions = [
            Decision(pos, split, self._origins.get(id(rule), "?"), _pattern(rule))
            for pos, split, rule in iterator.decisions
        ]
        return spans, decisions

    def _refusers(self) -> dict[int, list[tuple[Rule, regex.Pattern]]]:
        """For each break rule, the no-break rules before it in cascade order, compiled as
        choppa compiles them; the first that matches at a break position refused it."""
        manager = self._document.get_rule_manager(
            self._document.get_language_rule_list(self._code),
            SrxTextIterator.DEFAULT_MAX_LOOKBEHIND_CONSTRUCT_LENGTH,
        )
        refusers: dict[int, list] = {}
        before: list[tuple[Rule, regex.Pattern]] = []
        for language_rule in self._document.get_language_rule_list(self._code):
            for rule in language_rule.rules:
                if rule.is_break:
                    refusers[id(rule)] = list(before)
                else:
                    pattern = manager.create_exception_pattern_string(rule)
                    before.append((rule, self._document.compile(pattern)))
        return refusers


def _pattern(rule: Rule) -> str:
    action = "break" if rule.is_break else "no break"
    return f"{action}: before «{rule.before_pattern}» after «{rule.after_pattern}»"


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
