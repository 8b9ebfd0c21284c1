"""Glossaries: concepts with their official rendering in each language, and the enforcement policy.

A concept (UNOCT) has, per language, a full name, abbreviations, accepted variants (inflected
Russian cases, alternative official wordings, the feminine form of a title) and forbidden
renderings, plus how sure we are of that language's rendering. A form may carry the grammatical
gender of its referent (Secrétaire général adjoint m, Secrétaire générale adjointe f) and the page
it was seen on. The policy decides from that rating whether MT must produce the term
(enforced) or only gets it suggested: a wrong term forced into every translation is worse than a
missing one. Files are TBX (:mod:`workbench.tbx`) or CSV/TSV with one column per language.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from . import langs
from .errors import InputError

TERM_KINDS = ("full", "abbr", "combined", "variant", "forbidden")
GENDERS = ("m", "f")  # of the person a title names; "" for forms that do not vary
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "glossaries"


class Confidence(StrEnum):
    """How the rendering in one language was confirmed (see ``../shared/terms/README.md``)."""

    REVIEWED = "reviewed"  # confirmed by a reviewer of this organisation
    HIGH = "high"  # seen on an official UN page in that language
    MEDIUM = "medium"  # seen on a reliable non-UN page
    LOW = "low"  # not confirmed by any page
    UNRATED = "unrated"  # the file says nothing: a user's own glossary


@dataclass(frozen=True)
class Term:
    text: str
    kind: str = "full"  # one of TERM_KINDS
    gender: str = ""  # one of GENDERS: the form names a man (m) or a woman (f)
    source: str = ""  # URL of the page the form was seen on, when it has its own


@dataclass
class LangEntry:
    """A concept in one language: its terms and how reliable they are."""

    lang: str
    terms: list[Term] = field(default_factory=list)
    confidence: Confidence = Confidence.UNRATED

    def of_kind(self, *kinds: str) -> list[str]:
        return [t.text for t in self.terms if t.kind in kinds]

    @property
    def full(self) -> list[str]:
        """The full name first, then its accepted variants (acronym-like variants excluded)."""
        return [t.text for t in self.terms if t.kind == "full"] + [
            t.text for t in self.terms if t.kind == "variant" and not is_acronym(t.text)
        ]

    @property
    def abbr(self) -> list[str]:
        return [t.text for t in self.terms if t.kind == "abbr"] + [
            t.text for t in self.terms if t.kind == "variant" and is_acronym(t.text)
        ]

    @property
    def forbidden(self) -> list[str]:
        return self.of_kind("forbidden")

    @property
    def combined(self) -> list[str]:
        """ "Full Name (ACRO)" as one unit: as written in the file, else built from name and acronym."""
        return self.of_kind("combined") or [
            combine(full, abbr, self.lang) for full in self.full[:1] for abbr in self.abbr[:1]
        ]

    @property
    def gendered(self) -> bool:
        return any(t.gender for t in self.terms)

    def for_gender(self, gender: str) -> LangEntry:
        """The entry without the forms of the other gender (``""``: unchanged, every form allowed)."""
        if not gender or not self.gendered:
            return self
        return LangEntry(self.lang, [t for t in self.terms if t.gender in ("", gender)], self.confidence)

    def settle_combined(self) -> None:
        """Mark variants that are exactly "full (abbr)" as the combined form (files store it as a variant)."""
        built = {combine(f, a, self.lang) for f in self.of_kind("full") for a in self.of_kind("abbr")}
        self.terms = [
            replace(t, kind="combined") if t.kind == "variant" and t.text in built else t for t in self.terms
        ]


def combine(full: str, abbr: str, lang: str) -> str:
    """The combined form: full-width parentheses without a space in Chinese, as UN Chinese texts write."""
    return f"{full}（{abbr}）" if not langs.get(lang).spaced else f"{full} ({abbr})"


@dataclass
class Concept:
    id: str
    entries: dict[str, LangEntry] = field(default_factory=dict)
    note: str = ""
    sources: list[str] = field(default_factory=list)


@dataclass
class Glossary:
    name: str
    concepts: list[Concept]
    path: Path | None = None

    def concept(self, concept_id: str) -> Concept:
        for concept in self.concepts:
            if concept.id == concept_id:
                return concept
        raise KeyError(concept_id)


@dataclass(frozen=True)
class Policy:
    """Which ratings are enforced in MT; the others are suggested and checked, not forced."""

    enforce: frozenset[Confidence] = frozenset(
        {Confidence.REVIEWED, Confidence.HIGH, Confidence.MEDIUM, Confidence.UNRATED}
    )

    @classmethod
    def named(cls, name: str) -> Policy:
        """``verified`` (default: reviewed, high, medium, unrated), ``high``, ``all`` or ``none``."""
        levels = {
            "verified": cls().enforce,
            "high": frozenset({Confidence.REVIEWED, Confidence.HIGH, Confidence.UNRATED}),
            "all": frozenset(Confidence),
            "none": frozenset(),
        }
        if name not in levels:
            raise ValueError(f"unknown enforcement policy '{name}' ({', '.join(levels)})")
        return cls(levels[name])

    def enforced(self, entry: LangEntry) -> bool:
        return entry.confidence in self.enforce


VERIFIED = frozenset({Confidence.REVIEWED, Confidence.HIGH, Confidence.MEDIUM})  # confirmed by a page


@dataclass(frozen=True)
class LangStats:
    """One glossary in one language: how much it holds and how much of it is forced."""

    glossary: str
    lang: str
    concepts: int  # with an entry in this language
    forms: int  # accepted forms (names, acronyms, combined, variants)
    forbidden: int
    gendered: int  # entries with masculine/feminine forms
    verified: int  # entries confirmed by a page or a reviewer (high, medium, reviewed)
    forced: int  # entries the policy enforces
    suggested: int  # entries only suggested


def stats(glossary: Glossary, policy: Policy) -> list[LangStats]:
    """Per language of ``glossary`` (in the UN order), its counts under ``policy``."""
    out = []
    for lang in langs.CODES:
        entries = [c.entries[lang] for c in glossary.concepts if lang in c.entries]
        if not entries:
            continue
        forced = sum(policy.enforced(e) for e in entries)
        out.append(
            LangStats(
                glossary.name,
                lang,
                len(entries),
                sum(len(e.of_kind("full", "abbr", "combined", "variant")) for e in entries),
                sum(len(e.forbidden) for e in entries),
                sum(e.gendered for e in entries),
                sum(e.confidence in VERIFIED for e in entries),
                forced,
                len(entries) - forced,
            )
        )
    return out


def is_acronym(text: str) -> bool:
    """UNOCT, КТУ ООН, OIPC-INTERPOL: letters all capitals (scripts with case only)."""
    letters = [c for c in text if c.isalpha()]
    return (
        bool(letters)
        and all(c.isupper() for c in letters if c.lower() != c.upper())
        and any(c.lower() != c.upper() for c in letters)
    )


# -- files ------------------------------------------------------------------------------------


def load(path: str | Path) -> Glossary:
    """Read a TBX, CSV or TSV glossary; :class:`InputError` names the file and line on error."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix in (".tbx", ".xml"):
        from . import tbx

        return tbx.read(path)
    if suffix in (".tsv", ".csv", ".txt"):
        return read_table(path)
    raise InputError(path, f"unknown glossary format '{suffix}' (use .tbx, .tsv or .csv)")


