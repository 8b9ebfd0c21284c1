"""XLIFF 1.2 and 2.1 for one language pair of a document: out to a CAT tool, and back with its edits.

A unit's id is the segment's id in the store and carries the version exported (``wb:version``), so an
import knows which segment each unit is and whether someone changed it in the workbench meanwhile.
Review statuses map onto states (design.md §9): draft→initial, translated→translated,
reviewed→reviewed, approved→final (XLIFF 1.2: new, translated, signed-off, final).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import langs, review, xmlsafe
from .errors import ConflictError, InputError, NotFoundError
from .files import folder, write_xml
from .model import Status
from .store import Store
from .termmatch import Terminology
from .tmx import strip_illegal, xml_safe

NS12 = "urn:oasis:names:tc:xliff:document:1.2"
NS20 = "urn:oasis:names:tc:xliff:document:2.0"
WB = "urn:x-workbench"
STATE20 = {
    Status.DRAFT: "initial",
    Status.TRANSLATED: "translated",
    Status.REVIEWED: "reviewed",
    Status.APPROVED: "final",
}
STATE12 = {
    Status.DRAFT: "new",
    Status.TRANSLATED: "translated",
    Status.REVIEWED: "signed-off",
    Status.APPROVED: "final",
}
FROM20 = {v: k for k, v in STATE20.items()}
# XLIFF 1.2 has more states than the workbench; each maps to the nearest status.
FROM12 = {
    "new": Status.DRAFT, "needs-translation": Status.DRAFT, "needs-adaptation": Status.DRAFT,
    "needs-l10n": Status.DRAFT, "needs-review-translation": Status.TRANSLATED,
    "needs-review-adaptation": Status.TRANSLATED, "needs-review-l10n": Status.TRANSLATED,
    "translated": Status.TRANSLATED, "signed-off": Status.REVIEWED, "final": Status.APPROVED,
}  # fmt: skip


def export(store: Store, doc_id: int, tgt: str, out: Path, version: str = "2.1") -> tuple[int, list[str]]:
    """Write every segment of a document with its translation into ``tgt``: (units, warnings)."""
    if version not in ("1.2", "2.1"):
        raise ValueError(f"XLIFF version {version} (1.2 or 2.1)")
    document = store.document(doc_id)
    current = {t.segment_id: t for t in store.translations(doc_id, tgt)}
    warnings: list[str] = []
    src_code, tgt_code = langs.get(document.lang).tmx, langs.get(tgt).tmx
    if version == "2.1":
        root = etree.Element(f"{{{NS20}}}xliff", {"version": "2.1", "srcLang": src_code, "trgLang": tgt_code},
                             nsmap={None: NS20, "wb": WB})  # fmt: skip
        container = etree.SubElement(root, f"{{{NS20}}}file", {"id": f"d{doc_id}", "original": document.name})
    else:
        root = etree.Element(f"{{{NS12}}}xliff", {"version": "1.2"}, nsmap={None: NS12, "wb": WB})
        file = etree.SubElement(
            root,
            f"{{{NS12}}}file",
            {"original": document.name, "source-language": src_code, "target-language": tgt_code,
             "datatype": "plaintext"},
        )  # fmt: skip
        container = etree.SubElement(file, f"{{{NS12}}}body")
    for segment in document.segments:
        t = current.get(segment.id)  # type: ignore[arg-type]
        where = f"{document.name} segment {segment.index}"
        source = xml_safe(segment.text, where, warnings)
        target = xml_safe(t.text, f"{where} ({tgt})", warnings) if t else None
        notes = [xml_safe(f"{w or 'anonymous'} ({at}): {c}", where, warnings)
                 for w, at, c in store.comments(segment.id, tgt)]  # type: ignore[arg-type]  # fmt: skip
        attrs = {"id": f"s{segment.id}", f"{{{WB}}}version": str(t.version if t else 0)}
        if version == "2.1":
            unit = etree.SubElement(container, f"{{{NS20}}}unit", attrs)
            if notes:
                holder = etree.SubElement(unit, f"{{{NS20}}}notes")
                for note in notes:
                    etree.SubElement(holder, f"{{{NS20}}}note").text = note
            seg = etree.SubElement(
                unit, f"{{{NS20}}}segment", {"state": STATE20[t.status] if t else "initial"}
            )
            etree.SubElement(seg, f"{{{NS20}}}source").text = source
            if target is not None:
                etree.SubElement(seg, f"{{{NS20}}}target").text = target
        else:
            if t and t.status == Status.APPROVED:
                attrs["approved"] = "yes"
            unit = etree.SubElement(container, f"{{{NS12}}}trans-unit", attrs)
            etree.SubElement(unit, f"{{{NS12}}}source").text = source
            if target is not None:
                etree.SubElement(unit, f"{{{NS12}}}target", {"state": STATE12[t.status]}).text = target  # type: ignore[union-attr]
            for note in notes:
                etree.SubElement(unit, f"{{{NS12}}}note").text = note
    folder(out.parent)
    write_xml(etree.ElementTree(root), out)
    return len(document.segments), warnings


@dataclass
class _Edit:
    segment_id: int
    text: str | None
    status: Status
    version: int | None
    line: int


@dataclass
class ImportReport:
    updated: int = 0  # new text saved
    restated: int = 0  # same text, new status
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)


def _text(element: etree._Element | None) -> str | None:
    return None if element is None else "".join(element.itertext())


def read(path: str | Path, store: Store) -> tuple[str, list[_Edit]]:
    """Parse and validate a whole XLIFF file against the store before anything is written."""
    path = Path(path)
    root = xmlsafe.parse(path).getroot()
    if xmlsafe.local(root.tag) != "xliff":
        raise InputError(
            path, f"not an XLIFF file (root element <{xmlsafe.local(root.tag)}>)", root.sourceline
        )
    ns = etree.QName(root).namespace
    if ns not in (NS12, NS20):
        raise InputError(path, f"unknown XLIFF namespace {ns}", root.sourceline)
    if ns == NS20:
        tgt_code, units = root.get("trgLang"), root.iter(f"{{{NS20}}}unit")
    else:
        file = root.find(f"{{{NS12}}}file")
        tgt_code = file.get("target-language") if file is not None else None
        units = root.iter(f"{{{NS12}}}trans-unit")
    try:
        tgt = langs.normalize(tgt_code or "")
    except langs.UnknownLanguageError:
        raise InputError(
            path, f"target language '{tgt_code}' is not one of the six UN languages", root.sourceline
        ) from None
    edits = []
    for unit in units:
        line = unit.sourceline
        unit_id = unit.get("id", "")
        number = re.fullmatch(r"s([0-9]{1,18})", unit_id)  # 18 digits: always a valid SQLite integer
        if number is None:
            raise InputError(path, f"unit id '{unit_id}' is not a workbench segment (s<number>)", line)
        segment_id = int(number[1])
        try:
            stored_source, _, _ = store.segment_source(segment_id)
        except NotFoundError:
            raise InputError(path, f"segment {segment_id} is not in the store {store.path}", line) from None
        if ns == NS20:
            seg = unit.find(f"{{{NS20}}}segment")
            source = _text(seg.find(f"{{{NS20}}}source")) if seg is not None else None
            target = _text(seg.find(f"{{{NS20}}}target")) if seg is not None else None
            state = seg.get("state", "initial") if seg is not None else "initial"
            status = FROM20.get(state)
        else:
            source = _text(unit.find(f"{{{NS12}}}source"))
            target_el = unit.find(f"{{{NS12}}}target")
            target = _text(target_el)
            state = target_el.get("state", "translated") if target_el is not None else "new"
            status = Status.APPROVED if unit.get("approved") == "yes" else FROM12.get(state)
        if status is None:
            raise InputError(path, f"unknown state '{state}'", line)
        if source != strip_illegal(stored_source):
            raise InputError(path, f"the source of unit {unit_id} differs from the stored segment", line)
        version = unit.get(f"{{{WB}}}version")
        edits.append(
            _Edit(segment_id, target, status, int(version) if version and version.isdigit() else None, line)
        )
    return tgt, edits


def import_file(
    store: Store, path: str | Path, who: str | None, terminology: Terminology | None = None
) -> ImportReport:
    """Bring a reviewed XLIFF back: changed targets are saved as human edits (checked and versioned),
    changed states update the status; a unit whose segment changed in the workbench since the export
    is not applied but reported as a conflict, with both texts."""
    tgt, edits = read(path, store)
    report = ImportReport()
    for edit in edits:
        current = store.translation(edit.segment_id, tgt)
        if edit.text is None or (current is None and not edit.text.strip()):
            report.unchanged += 1
            continue
        if current is not None and current.text == edit.text and current.status == edit.status:
            report.unchanged += 1
            continue
        expected = edit.version if edit.version is not None else (current.version if current else 0)
        try:
            review.save(store, edit.segment_id, tgt, edit.text, who=who, status=edit.status,
                        expected_version=expected, terminology=terminology)  # fmt: skip
        except ConflictError as exc:
            report.conflicts.append(f"{path}:{edit.line}: {exc}")
            continue
        if current is not None and current.text == edit.text:
            report.restated += 1
        else:
            report.updated += 1
    return report
