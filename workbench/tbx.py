"""TBX glossaries: read TBX 2008 (``martif``, TBX-Basic/Default) and TBX 2019 core; write TBX 2008.

Each language's confidence travels as ``reliabilityCode`` (10 reviewed, 9 high, 6 medium, 3 low);
term kinds as ``termType`` (fullForm, acronym, variant) and forbidden renderings as
``administrativeStatus`` deprecatedTerm-admn-sts, which terminology tools understand; the gender
of a title's referent as ``grammaticalGender`` and the page a form was seen on as a term-level
``admin type="source"``.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from . import langs, xmlsafe
from .errors import InputError
from .files import write_xml
from .glossary import Concept, Confidence, Glossary, LangEntry, Term

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RELIABILITY = {Confidence.REVIEWED: 10, Confidence.HIGH: 9, Confidence.MEDIUM: 6, Confidence.LOW: 3}
TERM_TYPE = {
    "full": "fullForm",
    "abbr": "acronym",
    "combined": "fullForm",
    "variant": "variant",
    "forbidden": "fullForm",
}
GENDER = {"m": "masculine", "f": "feminine"}
ABBR_TYPES = {"acronym", "abbreviation", "shortForm", "initialism", "clippedTerm"}


def _confidence(code: str, path: Path, line: int | None) -> Confidence:
    try:
        value = int(code)
    except ValueError:
        raise InputError(path, f"reliabilityCode '{code}' is not a number 1-10", line) from None
    if value >= 10:
        return Confidence.REVIEWED
    if value >= 8:
        return Confidence.HIGH
    return Confidence.MEDIUM if value >= 5 else Confidence.LOW


def _kind(group: etree._Element) -> str:
    notes = {
        n.get("type"): (n.text or "").strip() for n in group.iter() if xmlsafe.local(n.tag) == "termNote"
    }
    status = notes.get("administrativeStatus", "")
    if status.startswith(("deprecated", "superseded")):
        return "forbidden"
    if notes.get("termType") in ABBR_TYPES:
        return "abbr"
    if status.startswith("admitted") or notes.get("termType") == "variant":
        return "variant"
    return "full"


def read(path: str | Path) -> Glossary:
    """Read a TBX file into a :class:`~workbench.glossary.Glossary` (languages outside the six skipped)."""
    path = Path(path)
    root = xmlsafe.parse(path).getroot()
    if xmlsafe.local(root.tag) not in ("martif", "tbx"):
        raise InputError(path, f"not a TBX file (root element <{xmlsafe.local(root.tag)}>)", root.sourceline)
    concepts = []
    for number, entry in enumerate(
        (e for e in root.iter() if xmlsafe.local(e.tag) in ("termEntry", "conceptEntry")), start=1
    ):
        concept = Concept(entry.get("id") or f"c{number}")
        for child in entry:
            name = xmlsafe.local(child.tag)
            if name in ("note", "descrip") and child.get("type") in (None, "definition"):
                concept.note = concept.note or (child.text or "").strip()
            elif name == "admin" and child.get("type") == "source":
                concept.sources.append((child.text or "").strip())
            elif name in ("langSet", "langSec"):
                code = child.get(XML_LANG)
                if not code:
                    raise InputError(path, f"<{name}> without xml:lang", child.sourceline)
                try:
                    lang = langs.normalize(code)
                except langs.UnknownLanguageError:
                    continue
                _read_langset(child, concept.entries.setdefault(lang, LangEntry(lang)), path)
        for lang, lang_entry in concept.entries.items():
            if not lang_entry.of_kind("full", "abbr"):
                raise InputError(path, f"entry {concept.id}: no {lang} term", entry.sourceline)
        if concept.entries:
            concepts.append(concept)
    if not concepts:
        raise InputError(path, "no term entries in any of the six UN languages")
    return Glossary(path.stem, concepts, path)


def _read_langset(element: etree._Element, entry: LangEntry, path: Path) -> None:
    for node in element:
        name = xmlsafe.local(node.tag)
        if name == "descrip" and node.get("type") == "reliabilityCode":
            entry.confidence = _confidence((node.text or "").strip(), path, node.sourceline)
        elif name in ("tig", "ntig", "termSec"):
            terms = [t for t in node.iter() if xmlsafe.local(t.tag) == "term"]
            if not terms or not "".join(terms[0].itertext()).strip():
                raise InputError(path, f"<{name}> without a term", node.sourceline)
            gender = source = ""
            for sub in node.iter():
                name, kind, value = xmlsafe.local(sub.tag), sub.get("type"), (sub.text or "").strip()
                if name == "descrip" and kind == "reliabilityCode":
                    entry.confidence = _confidence(value, path, sub.sourceline)
                elif name == "termNote" and kind == "grammaticalGender":
                    gender = {v: k for k, v in GENDER.items()}.get(value, "")
                elif name == "admin" and kind == "source":
                    source = value
            text = " ".join("".join(terms[0].itertext()).split())
            entry.terms.append(Term(text, _kind(node), gender, source))
    entry.settle_combined()


def write(glossaries: list[Glossary], path: str | Path, source_lang: str = "en") -> None:
    """Write one TBX 2008 file holding the concepts of ``glossaries`` (same bytes for the same input)."""
    root = etree.Element("martif", {"type": "TBX", XML_LANG: langs.get(source_lang).tmx})
    header = etree.SubElement(root, "martifHeader")
    desc = etree.SubElement(etree.SubElement(header, "fileDesc"), "sourceDesc")
    etree.SubElement(desc, "p").text = "workbench glossary: " + ", ".join(g.name for g in glossaries)
    body = etree.SubElement(etree.SubElement(root, "text"), "body")
    seen: set[str] = set()
    for glossary in glossaries:
        for concept in glossary.concepts:
            entry_id = concept.id if concept.id not in seen else f"{glossary.name}-{concept.id}"
            seen.add(entry_id)
            entry = etree.SubElement(body, "termEntry", {"id": entry_id})
            if concept.note:
                etree.SubElement(entry, "note").text = concept.note
            for source in concept.sources:
                etree.SubElement(entry, "admin", {"type": "source"}).text = source
            for lang in langs.CODES:
                if lang in concept.entries:
                    _write_langset(entry, concept.entries[lang])
    write_xml(etree.ElementTree(root), path)


def _write_langset(entry: etree._Element, lang_entry: LangEntry) -> None:
    langset = etree.SubElement(entry, "langSet", {XML_LANG: langs.get(lang_entry.lang).tmx})
    if lang_entry.confidence in RELIABILITY:
        etree.SubElement(langset, "descrip", {"type": "reliabilityCode"}).text = str(
            RELIABILITY[lang_entry.confidence]
        )
    for term in lang_entry.terms:
        tig = etree.SubElement(langset, "tig")
        etree.SubElement(tig, "term").text = term.text
        etree.SubElement(tig, "termNote", {"type": "termType"}).text = TERM_TYPE[term.kind]
        status = {
            "forbidden": "deprecatedTerm-admn-sts",
            "variant": "admittedTerm-admn-sts",
            "combined": "admittedTerm-admn-sts",
        }.get(term.kind, "preferredTerm-admn-sts")
        etree.SubElement(tig, "termNote", {"type": "administrativeStatus"}).text = status
        if term.gender:
            etree.SubElement(tig, "termNote", {"type": "grammaticalGender"}).text = GENDER[term.gender]
        if term.source:
            etree.SubElement(tig, "admin", {"type": "source"}).text = term.source
