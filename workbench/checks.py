"""Quality checks run on every translation, machine or human, and stored with it.

Each check returns :class:`~workbench.model.Flag` values the review interface shows beside the
segment: glossary terms (✓ present, ⚠ forced against the model's preference, ✗ missing), forbidden
terms, numbers that differ, untranslated text, empty text, end punctuation, a suspicious length, and
(per document) the same source sentence translated in different ways.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

import regex

from . import langs
from .model import Flag
from .termmatch import Terminology

# Typical length of a text in each language relative to its English original (characters, no spaces).
LENGTH_FACTOR = {"en": 1.0, "fr": 1.2, "es": 1.2, "ru": 1.15, "ar": 0.95, "zh": 0.33}
LENGTH_BAND = (0.4, 2.5)
MIN_CHARS_FOR_RATIO = 25

_INTEGER = r"(?<!\d)(?:\d{1,3}(?:[.,\u00a0\u202f ]\d{3}(?!\d))+|\d+)"
_NUMBER = regex.compile(_INTEGER + r"(?:[.,]\d+)?")
_END_CLASS = {
    ".": "stop", "。": "stop", "۔": "stop",
    "?": "question", "？": "question", "؟": "question",
    "!": "exclamation", "！": "exclamation",
    # a salutation ends with a comma in English and French but a colon in Spanish and Chinese (UN style)
    ":": "comma or colon", "：": "comma or colon", ",": "comma or colon", "，": "comma or colon",
    "،": "comma or colon", "、": "comma or colon",
    ";": "semicolon", "；": "semicolon", "؛": "semicolon",
    "…": "ellipsis",
}  # fmt: skip
_CLOSERS = "\"'”’»」』）)]》 \u00a0\u202f"


def _ascii_digits(text: str) -> str:
    """Arabic-Indic, Persian and full-width digits read as 0-9."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def numbers(text: str) -> Counter[str]:
    """The numbers of ``text`` in one spelling: 1,000 = 1 000 = 1.000 → 1000; 2,5 = 2.5."""
    out: Counter[str] = Counter()
    for m in _NUMBER.finditer(_ascii_digits(text)):
        token = m.group()
        integer = regex.match(_INTEGER, token).group()
        decimal = token[len(integer) + 1 :]
        out[regex.sub(r"\D", "", integer) + (f".{decimal}" if decimal else "")] += 1
    return out


def end_class(text: str) -> str:
    stripped = text.rstrip(_CLOSERS)
    if stripped.endswith(("...", "…")):
        return "ellipsis"
    return _END_CLASS.get(stripped[-1:], "none") if stripped else "none"


