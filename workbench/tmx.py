"""TMX 1.4b: export what reviewers approved, read memories made elsewhere.

Export writes one six-language file (one ``tu`` per segment, a ``tuv`` per language) and, on request,
one file per source→target pair, since Trados imports only its own pair from a multilingual file and
memoQ asks for two languages. The same store gives the same bytes: units are in document and segment
order and the header date is the newest change exported, not the time of export. Characters XML 1.0
cannot carry are removed (with a warning naming the segment): one of them makes OmegaT reject the
whole file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import regex
from lxml import etree

from . import __version__, langs, xmlsafe
from .errors import InputError
from .files import folder, write_xml
from .model import Document, Status, Translation
from .store import Store

log = logging.getLogger("workbench.tmx")

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
REQUIRED_HEADER = (
    "creationtool",
    "creationtoolversion",
    "segtype",
    "o-tmf",
    "adminlang",
    "srclang",
    "datatype",
)
STATUS_FILTERS = {
    "approved": (Status.APPROVED,),
    "reviewed": (Status.REVIEWED, Status.APPROVED),
    "all": tuple(Status),
}
# XML 1.0 allows tab, newline, carriage return and U+0020 upwards except surrogates, U+FFFE and U+FFFF.
_ILLEGAL = regex.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_illegal(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return _ILLEGAL.sub("", text)


def xml_safe(text: str, where: str, warnings: list[str] | None = None) -> str:
    """``text`` without the characters XML 1.0 cannot carry; a warning names ``where``."""
    cleaned = _ILLEGAL.sub("", text)
    if cleaned != text:
        removed = ", ".join(sorted({f"U+{ord(c):04X}" for c in _ILLEGAL.findall(text)}))
        message = f"{where}: removed characters XML cannot carry ({removed})"
        log.warning(message)
        if warnings is not None:
            warnings.append(message)
    return cleaned


def tmx_date(stamp: str) -> str:
    """``2026-11-27T21:40:01Z`` → ``20261127T214001Z`` (TMX's UTC form)."""
    return stamp.replace("-", "").replace(":", "")


@dataclass
class Unit:
    """One exported segment: its source, and the translations the status filter lets through."""

    document: Document
    index: int
    source: str
    source_lang: str
    created: str
    translations: dict[str, Translation] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    term_check: dict[str, str] = field(default_factory=dict)


def collect(store: Store, doc_ids: Iterable[int], status: str = "approved") -> list[Unit]:
    """The units to export, in document and segment order."""
    allowed = STATUS_FILTERS[status]
    units = []
    for doc_id in doc_ids:
        document = store.document(doc_id)
        by_segment: dict[int, dict[str, Translation]] = {}
        for t in store.translations(doc_id):
            if t.status in allowed and t.lang != document.lang:
                by_segment.setdefault(t.segment_id, {})[t.lang] = t
        flags = {lang: store.document_flags(doc_id, lang) for lang in langs.CODES if lang != document.lang}
        comments = store.document_comments(doc_id)
        for segment in document.segments:
            found = by_segment.get(segment.id, {})  # type: ignore[arg-type]
            if not found:
                continue
            unit = Unit(document, segment.index, segment.text, document.lang, document.created_at, found)
            for lang in found:
                said = comments.get((segment.id, lang))  # type: ignore[arg-type]
                if said:
                    unit.notes[lang] = [f"{who or 'anonymous'} ({at}): {text}" for who, at, text in said]
                marks = [
                    f"{f.mark}:{f.concept}"
                    for f in flags[lang].get(segment.id, [])  # type: ignore[arg-type]
                    if f.code == "term" and f.mark != "present"
                ]
                terms = [f for f in flags[lang].get(segment.id, []) if f.code == "term"]  # type: ignore[arg-type]
                if terms:
                    unit.term_check[lang] = " ".join(marks) if marks else "ok"
            units.append(unit)
    return units


def build(
    units: list[Unit], langs_wanted: tuple[str, ...] | None = None
) -> tuple[etree._ElementTree, list[str]]:
    """A TMX tree of ``units`` (only ``langs_wanted`` when given: a pair file) and the warnings."""
    warnings: list[str] = []
    sources = {u.source_lang for u in units}
    srclang = langs.get(sources.pop()).tmx if len(sources) == 1 else "*all*"
    stamps = [t.updated_at for u in units for t in u.translations.values()] + [u.created for u in units]
    root = etree.Element("tmx", {"version": "1.4"})
    etree.SubElement(
        root,
        "header",
        {
            "creationtool": "workbench",
            "creationtoolversion": __version__,
            "segtype": "sentence",
            "o-tmf": "workbench",
            "adminlang": "en",
            "srclang": srclang,
            "datatype": "plaintext",
            **({"creationdate": tmx_date(max(stamps))} if stamps else {}),
        },
    )
    body = etree.SubElement(root, "body")
    for unit in units:
        targets = {
            lang: t for lang, t in unit.translations.items() if langs_wanted is None or lang in langs_wanted
        }
        if not targets:
            continue
        where = f"{unit.document.name} segment {unit.index}"
        tu = etree.SubElement(
            body, "tu", {"tuid": f"{unit.document.id}-{unit.index}", "creationdate": tmx_date(unit.created)}
        )
        etree.SubElement(tu, "prop", {"type": "x-document"}).text = xml_safe(
            unit.document.name, where, warnings
        )
        etree.SubElement(tu, "prop", {"type": "x-document-id"}).text = str(unit.document.id)
        source = etree.SubElement(tu, "tuv", {XML_LANG: langs.get(unit.source_lang).tmx})
        etree.SubElement(source, "seg").text = xml_safe(unit.source, where, warnings)
        for lang in langs.CODES:
            t = targets.get(lang)
            if t is None:
                continue
            attrs = {XML_LANG: langs.get(lang).tmx, "changedate": tmx_date(t.updated_at)}
            if t.updated_by:
                attrs["changeid"] = xml_safe(t.updated_by, where, warnings)
                attrs["creationid"] = attrs["changeid"]
            tuv = etree.SubElement(tu, "tuv", attrs)
            for note in unit.notes.get(lang, []):
                etree.SubElement(tuv, "note").text = xml_safe(note, where, warnings)
            etree.SubElement(tuv, "prop", {"type": "x-status"}).text = t.status.value
            etree.SubElement(tuv, "prop", {"type": "x-origin"}).text = t.origin.value
            if lang in unit.term_check:
                etree.SubElement(tuv, "prop", {"type": "x-term-check"}).text = unit.term_check[lang]
            etree.SubElement(tuv, "seg").text = xml_safe(t.text, f"{where} ({lang})", warnings)
    return etree.ElementTree(root), warnings


def write_tree(tree: etree._ElementTree, path: Path) -> None:
    """Write with the TMX doctype, whole or not at all."""
    write_xml(tree, path, doctype='<!DOCTYPE tmx SYSTEM "tmx14.dtd">')


def export(
    store: Store, doc_ids: list[int], out: Path, *, status: str = "approved", pairs: bool = False
) -> tuple[list[Path], list[str], int]:
    """Write the six-language TMX (and per-pair files): (paths written, warnings, units written)."""
    units = collect(store, doc_ids, status)
    tree, warnings = build(units)
    folder(out.parent)
    write_tree(tree, out)
    written = [out]
    if pairs:
        sources = sorted({u.source_lang for u in units})
        for src in sources:
            for tgt in langs.CODES:
                subset = [u for u in units if u.source_lang == src and tgt in u.translations]
                if not subset:
                    continue
                pair_tree, _ = build(subset, (tgt,))
                path = out.with_name(f"{out.stem}.{src}-{tgt}{out.suffix or '.tmx'}")
                write_tree(pair_tree, path)
                written.append(path)
    return written, warnings, len(tree.getroot().find("body"))


# -- reading ---------------------------------------------------------------------------------


@dataclass
class ReadUnit:
    tuid: str | None
    note: str | None
    variants: dict[str, str]  # short language code → text
    line: int


def read(path: str | Path) -> tuple[list[ReadUnit], int]:
    """Parse a TMX file completely (nothing is stored until it all reads): (units, variants skipped
    because their language is not one of the six)."""
    path = Path(path)
    root = xmlsafe.parse(path).getroot()
    if root.tag != "tmx":
        raise InputError(path, f"not a TMX file (root element <{xmlsafe.local(root.tag)}>)", root.sourceline)
    header = root.find("header")
    if header is None:
        raise InputError(path, "no <header>", root.sourceline)
    missing = [a for a in REQUIRED_HEADER if not header.get(a)]
    if missing:
        raise InputError(
            path, f"the header lacks required attributes: {', '.join(missing)}", header.sourceline
        )
    body = root.find("body")
    if body is None:
        raise InputError(path, "no <body>", root.sourceline)
    units, skipped = [], 0
    for tu in body:
        if not isinstance(tu.tag, str):
            continue
        if tu.tag != "tu":
            raise InputError(path, f"unexpected <{tu.tag}> in <body>", tu.sourceline)
        variants: dict[str, str] = {}
        for tuv in tu.findall("tuv"):
            code = tuv.get(XML_LANG) or tuv.get("lang")
            if not code:
                raise InputError(path, "<tuv> without xml:lang", tuv.sourceline)
            seg = tuv.find("seg")
            if seg is None:
                raise InputError(path, "<tuv> without <seg>", tuv.sourceline)
            try:
                lang = langs.normalize(code)
            except langs.UnknownLanguageError:
                skipped += 1
                continue
            variants[lang] = _seg_text(seg)
        note = tu.find("note")
        units.append(
            ReadUnit(tu.get("tuid"), note.text if note is not None else None, variants, tu.sourceline)
        )
    return units, skipped


def _seg_text(element: etree._Element) -> str:
    """The text of a ``seg``: inline codes (bpt, ept, ph, it: native markup) left out, ``hi`` and
    ``sub`` kept."""
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in ("bpt", "ept", "ph", "it", "ut"):
            parts.append(_seg_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
