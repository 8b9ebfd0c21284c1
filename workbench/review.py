"""Reviewing translations: pages of segments, validated saves, confirmations, a segment's detail.

The review interface (``ui/``) and scripts call these functions; nothing else writes a person's
text, so every human edit is re-checked (terms, numbers, …), versioned, and refused when someone else
saved the same segment meanwhile. A browser can change only target texts: the ids, sources and row
count of a page are checked against what the server sent.
"""

from __future__ import annotations

import difflib
import html
import unicodedata
from dataclasses import dataclass, field

from . import checks
from .model import Flag, Origin, Status, Translation
from .store import ConflictError, Store
from .termmatch import Terminology

PAGE_SIZE = 100
STATUS_FILTERS = ("all", "untranslated", "draft", "translated", "reviewed", "approved", "unconfirmed")
FLAG_FILTERS = (
    "all",
    "any",
    "error",
    "term",
    "forbidden",
    "numbers",
    "untranslated",
    "alignment",
    "inconsistent",
)


class ReviewError(ValueError):
    """A save the server refuses (the page does not match what it sent)."""


def save(
    store: Store,
    segment_id: int,
    lang: str,
    text: str,
    *,
    who: str | None,
    status: Status = Status.REVIEWED,
    expected_version: int | None = None,
    terminology: Terminology | None = None,
) -> Translation:
    """Store a person's translation with its QA flags; :class:`~workbench.store.ConflictError` if
    someone saved a newer version since ``expected_version`` was read."""
    source, src, doc_id = store.segment_source(segment_id)
    flags = checks.check(source, text, src, lang, terminology)
    current = store.translation(segment_id, lang)
    unchanged = current is not None and current.text == text  # a confirmation keeps where it came from
    saved = store.put_translation(
        segment_id,
        lang,
        text,
        origin=current.origin if unchanged else Origin.HUMAN,  # type: ignore[union-attr]
        status=status,
        engine=current.engine if unchanged else None,  # type: ignore[union-attr]
        who=who,
        expected_version=expected_version,
        flags=flags,
        confidence=current.confidence if unchanged else None,  # type: ignore[union-attr]
    )
    checks.refresh_consistency(store, doc_id, lang)
    return saved


def recheck(
    store: Store, doc_id: int, lang: str, terminology: Terminology | None
) -> dict[tuple[str, str], int]:
    """Run the QA checks again on a document's translations into ``lang`` (after a glossary change,
    say); returns the flags by (code, mark or severity). Terms the decoder forced stay marked forced:
    the texts have not changed."""
    document = store.document(doc_id)
    current = {t.segment_id: t for t in store.translations(doc_id, lang)}
    updates = {}
    for segment in document.segments:
        t = current.get(segment.id)  # type: ignore[arg-type]
        if t is not None:
            forced = {f.concept for f in store.flags(t.id) if f.mark == "forced" and f.concept}  # type: ignore[arg-type]
            updates[t.id] = checks.check(segment.text, t.text, document.lang, lang, terminology, forced)
    store.set_flags_many(updates)  # type: ignore[arg-type]
    checks.refresh_consistency(store, doc_id, lang)
    counts: dict[tuple[str, str], int] = {}
    for flags in store.document_flags(doc_id, lang).values():
        for flag in flags:
            key = (flag.code, flag.mark or flag.severity)
            counts[key] = counts.get(key, 0) + 1
    return counts


@dataclass
class Row:
    """One segment on a review page."""

    segment_id: int
    index: int
    paragraph: int
    source: str
    target: str
    status: str  # a Status value, or "untranslated"
    origin: str
    version: int  # 0: no translation yet
    flags: list[Flag] = field(default_factory=list)
    confidence: float | None = None
    refs: dict[str, str] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return any(f.severity != "info" for f in self.flags)


@dataclass
class Page:
    doc_id: int
    name: str
    source_lang: str
    lang: str
    number: int  # 0-based
    pages: int
    matching: int  # segments that pass the filters
    total: int  # segments in the document
    rows: list[Row]