def default_paths() -> list[Path]:
    """The glossaries loaded unless told otherwise: ``glossaries/*.tbx`` and $WORKBENCH_GLOSSARIES."""
    folders = [DEFAULT_DIR]
    if extra := os.environ.get("WORKBENCH_GLOSSARIES"):
        folders = [Path(p) for p in extra.split(os.pathsep) if p]
    return sorted(p for folder in folders for p in folder.glob("*.tbx"))


def load_all(paths: list[str | Path] | None = None, defaults: bool = True) -> list[Glossary]:
    """The user's glossaries first (they win ties), then the defaults."""
    chosen = [Path(p) for p in paths or []]
    if defaults:
        chosen += [p for p in default_paths() if p not in chosen]
    return [load(p) for p in chosen]


def _split_cell(cell: str) -> list[str]:
    """Several forms in one cell are separated by ``|``."""
    return [part.strip() for part in cell.split("|") if part.strip()]


def _parse_ratings(text: str, path: Path, line: int) -> dict[str, Confidence]:
    ratings = {}
    for item in text.split():
        lang, _, value = item.partition(":")
        try:
            ratings[langs.normalize(lang)] = Confidence(value.strip().lower())
        except (ValueError, langs.UnknownLanguageError):
            raise InputError(path, f"bad confidence '{item}' (expected lang:high|medium|low)", line) from None
    return ratings