def _script_share(text: str, lang: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    script = regex.compile(rf"\p{{{langs.get(lang).script}}}")
    return sum(1 for c in letters if script.match(c)) / len(letters)


def check(
    source: str,
    target: str,
    src: str,
    tgt: str,
    terminology: Terminology | None = None,
    forced: Iterable[str] = (),
) -> list[Flag]:
    """All per-segment checks of ``target`` as a translation of ``source``.

    ``forced`` holds the concept ids the decoder had to force against the model's own choice.
    """
    if not target.strip():
        return [Flag("empty", "error", "the translation is empty")]
    flags: list[Flag] = []
    if terminology is not None:
        flags += term_flags(source, target, src, tgt, terminology, set(forced))
    flags += _number_flags(source, target)
    flags += _untranslated_flags(source, target, src, tgt)
    source_end, target_end = end_class(source), end_class(target)
    if source_end != target_end:
        flags.append(
            Flag(
                "punctuation",
                "warning",
                f"the source ends with {source_end}, the translation with {target_end}",
            )
        )
    flags += _length_flags(source, target, src, tgt)
    if "\n" in target or "\r" in target:
        flags.append(Flag("linebreak", "error", "the translation contains a line break"))
    return flags


def term_flags(
    source: str, target: str, src: str, tgt: str, terminology: Terminology, forced: set[str]
) -> list[Flag]:
    flags: list[Flag] = []
    seen: set[str] = set()
    expectations = terminology.expectations(source, src, tgt)
    # a form forbidden for one concept may be the right name of another the source names
    # ("Sous-Secrétaire général" renders Assistant Secretary-General, never Under-Secretary-General)
    named: set[str] = set()
    for e in expectations:
        entry = e.match.concept.entries[tgt]
        named.update(form.casefold() for form in entry.full + entry.abbr)
    for expectation in expectations:
        concept = expectation.concept_id
        if concept in seen:
            continue
        seen.add(concept)
        label = f"{expectation.match.text} → {expectation.preferred}"
        if terminology.present(expectation, target):
            if concept in forced:
                flags.append(
                    Flag(
                        "term",
                        "warning",
                        f"{label}: forced against the model's preference",
                        concept,
                        "forced",
                    )
                )
            else:
                flags.append(Flag("term", "info", f"{label}: present", concept, "present"))
        elif expectation.enforced:
            flags.append(Flag("term", "error", f"{label}: missing", concept, "missing"))
        else:
            flags.append(
                Flag(
                    "term",
                    "warning",
                    f"{label}: suggested (unverified rendering), not used",
                    concept,
                    "suggested",
                )
            )
    for form, _, _ in terminology.forbidden(target, tgt):
        if form.casefold() in named:
            continue
        flags.append(Flag("forbidden", "error", f"'{form}' is a forbidden rendering", None, "forbidden"))
    return flags


def _number_flags(source: str, target: str) -> list[Flag]:
    ours, theirs = numbers(source), numbers(target)
    missing, extra = ours - theirs, theirs - ours
    if not missing and not extra:
        return []
    parts = []
    if missing:
        parts.append("missing " + ", ".join(sorted(missing.elements())))
    if extra:
        parts.append("not in the source " + ", ".join(sorted(extra.elements())))
    return [Flag("numbers", "warning", "numbers differ: " + "; ".join(parts))]


def _untranslated_flags(source: str, target: str, src: str, tgt: str) -> list[Flag]:
    has_letters = any(c.isalpha() for c in source)
    if has_letters and source.strip().casefold() == target.strip().casefold() and src != tgt:
        return [Flag("untranslated", "warning", "the translation is identical to the source")]
    if has_letters and langs.get(src).script != langs.get(tgt).script and _script_share(target, tgt) < 0.5:
        return [
            Flag(
                "untranslated", "warning", f"the translation is mostly not in {langs.get(tgt).script} script"
            )
        ]
    return []


def _length_flags(source: str, target: str, src: str, tgt: str) -> list[Flag]:
    s, t = len("".join(source.split())), len("".join(target.split()))
    if s < MIN_CHARS_FOR_RATIO:
        return []
    ratio = (t / s) / (LENGTH_FACTOR[tgt] / LENGTH_FACTOR[src])
    low, high = LENGTH_BAND
    if low <= ratio <= high:
        return []
    word = "short" if ratio < low else "long"
    return [Flag("length", "warning", f"suspiciously {word}: {ratio:.1f}× the expected length")]


def inconsistent(pairs: Iterable[tuple[int, str, str]]) -> dict[int, Flag]:
    """Segments whose identical source text got different translations in one document.

    ``pairs`` are (segment id, source, target); returns a flag for each segment concerned.
    """
    by_source: dict[str, list[tuple[int, str]]] = {}
    for segment_id, source, target in pairs:
        by_source.setdefault(" ".join(source.split()), []).append((segment_id, " ".join(target.split())))
    out = {}
    for group in by_source.values():
        variants = {t for _, t in group}
        if len(variants) > 1:
            for segment_id, _ in group:
                out[segment_id] = Flag(
                    "inconsistent",
                    "warning",
                    f"the same source is translated {len(variants)} ways in this document",
                )
    return out
