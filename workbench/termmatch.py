"""Finding glossary terms in text, and what each found term requires of a translation.

Matching follows the rules translators expect in each language:

* leftmost-longest and non-overlapping ("United Nations Office of Counter-Terrorism" is one term,
  not "United Nations" plus the rest), from one POSIX-mode regular expression;
* acronyms are case-sensitive (WHO is not "who"), names case-insensitive, with hyphen and space
  equivalent ("counter terrorism" = "Counter-Terrorism") and both apostrophes;
* "Full Name (ACRO)" is one match and asks the target for its combined form once;
* word boundaries in alphabetic scripts, none in Chinese; Arabic proclitics (و ف ب ك ل, ال → لل);
  Russian case endings on each word of a name, and е = ё.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cached_property

import regex

from . import langs
from .glossary import Concept, Glossary, LangEntry, Policy, is_acronym

_SEP = r"[\s\u00a0\-\u2010\u2011]+"
_RU_ENDING = regex.compile(
    r"(?:ого|его|ому|ему|ыми|ими|ами|ями|ий|ый|ой|ая|яя|ое|ее|ые|ие|ых|их|ую|юю|ом|ем|ам|ям|ах|ях|ов|ев|ей"
    r"|а|я|о|е|ы|и|у|ю|ь|й)$"
)


# Honorifics that mark the referent's gender, per source language: (masculine, feminine) patterns.
_HONORIFICS = {
    "en": (r"Mr\.?|Sir", r"Mrs\.?|Ms\.?|Miss|Madam|Madame|Dame"),
    "fr": (r"M\.|Monsieur", r"Mme|Mlle|Madame"),  # not the plurals of "Mesdames et Messieurs"
    "es": (r"Sr\.|[Ss]eñor", r"Sra\.|Srta\.|[Ss]eñora"),
    "ru": (r"[Гг][-–‑]н[а-я]{0,2}|[Гг]осподин[а-я]{0,2}", r"[Гг][-–‑]ж[а-я]{1,2}|[Гг]оспож[а-я]{1,2}"),
    "ar": (r"[وف]?(?:[بك]?ال|لل)سيد(?!ة)", r"[وف]?(?:[بك]?ال|لل)سيدة"),
    "zh": (r"先生", r"女士"),
}
_HONORIFIC = {
    lang: regex.compile(
        rf"(?<!\w)(?:(?P<m>{m})|(?P<f>{f}))(?!\w)" if langs.get(lang).spaced else f"(?P<m>{m})|(?P<f>{f})"
    )
    for lang, (m, f) in _HONORIFICS.items()
}
GENDER_WINDOW = 60  # characters either side of a title in which an honorific names its referent
_APPOSITION = regex.compile(r"[\s,:;(\u3001\uff0c]*")  # "the Under-Secretary-General, Ms. Ray"


def referent_gender(text: str, start: int, end: int, lang: str) -> str:
    """``m`` or ``f`` when an honorific near ``text[start:end]`` says who the title names, else ``""``.

    The nearest honorific before the title wins ("Ms. Ray thanked Mr. Voronkov, Under-Secretary-
    General": m); one after it counts only in apposition ("the Under-Secretary-General, Ms. Ray"),
    not as another person ("the Under-Secretary-General thanked Ms. Ray"), except in Chinese, where
    the honorific follows the name (副秘书长沃龙科夫先生).
    """
    if lang not in _HONORIFIC:
        return ""
    low, high = max(0, start - GENDER_WINDOW), min(len(text), end + GENDER_WINDOW)
    best, gender = GENDER_WINDOW + 1, ""
    for m in _HONORIFIC[lang].finditer(text, low, high):
        if m.end() <= start:
            distance = start - m.end()
        elif m.start() >= end and (lang == "zh" or _APPOSITION.fullmatch(text, end, m.start())):
            distance = m.start() - end
        else:
            continue
        if distance < best:
            best, gender = distance, m.lastgroup or ""
    return gender


@dataclass(frozen=True)
class Match:
    """A glossary term found in a text."""

    concept: Concept
    glossary: str
    lang: str
    start: int
    end: int
    text: str
    kind: str  # full, abbr or combined


@dataclass(frozen=True)
class Expectation:
    """What one source term asks of the translation into ``lang``."""

    match: Match
    lang: str
    forms: tuple[str, ...]  # accepted renderings, preferred first
    enforced: bool  # forced in MT (policy); otherwise suggested
    gender: str = ""  # the referent's gender the forms were chosen for ("" : any)

    @property
    def concept_id(self) -> str:
        return self.match.concept.id

    @property
    def preferred(self) -> str:
        return self.forms[0]


# Chinese punctuation inside a term and its ASCII form after NFKC normalisation (what most MT
# vocabularies can spell) are the same term: 女士们，先生们 = 女士们,先生们.
_ZH_PUNCT = {c: "[，,、]" for c in "，,、"} | {c: "[（(]" for c in "（("} | {c: "[）)]" for c in "）)"}


def _word(word: str, lang: str, flexible: bool) -> str:
    if lang == "zh":
        return "".join(_ZH_PUNCT.get(c) or regex.escape(c) for c in word)
    if "'" in word or "’" in word:
        return "['’]".join(_word(part, lang, flexible) for part in regex.split("['’]", word))
    out = regex.escape(word)
    if lang == "ru":
        if flexible and len(word) >= 4 and word[-1].islower():
            stem = _RU_ENDING.sub("", word)
            if len(stem) >= 3:
                out = regex.escape(stem) + "[а-яё]{0,4}"
        out = out.replace("е", "[её]").replace("Е", "[ЕЁ]")
    return out


def _body(form: str, lang: str, acronym: bool, fold: bool = True) -> str:
    """The pattern of one form without its boundaries (Arabic: with its proclitics); names are
    case-insensitive unless ``fold`` is false."""
    if lang == "ar":  # و ف (and), ب ك ل (prepositions); ل + ال is written لل
        if form.startswith("ال"):
            return "(?:[وف]?[بك]?ال|[وف]?لل)" + _body(form[2:], "", acronym)
        return "(?:[وف]?[بكل]?)" + _body(form, "", acronym)
    if acronym:
        return r"[\s\u00a0]+".join(_word(w, lang, False) for w in form.split())
    words = regex.split(_SEP, form.strip())
    body = _SEP.join(_word(w, lang, True) for w in words)
    return f"(?i:{body})" if fold else f"(?:{body})"


def _bounded(body: str, lang: str) -> str:
    return rf"(?<!\w){body}(?!\w)" if langs.get(lang).spaced else body


def pattern(form: str, lang: str, acronym: bool | None = None, exact_case: bool = False) -> str:
    """The regular expression that finds ``form`` in text of ``lang`` under the rules above;
    ``exact_case``: names too are matched with their capitals as written (target text)."""
    acronym = is_acronym(form) if acronym is None else acronym
    return _bounded(_body(form, lang, acronym, fold=not exact_case), lang)


class Matcher:
    """All the terms of some glossaries in one language, compiled into one expression."""

    def __init__(self, glossaries: list[Glossary], lang: str):
        self.lang = lang
        self.targets: dict[str, tuple[Concept, str, str]] = {}
        alternatives = []
        for glossary in glossaries:
            for concept in glossary.concepts:
                entry = concept.entries.get(lang)
                if entry is None:
                    continue
                for kind, body in self._forms(entry):
                    name = f"t{len(self.targets)}"
                    self.targets[name] = (concept, glossary.name, kind)
                    alternatives.append(f"(?P<{name}>{_bounded(body, lang)})")
        self.expression = regex.compile("|".join(alternatives), regex.POSIX) if alternatives else None

    def _forms(self, entry: LangEntry):
        """(kind, pattern body) of every form of ``entry`` that can be found in source text."""
        for form in entry.full:
            yield "full", _body(form, entry.lang, False)
            for abbr in entry.abbr:
                body = _body(form, entry.lang, False) + r"\s*[(（]\s*" + _body(abbr, entry.lang, True)
                yield "combined", body + r"\s*[)）]"
        for abbr in entry.abbr:
            yield "abbr", _body(abbr, entry.lang, True)

    def find(self, text: str) -> list[Match]:
        if self.expression is None:
            return []
        found = []
        for m in self.expression.finditer(text):
            concept, glossary, kind = self.targets[m.lastgroup]
            found.append(Match(concept, glossary, self.lang, m.start(), m.end(), m.group(), kind))
        return found


def surface_forms(forms: list[str], lang: str) -> list[str]:
    """Forms as they may appear in running text: sentence-initial capital, both apostrophes, the
    Arabic proclitics (و، ب، ل), and Chinese punctuation as NFKC-normalising vocabularies spell it
    (（ → (), all of which a constraint must accept as the same term."""
    out: list[str] = []
    for form in forms:
        variants = [form]
        if form[:1].islower():
            variants.append(form[:1].upper() + form[1:])
        if "'" in form:
            variants += [v.replace("'", "’") for v in variants]
        if lang == "ar":
            clitics = ["و", "ب"] + (["لل"] if form.startswith("ال") else ["ل"])
            variants += [c + (form[2:] if c == "لل" else form) for c in clitics]
        if lang == "zh":
            variants.append(unicodedata.normalize("NFKC", form))
        out.extend(v for v in variants if v not in out)
    return out


class Terminology:
    """The active glossaries and policy: source matching, target expectations, forbidden terms."""

    def __init__(self, glossaries: list[Glossary], policy: Policy | None = None):
        self.glossaries = glossaries
        self.policy = policy or Policy()
        self._matchers: dict[str, Matcher] = {}
        self._concept_patterns: dict[tuple[str, str, str], regex.Pattern | None] = {}

    def matcher(self, lang: str) -> Matcher:
        if lang not in self._matchers:
            self._matchers[lang] = Matcher(self.glossaries, lang)
        return self._matchers[lang]

    def find(self, text: str, lang: str) -> list[Match]:
        return self.matcher(lang).find(text)

    def expectations(self, text: str, src: str, tgt: str) -> list[Expectation]:
        """Each source term with a rendering in ``tgt``: the forms accepted there, enforced or not."""
        out = []
        for match in self.find(text, src):
            entry = match.concept.entries.get(tgt)
            if entry is None:
                continue
            gender = referent_gender(text, match.start, match.end, src) or self._form_gender(match)
            entry = entry.for_gender(gender)
            if match.kind == "combined" and entry.abbr:
                forms = entry.combined
            elif match.kind == "abbr":
                forms = entry.abbr + entry.full
            else:
                forms = entry.full or entry.abbr
            out.append(
                Expectation(
                    match,
                    tgt,
                    tuple(surface_forms(forms, tgt)),
                    self.policy.enforced(entry),
                    gender if entry.gendered else "",
                )
            )
        return out

    @staticmethod
    def _form_gender(match: Match) -> str:
        """The gender of the source form itself (Secrétaire générale adjointe: f), if it has one."""
        entry = match.concept.entries[match.lang]
        folded = " ".join(match.text.split()).casefold()
        return next((t.gender for t in entry.terms if t.text.casefold() == folded and t.gender), "")

    def constraints(self, expectations: list[Expectation]) -> list[tuple[str, list[str]]]:
        """The enforced expectations as decoder constraints: (concept id, accepted forms), one per
        distinct term (a term said twice must appear, not necessarily twice)."""
        out: list[tuple[str, list[str]]] = []
        for expectation in expectations:
            forms = list(expectation.forms)
            if expectation.enforced and all(forms != f for _, f in out):
                out.append((expectation.concept_id, forms))
        return out

    def present(self, expectation: Expectation, text: str) -> bool:
        """Whether ``text`` renders the concept acceptably: any official form of the referent's
        gender, inflected or not, with the UN's capitals."""
        return self.has_concept(expectation.match.concept, expectation.lang, text, expectation.gender)

    def has_concept(self, concept: Concept, lang: str, text: str, gender: str = "") -> bool:
        key = (concept.id, lang, gender)
        if key not in self._concept_patterns:
            entry = concept.entries.get(lang)
            if entry:
                entry = entry.for_gender(gender)
            forms = (entry.full + entry.abbr + entry.combined) if entry else []
            cased = [
                v for f in forms for v in dict.fromkeys([f, f if is_acronym(f) else f[:1].swapcase() + f[1:]])
            ]
            self._concept_patterns[key] = (
                regex.compile("|".join(pattern(f, lang, exact_case=True) for f in cased), regex.POSIX)
                if cased
                else None
            )
        compiled = self._concept_patterns[key]
        return bool(compiled and compiled.search(text))

    @cached_property
    def _forbidden(self) -> dict[str, list[tuple[str, regex.Pattern]]]:
        table: dict[str, list[tuple[str, regex.Pattern]]] = {}
        for glossary in self.glossaries:
            for concept in glossary.concepts:
                for lang, entry in concept.entries.items():
                    for form in entry.forbidden:
                        table.setdefault(lang, []).append((form, regex.compile(pattern(form, lang))))
        return table

    def forbidden(self, text: str, lang: str) -> list[tuple[str, int, int]]:
        """Forbidden renderings used in ``text``: (form, start, end)."""
        return [
            (form, m.start(), m.end())
            for form, rx in self._forbidden.get(lang, [])
            for m in rx.finditer(text)
        ]