def read_table(path: Path, variants: Path | None = None) -> Glossary:
    """A CSV/TSV glossary: a column per language (``en``, ``fr``, ``zh-CN``…), optional ``<lang>_abbr``,
    ``<lang>_forbidden``, ``id``, ``confidence``, ``confidence_by_lang``, ``notes``, ``source_urls``.

    ``variants`` is an optional TSV (``id lang kind form``) adding variant and forbidden forms.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})") from None
    lines = text.splitlines()
    delimiter = (
        "\t" if path.suffix.lower() in (".tsv", ".txt") or "\t" in (lines[0] if lines else "") else ","
    )
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        rows = list(reader)  # csv refuses a cell over 128 KB, among others
    except csv.Error as exc:
        raise InputError(path, f"not a readable table ({exc})", reader.line_num) from None
    if not rows:
        raise InputError(path, "the file is empty")
    header = [h.strip() for h in rows[0]]
    columns: dict[int, tuple[str, str]] = {}  # index -> (lang, kind)
    for i, name in enumerate(header):
        base, _, suffix = name.partition("_")
        kind = {"": "full", "abbr": "abbr", "forbidden": "forbidden", "variants": "variant"}.get(suffix)
        if kind is None:
            continue
        try:
            columns[i] = (langs.normalize(base), kind)
        except langs.UnknownLanguageError:
            continue
    if len({lang for lang, kind in columns.values() if kind == "full"}) < 2:
        raise InputError(path, "the header needs at least two language columns (en, fr, es, ru, zh, ar)", 1)
    names = {h: i for i, h in enumerate(header)}
    concepts = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(
                path,
                f"{len(row)} columns where the header has {len(header)} (a missing or extra column)",
                number,
            )
        cell = {h: row[i].strip() for h, i in names.items()}
        ratings = _parse_ratings(cell.get("confidence_by_lang", ""), path, number)
        overall = cell.get("confidence", "").lower()
        if overall and overall not in Confidence.__members__.values():
            raise InputError(path, f"bad confidence '{overall}' (high, medium, low, reviewed)", number)
        concept = Concept(
            cell.get("id") or f"c{number - 1}",
            note=cell.get("notes", ""),
            sources=[s.strip() for s in cell.get("source_urls", "").split(" ; ") if s.strip()],
        )
        for i, (lang, kind) in columns.items():
            forms = _split_cell(row[i])
            if not forms:
                continue
            entry = concept.entries.setdefault(
                lang, LangEntry(lang, confidence=ratings.get(lang) or Confidence(overall or "unrated"))
            )
            entry.terms.extend(Term(f, kind) for f in forms)
        for lang, entry in list(concept.entries.items()):
            if not entry.of_kind("full", "abbr"):
                raise InputError(
                    path, f"concept {concept.id}: {lang} has forbidden forms but no term", number
                )
        concepts.append(concept)
    if not concepts:
        raise InputError(path, "no concepts (only a header)")
    glossary = Glossary(path.stem, concepts, path)
    if variants:
        add_variants(glossary, variants)
    return glossary


VARIANT_COLUMNS = ("id", "lang", "kind", "form", "gender", "source")

# Hosts of official UN pages: the Organization's own sites (un.org and its subdomains, missions,
# information centres) and those of the UN system's funds, programmes and specialized agencies.
UN_HOSTS = (
    "un.org", "unmissions.org", "unicnetwork.org", "unvienna.org", "unrussia.ru", "undg.org", "unov.org",
    "unog.ch", "ungeneva.org", "unognewsroom.org", "unon.org", "unocha.org", "unoda.org", "unidir.org",
    "unicri.it", "unic.ru", "unric.org", "unicpretoria.org.za", "unictunis.org.tn", "uniraq.org",
    "mineaction.org", "acnur.org", "unhcr.fr", "oacnudh.hn",
    "ohchr.org", "unodc.org", "unicef.org", "undp.org", "unhcr.org", "unesco.org", "who.int", "wfp.org",
    "fao.org", "ilo.org", "imf.org", "worldbank.org", "icao.int", "imo.org", "itu.int", "upu.int",
    "wmo.int", "wipo.int", "ifad.org", "unido.org", "iom.int", "unfccc.int", "ipcc.ch",
    "unep.org", "unfpa.org", "unwomen.org", "unhabitat.org", "unctad.org", "unrwa.org", "unaids.org",
    "unops.org", "unitar.org", "unu.edu", "unv.org", "uneca.org", "unece.org", "cepal.org",
    "unescap.org", "unescwa.org", "iaea.org",
)  # fmt: skip


def is_un_page(url: str) -> bool:
    """Whether ``url`` is an official UN page, the only evidence that lets a rendering be forced."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    if any(label.startswith("test") for label in host.split(".")):
        return False  # a site's test copy (test-cms.who.int) is not what the UN published
    return any(host == h or host.endswith("." + h) for h in UN_HOSTS)