def _passes(row: Row, status: str, flag: str, text: str) -> bool:
    if status == "unconfirmed" and row.status == Status.APPROVED:
        return False
    if status not in ("all", "unconfirmed") and row.status != status:
        return False
    if flag == "any" and not row.flagged:
        return False
    if flag == "error" and not any(f.severity == "error" for f in row.flags):
        return False
    if flag not in ("all", "any", "error") and not any(
        f.code == flag and f.severity != "info" for f in row.flags
    ):
        return False
    needle = text.casefold().strip()
    return not needle or needle in row.source.casefold() or needle in row.target.casefold()


def load_page(
    store: Store,
    doc_id: int,
    lang: str,
    *,
    number: int = 0,
    size: int = PAGE_SIZE,
    status: str = "all",
    flag: str = "all",
    text: str = "",
    refs: tuple[str, ...] = (),
) -> Page:
    """A page of ``size`` segments (after the filters), the target ``lang`` editable, ``refs`` shown."""
    if status not in STATUS_FILTERS or flag not in FLAG_FILTERS:
        raise ReviewError(f"unknown filter {status!r} / {flag!r}")
    if status == "all" and flag == "all" and not text.strip():
        return _plain_page(store, doc_id, lang, number, size, refs)
    document = store.document(doc_id)
    current = {t.segment_id: t for t in store.translations(doc_id, lang)}  # type: ignore[arg-type]
    flags = store.document_flags(doc_id, lang)  # type: ignore[arg-type]
    others = {r: {t.segment_id: t.text for t in store.translations(doc_id, r)} for r in refs}  # type: ignore[arg-type]
    rows = []
    for segment in document.segments:
        t = current.get(segment.id)  # type: ignore[arg-type]
        row = Row(
            segment.id,  # type: ignore[arg-type]
            segment.index,
            segment.paragraph,
            segment.text,
            t.text if t else "",
            t.status.value if t else "untranslated",
            t.origin.value if t else "",
            t.version if t else 0,
            flags.get(segment.id, []),  # type: ignore[arg-type]
            t.confidence if t else None,
            {r: others[r].get(segment.id, "") for r in refs},  # type: ignore[arg-type]
        )
        if _passes(row, status, flag, text):
            rows.append(row)
    pages = max(1, -(-len(rows) // size))
    number = min(max(number, 0), pages - 1)
    return Page(
        doc_id, document.name, document.lang, lang, number, pages, len(rows), len(document.segments),
        rows[number * size : (number + 1) * size],
    )  # fmt: skip


def _plain_page(store: Store, doc_id: int, lang: str, number: int, size: int, refs: tuple[str, ...]) -> Page:
    """An unfiltered page reads only its own segments: a 100,000-segment document pages as fast as a
    short one."""
    doc_id = store.resolve_document(doc_id)  # NotFoundError for a document that is not there
    total = store.segment_count(doc_id)
    pages = max(1, -(-total // size))
    number = min(max(number, 0), pages - 1)
    segments = store.segment_page(doc_id, number * size, size)
    ids = [s.id for s in segments]  # type: ignore[misc]
    current = store.translations_of(ids, lang) if ids else {}  # type: ignore[arg-type]
    flags = store.flags_of(ids, lang) if ids else {}  # type: ignore[arg-type]
    others = {r: store.translations_of(ids, r) if ids else {} for r in refs}  # type: ignore[arg-type]
    name, source_lang = store.db.execute(
        "SELECT name, lang FROM documents WHERE id = ?", (doc_id,)
    ).fetchone()
    rows = []
    for segment in segments:
        t = current.get(segment.id)  # type: ignore[arg-type]
        rows.append(
            Row(
                segment.id, segment.index, segment.paragraph, segment.text,  # type: ignore[arg-type]
                t.text if t else "", t.status.value if t else "untranslated", t.origin.value if t else "",
                t.version if t else 0, flags.get(segment.id, []), t.confidence if t else None,  # type: ignore[arg-type]
                {r: (others[r][segment.id].text if segment.id in others[r] else "") for r in refs},  # type: ignore[index]
            )
        )  # fmt: skip
    return Page(doc_id, name, source_lang, lang, number, pages, total, total, rows)


@dataclass
class Conflict:
    segment_id: int
    index: int
    yours: str
    theirs: str
    who: str | None


@dataclass
class SaveReport:
    saved: list[int] = field(default_factory=list)  # segment ids
    conflicts: list[Conflict] = field(default_factory=list)


def save_page(
    store: Store,
    lang: str,
    sent: list[tuple[int, str, str, int]],
    received: list[tuple[int, str, str]],
    *,
    who: str | None,
    terminology: Terminology | None = None,
) -> SaveReport:
    """Save the targets a browser changed on a page.

    ``sent`` is what the server sent: (segment id, source, target, version) per row; ``received`` what
    came back: (segment id, source, target). Anything but a changed target is refused; a row someone
    else saved meanwhile is not written but reported with both texts.
    """
    if len(received) != len(sent):
        raise ReviewError(f"the page had {len(sent)} rows, the browser sent {len(received)}")
    report = SaveReport()
    for (sid, source, target, version), (rid, rsource, rtarget) in zip(sent, received, strict=True):
        if rid != sid or rsource != source:
            raise ReviewError("segment ids and source texts cannot be changed from the browser")
        if rtarget == target:
            continue
        try:
            save(store, sid, lang, rtarget, who=who, expected_version=version, terminology=terminology)
            report.saved.append(sid)
        except ConflictError as exc:
            current = exc.current
            if current is not None and current.text == rtarget:
                continue  # the same edit arrived twice (the browser sends on Enter and on blur)
            index = next(
                s.index for s in store.document(store.segment_source(sid)[2]).segments if s.id == sid
            )
            report.conflicts.append(
                Conflict(
                    sid,
                    index,
                    rtarget,
                    current.text if current else "",
                    current.updated_by if current else None,
                )
            )
    return report


# Findings a reviewer must look at before approving: confirming over them needs an explicit override.
GUARDED = ("empty", "term", "forbidden", "numbers", "untranslated", "linebreak")


class NeedsOverride(ReviewError):
    """Approving this text needs an explicit override; ``reasons`` say why, in words."""

    def __init__(self, reasons: list[str]):
        super().__init__("confirm anyway? " + "; ".join(reasons))
        self.reasons = reasons


def describe(flag: Flag) -> str:
    """A QA finding in words ("missing term: Office of Counter-Terrorism → …"), not a code."""
    if flag.code == "term" and flag.mark and ": " in flag.message:
        label = flag.message.split(": ")[0]
        return f"{flag.mark} term: {label}"
    return flag.message if flag.code in ("numbers", "forbidden") else f"{flag.code}: {flag.message}"


def approve(
    store: Store,
    segment_id: int,
    lang: str,
    text: str,
    version: int,
    *,
    who: str | None,
    terminology: Terminology | None = None,
    override: bool = False,
) -> Translation:
    """Save ``text`` approved (a conflict if the stored translation changed since ``version``).

    A missing or forbidden term, different numbers, untranslated or empty text or a line break refuse
    with :class:`NeedsOverride` unless ``override``; an override is recorded as a comment."""
    current = store.translation(segment_id, lang)
    if current is not None and current.version != version:  # a newer text is never approved unseen
        raise ConflictError("the translation changed meanwhile", current)
    source, src, _ = store.segment_source(segment_id)
    blocking = [
        f for f in checks.check(source, text, src, lang, terminology)
        if f.code in GUARDED and f.severity != "info" and f.mark not in ("suggested", "forced")
    ]  # fmt: skip
    if blocking and not override:
        raise NeedsOverride([describe(f) for f in blocking])
    saved = save(store, segment_id, lang, text, who=who, status=Status.APPROVED, expected_version=version,
                 terminology=terminology)  # fmt: skip
    if blocking:
        store.add_comment(segment_id, lang, "approved over: " + "; ".join(describe(f) for f in blocking), who)
    return saved


def confirm(
    store: Store,
    segment_id: int,
    lang: str,
    version: int,
    *,
    who: str | None,
    terminology: Terminology | None = None,
    override: bool = False,
) -> Translation:
    """Approve a segment's current translation as it is (a conflict if it changed since ``version``;
    :class:`NeedsOverride` over a missing term, different numbers or untranslated text)."""
    current = store.translation(segment_id, lang)
    if current is None:
        raise ReviewError(f"segment {segment_id} has no {lang} translation to confirm")
    return approve(store, segment_id, lang, current.text, version, who=who, terminology=terminology,
                   override=override)  # fmt: skip


# -- a segment in detail ---------------------------------------------------------------------

MARK_CLASS = {
    "present": "term-ok",
    "forced": "term-forced",
    "missing": "term-missing",
    "suggested": "term-suggested",
}


@dataclass
class Detail:
    segment_id: int
    source_html: str  # glossary terms highlighted
    target_html: str
    original: str | None  # the first version (MT, TM or aligned) when a person changed it
    diff_html: str
    flags: list[Flag]
    comments: list[tuple[str | None, str, str]]
    history: list[tuple[int, str | None, str, str, str]]  # version, who, at, status, text


def _highlight(text: str, spans: list[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, css in sorted(spans):
        if start < last:
            continue
        out += [html.escape(text[last:start]), f'<mark class="{css}">{html.escape(text[start:end])}</mark>']
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def word_diff(old: str, new: str) -> str:
    """An HTML word diff: deletions struck through, insertions underlined."""
    a, b = old.split(), new.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out.append(f"<del>{html.escape(' '.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{html.escape(' '.join(b[j1:j2]))}</ins>")
        if op == "equal":
            out.append(html.escape(" ".join(a[i1:i2])))
    return " ".join(out)


def detail(store: Store, segment_id: int, lang: str, terminology: Terminology | None = None) -> Detail:
    source, src, _ = store.segment_source(segment_id)
    current = store.translation(segment_id, lang)
    target = current.text if current else ""
    flags = store.flags(current.id) if current else []  # type: ignore[arg-type]
    marks = {f.concept: f.mark for f in flags if f.code == "term" and f.concept}
    source_spans, target_spans = [], []
    if terminology is not None:
        for m in terminology.find(source, src):
            source_spans.append((m.start, m.end, MARK_CLASS.get(marks.get(m.concept.id, ""), "term")))
        for m in terminology.find(target, lang):
            target_spans.append((m.start, m.end, MARK_CLASS.get(marks.get(m.concept.id, ""), "term")))
    history = store.history(current.id) if current else []  # type: ignore[arg-type]
    original = history[0].new_text if history and current and current.origin == Origin.HUMAN else None
    return Detail(
        segment_id,
        _highlight(source, source_spans),
        _highlight(target, target_spans),
        original,
        word_diff(original, target) if original is not None else "",
        flags,
        store.comments(segment_id, lang),
        [(h.version, h.who, h.at, str(h.new_status), h.new_text) for h in history],
    )


# -- the segment editor: context, restore, split, find & replace -----------------------------


def context(store: Store, segment_id: int, lang: str, terminology: Terminology | None = None) -> dict:
    """Everything the editor shows beside a segment: the source with its terms highlighted, the
    glossary's required renderings, memory matches, the QA findings in words, the first version with a
    diff, and the history (for restore). Plain data; every text is still to be escaped by the shell."""
    from . import tm

    source, src, _ = store.segment_source(segment_id)
    d = detail(store, segment_id, lang, terminology)
    current = store.translation(segment_id, lang)
    renderings = []
    if terminology is not None:
        seen: set[str] = set()
        for e in terminology.expectations(source, src, lang):
            if e.concept_id not in seen:
                seen.add(e.concept_id)
                renderings.append({"source": e.match.text, "target": e.preferred, "forms": list(e.forms),
                                   "required": e.enforced})  # fmt: skip
    target = current.text if current else ""
    matches = [
        {"score": round(m.score), "source": m.source, "target": m.target, "origin": m.origin}
        for m in tm.fuzzy(store, source, src, lang, limit=6)
        if not (m.source == source and m.target == target)
    ][:5]
    return {
        "segment": segment_id,
        "source_html": d.source_html,
        "target": target,
        "version": current.version if current else 0,
        "status": current.status.value if current else "untranslated",
        "renderings": renderings,
        "matches": matches,
        "flags": [{"severity": f.severity, "text": describe(f)} for f in d.flags if f.severity != "info"],
        "original": d.original,
        "diff_html": d.diff_html,
        "history": [
            {"version": v, "who": w, "at": at, "status": st, "text": t} for v, w, at, st, t in d.history
        ],
        "comments": [{"who": w, "at": at, "text": t} for w, at, t in d.comments],
    }


def restore(
    store: Store,
    segment_id: int,
    lang: str,
    version: int,
    expected_version: int,
    *,
    who: str | None,
    terminology: Terminology | None = None,
) -> Translation:
    """Make an earlier version's text the current one again (a new version: history is never lost)."""
    current = store.translation(segment_id, lang)
    old = next((h for h in store.history(current.id) if h.version == version), None) if current else None  # type: ignore[arg-type]
    if old is None:
        raise ReviewError(f"segment {segment_id} has no {lang} version {version}")
    return save(store, segment_id, lang, old.new_text, who=who, expected_version=expected_version,
                terminology=terminology)  # fmt: skip


SPLIT_FLAG = Flag("split", "error", "the source was split: this translation still covers both parts")


def split(
    store: Store,
    segment_id: int,
    offset: int,
    *,
    lang: str | None = None,
    target_cut: int | None = None,
    expected_version: int | None = None,
    who: str | None,
    terminology: Terminology | None = None,
) -> tuple[int, int]:
    """Split a segment's source at ``offset``; in ``lang`` the translation is cut at ``target_cut`` and
    both halves saved and checked. In every other language (and in ``lang`` without a cut) the whole
    translation stays on the first half as a draft flagged ``split``, and the second half is left
    untranslated, so translating the document again fills it."""
    translations = {t.lang: t for t in store.translations(store.segment_source(segment_id)[2])
                    if t.segment_id == segment_id}  # fmt: skip
    if lang is not None and target_cut is not None:
        current = translations.get(lang)
        if current is None or not 0 < target_cut < len(current.text):
            raise ReviewError("the translation cut must fall inside the translation")
        if expected_version is not None and current.version != expected_version:
            raise ConflictError("the translation changed meanwhile", current)
    first, second = store.split_segment(segment_id, offset)
    for code, t in translations.items():
        if code == lang and target_cut is not None:
            save(store, first, code, t.text[:target_cut].strip(), who=who, expected_version=t.version,
                 terminology=terminology)  # fmt: skip
            save(store, second, code, t.text[target_cut:].strip(), who=who, terminology=terminology)
        else:
            saved = save(store, first, code, t.text, who=who, status=Status.DRAFT, expected_version=t.version,
                         terminology=terminology)  # fmt: skip
            store.set_flags_many({saved.id: [SPLIT_FLAG]}, codes=("split",))  # type: ignore[dict-item]
    return first, second


def merge(store: Store, segment_id: int, *, who: str | None, terminology: Terminology | None = None) -> int:
    """Merge a segment with the next one of its paragraph (the store joins the translations, as drafts)
    and check every joined translation again."""
    merged = store.merge_segments(segment_id, who=who)
    source, src, doc_id = store.segment_source(merged)
    joined = [t for t in store.translations(doc_id) if t.segment_id == merged]
    store.set_flags_many({t.id: checks.check(source, t.text, src, t.lang, terminology) for t in joined})  # type: ignore[misc]
    return merged


def fold(text: str) -> tuple[str, list[int]]:
    """``text`` without accents and case, with the index in ``text`` of every folded character (so a
    match found in the folded text maps back onto the original)."""
    out, where = [], []
    for i, ch in enumerate(text):
        bare = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        for f in bare.casefold():
            out.append(f)
            where.append(i)
    return "".join(out), where


def replace_in(text: str, find: str, replacement: str) -> str:
    """Replace every occurrence of ``find`` in ``text``, ignoring accents and case."""
    needle = fold(find)[0]
    if not needle:
        return text
    folded, where = fold(text)
    out, last, start = [], 0, folded.find(needle)
    while start >= 0:
        a, b = where[start], where[start + len(needle) - 1] + 1
        if a >= last:
            out += [text[last:a], replacement]
            last = b
        start = folded.find(needle, start + len(needle))
    return "".join(out) + text[last:]


@dataclass
class Replacement:
    segment_id: int
    number: int  # 1-based, as the editor shows it
    version: int
    old: str
    new: str


def replace_preview(store: Store, doc_id: int, lang: str, find: str, replacement: str) -> list[Replacement]:
    """What a find & replace over a document's targets would change (accent- and case-insensitive)."""
    page = load_page(store, doc_id, lang, size=10**9)
    out = []
    for row in page.rows:
        new = replace_in(row.target, find, replacement) if row.version else row.target
        if new != row.target:
            out.append(Replacement(row.segment_id, row.index + 1, row.version, row.target, new))
    return out


def replace_apply(
    store: Store,
    lang: str,
    changes: list[tuple[int, int, str]],
    *,
    who: str | None,
    terminology: Terminology | None = None,
) -> tuple[list[tuple[int, int, str]], SaveReport]:
    """Save (segment id, version seen, new text) changes as one operation; returns the reverse
    operation (segment id, new version, old text), which undoes it through this same function, and
    the report (a segment someone changed meanwhile is not written but reported)."""
    undo, report = [], SaveReport()
    for sid, version, text in changes:
        old = store.translation(sid, lang)
        try:
            saved = save(store, sid, lang, text, who=who, expected_version=version, terminology=terminology)
        except ConflictError as exc:
            theirs = exc.current
            report.conflicts.append(Conflict(sid, 0, text, theirs.text if theirs else "",
                                             theirs.updated_by if theirs else None))  # fmt: skip
            continue
        report.saved.append(sid)
        undo.append((sid, saved.version, old.text if old else ""))
    return undo, report


def progress(store: Store, doc_id: int) -> dict[str, dict[str, int]]:
    """Per language, how many of a document's segments are at each status."""
    out: dict[str, dict[str, int]] = {}
    for t in store.translations(doc_id):
        counts = out.setdefault(t.lang, {s.value: 0 for s in Status})
        counts[t.status.value] += 1
    return out


def source_documents(store: Store) -> list[dict]:
    """:meth:`Store.documents` without the human translations aligned to another document (their text
    is reviewed as that document's translation, never as a source of its own)."""
    documents = store.documents()
    aligned: dict[str, set[str]] = {}  # language → texts aligned into it
    for d in documents:
        for lang in d["languages"]:
            texts = aligned.setdefault(lang, set())
            texts.update(t.text for t in store.translations(d["id"], lang) if t.origin == Origin.ALIGNED)
    out = []
    for d in documents:
        first = store.segment_page(d["id"], 0, 1) if not d["languages"] else []
        texts = aligned.get(d["lang"], set())
        if first and any(first[0].text in t for t in texts):
            continue
        out.append(d)
    return out
