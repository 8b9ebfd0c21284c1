"""Aligning a stored speech with its human translations and storing the result for review.

Each translation is aligned to the source on its own (:func:`workbench.align.align`); the beads are
then composed into one multilingual unit per group of source segments. Where one language merged two
source sentences that another kept apart, the pairs disagree: those units are flagged for a reviewer,
never exported silently (only approved work is exported by default). Aligned sentences become
translations with origin ``aligned`` and their bead's confidence, reviewable like MT; low-confidence
beads are flagged. A person's reviewed or approved translation is never replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ingest, langs, translations
from .align import Bead, align
from .errors import InputError, UsageError
from .model import Document, Flag, Origin, Status
from .mt.registry import ModelMap
from .store import Store
from .termmatch import Terminology
from .translate import Options, translate_texts

LOW_CONFIDENCE = 0.5


@dataclass
class PairResult:
    """What aligning one translation did."""

    lang: str
    beads: list[Bead]
    stored: int = 0
    kept: int = 0  # a person's reviewed or approved work left as it was
    low_confidence: int = 0
    merged: int = 0  # source segments translated together with the previous one
    untranslated: int = 0  # source segments with no sentence of the translation
    extra: int = 0  # translation sentences with no source sentence
    disagreements: int = 0
    mt: bool = False
    notes: list[str] = field(default_factory=list)
    disputed: set[int] = field(default_factory=set)  # source segments whose grouping the languages dispute


def breaks(document: Document) -> list[int]:
    """Indices (into the segment list) of segments that start a paragraph."""
    out, count = [], 0
    for paragraph in document.paragraphs:
        out.append(count)
        count += len(paragraph.segments)
    return out


def join(texts: list[str], lang: str) -> str:
    return ("" if not langs.get(lang).spaced else " ").join(texts)


def check_translation(translation: Document, source_lang: str, declared: str | None = None) -> None:
    """Refuse a translation that cannot be what it is given as, before anything is stored: one in the
    source's own language, or one that reads as another language than the one declared."""
    problem = ingest.language_mismatch(translation.text, declared) if declared else None
    if translation.lang == source_lang:
        problem = f"it is in {langs.get(source_lang).name}, the language of the source"
    if problem:
        raise InputError(translation.name, problem)


def align_documents(
    store: Store,
    source_id: int,
    translation_ids: list[int],
    *,
    use_mt: bool | None = None,
    model_map: ModelMap | None = None,
    options: Options | None = None,
    terminology: Terminology | None = None,
) -> list[PairResult]:
    """Align every translation to the source and store the result.

    ``use_mt``: True translates the source with the workbench's models for scoring, False never
    does, None uses the machine translations already in the store when every segment has one.
    """
    source = store.document(source_id)
    segments = source.segments
    results: list[PairResult] = []
    for translation_id in translation_ids:
        translation = store.document(translation_id)
        check_translation(translation, source.lang)
        lang = translation.lang
        src_mt = _source_mt(store, source, lang, use_mt, model_map, options)
        beads = align(
            [s.text for s in segments],
            [s.text for s in translation.segments],
            source.lang,
            lang,
            src_mt=src_mt,
            src_breaks=breaks(source),
            tgt_breaks=breaks(translation),
            terminology=terminology,
        )
        results.append(PairResult(lang, beads, mt=src_mt is not None))
    _flag_disagreements(results)
    for result, translation_id in zip(results, translation_ids, strict=True):
        _store(store, source, store.document(translation_id), result, terminology)
    return results


def _source_mt(store, source, lang, use_mt, model_map, options) -> list[str] | None:
    if use_mt is False:
        return None
    stored = {t.segment_id: t.text for t in store.translations(source.id, lang) if t.origin == Origin.MT}
    if all(s.id in stored for s in source.segments):
        return [stored[s.id] for s in source.segments]
    if not use_mt:
        return None
    if model_map is None:
        raise UsageError("--mt needs a model map")
    return translate_texts(
        [s.text for s in source.segments], source.lang, lang, model_map, options or Options()
    )


def _flag_disagreements(results: list[PairResult]) -> None:
    """Source segments one language merges and another keeps apart: the languages disagree."""
    grouped = {r.lang: {s: bead.src for bead in r.beads for s in bead.src} for r in results}
    for result in results:
        notes = set()
        for bead in result.beads:
            if len(bead.src) < 2:
                continue
            for other, theirs in grouped.items():
                if other != result.lang and any(theirs.get(s, bead.src) != bead.src for s in bead.src):
                    notes.add((bead.src, other))
                    result.disputed.update(bead.src)
        result.disagreements = len({src for src, _ in notes})
        result.notes = [
            f"segments {src[0]}-{src[-1]}: merged in {result.lang}, not in {other}"
            for src, other in sorted(notes)
        ]


def _store(store: Store, source: Document, translation: Document, result: PairResult, terminology) -> None:
    """One language's beads as translations, in one transaction (:func:`workbench.translations.record`):
    checked against the bead's source, machine work by the store's rule, so a person's is kept."""
    segments, lang = source.segments, result.lang
    sentences = translation.segments
    firsts: list[int] = []  # positions in ``writes`` of each bead's first segment
    writes: list[translations.Write] = []
    for bead in result.beads:
        if not bead.tgt:
            result.untranslated += len(bead.src)
            continue
        if not bead.src:
            result.extra += len(bead.tgt)
            continue
        text = join([sentences[t].text for t in bead.tgt], lang)
        flags: list[Flag] = []
        if bead.confidence < LOW_CONFIDENCE:
            flags.append(Flag("alignment", "warning", f"low alignment confidence ({bead.confidence:.2f})"))
            result.low_confidence += 1
        if len(bead.tgt) > 1:
            flags.append(Flag("alignment", "info", f"{len(bead.tgt)} sentences of the translation"))
        if set(bead.src) & result.disputed:
            flags.append(
                Flag("alignment", "warning", "the languages disagree on the sentence boundaries here")
            )
        aligned = {"origin": Origin.ALIGNED, "engine": "align", "confidence": bead.confidence}
        firsts.append(len(writes))
        writes.append(
            translations.Write(
                segments[bead.src[0]].id, lang, text, **aligned, notes=tuple(flags),  # type: ignore[arg-type]
                source=join([segments[s].text for s in bead.src], source.lang),
            )
        )  # fmt: skip
        for s in bead.src[1:]:  # merged into the first segment's translation
            result.merged += 1
            note = Flag("alignment", "warning", f"translated together with segment {bead.src[0]} (merged)")
            writes.append(
                translations.Write(
                    segments[s].id, lang, "", **aligned, status=Status.DRAFT,  # type: ignore[arg-type]
                    notes=(note, *flags), checked=False,
                )
            )  # fmt: skip
    saved = translations.record(store, writes, terminology)
    result.stored = sum(1 for i in firsts if saved[i] is not None)
    result.kept = len(firsts) - result.stored