def add_variants(glossary: Glossary, path: Path) -> None:
    """Merge a ``id lang kind form [gender] [source]`` TSV into ``glossary``.

    A ``variant`` or ``forbidden`` row adds a form; a ``full`` or ``abbr`` row names a form the
    entry already has and gives it its gender or source; a source on an official UN page
    (:func:`is_un_page`) confirms the rendering, so the entry is rated high. Sources are also kept on
    the concept as ``lang:URL``, as the term table writes them.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [(n, line) for n, line in enumerate(lines, start=1) if line.strip() and not line.startswith("#")]
    for number, line in rows[1:]:  # the first non-comment line is the header
        fields = [f.strip() for f in line.split("\t")]
        if not 4 <= len(fields) <= len(VARIANT_COLUMNS):
            raise InputError(
                path, f"{len(fields)} columns, expected 4 to 6 ({' '.join(VARIANT_COLUMNS)})", number
            )
        concept_id, lang, kind, form, gender, source = fields + [""] * (len(VARIANT_COLUMNS) - len(fields))
        if kind not in ("variant", "forbidden", "full", "abbr"):
            raise InputError(path, f"kind '{kind}' is not variant, forbidden, full or abbr", number)
        if gender not in ("", *GENDERS):
            raise InputError(path, f"gender '{gender}' is not m or f", number)
        try:
            concept = glossary.concept(concept_id)
            entry = concept.entries[langs.normalize(lang)]
        except (KeyError, langs.UnknownLanguageError):
            raise InputError(path, f"concept '{concept_id}' has no {lang} entry to add to", number) from None
        term = Term(form, kind, gender, source)
        if kind in ("full", "abbr"):
            at = [i for i, t in enumerate(entry.terms) if t.text == form and t.kind == kind]
            if not at:
                raise InputError(path, f"concept '{concept_id}' has no {lang} {kind} '{form}'", number)
            entry.terms[at[0]] = term
            if is_un_page(source) and entry.confidence in (Confidence.LOW, Confidence.MEDIUM):
                entry.confidence = Confidence.HIGH
        else:
            entry.terms.append(term)
        cited = f"{entry.lang}:{source}"
        if source and cited not in concept.sources:
            concept.sources.append(cited)


def build_un(table: Path, variants: Path | None = None, name: str = "un-counter-terrorism") -> Glossary:
    """A shipped UN glossary from a term table (``../shared/terms/un_terms.tsv``,
    ``glossaries/sources/un_core.tsv``) and its variants, combined forms written out."""
    glossary = read_table(table, variants)
    glossary.name = name
    for concept in glossary.concepts:
        for entry in concept.entries.values():
            entry.terms.extend(
                Term(text, "combined") for text in entry.combined if text not in entry.of_kind("combined")
            )
    return glossary
