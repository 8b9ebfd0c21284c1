"""Scoring translations: BLEU, chrF and TER exactly as sacrebleu computes them, and terminology.

Term accuracy follows the WMT21 terminology task: of the glossary terms a segment calls for, the
share the hypothesis renders. *Exact* counts an accepted form written as such; *lenient* also counts
inflected and clitic forms (the lemma fallback: Russian cases, Arabic proclitics).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex
import sacrebleu

from .errors import InputError
from .termmatch import Terminology, pattern


@dataclass
class Scores:
    bleu: float
    chrf: float
    ter: float
    bleu_signature: str
    terms: int = 0
    exact: int = 0
    lenient: int = 0

    @property
    def term_exact(self) -> float | None:
        return self.exact / self.terms if self.terms else None

    @property
    def term_lenient(self) -> float | None:
        return self.lenient / self.terms if self.terms else None


def read_lines(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 text (byte {exc.start})") from None
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def evaluate_files(
    ref: Path,
    hyp: Path,
    lang: str,
    terminology: Terminology | None = None,
    src: Path | None = None,
    src_lang: str | None = None,
) -> Scores:
    """:func:`evaluate` on line-aligned files; a line count that does not match names both files."""
    refs, hyps = read_lines(ref), read_lines(hyp)
    sources = read_lines(src) if src else None
    if len(hyps) != len(refs):
        raise InputError(hyp, f"{len(hyps)} lines, but the reference {ref} has {len(refs)}")
    if src and sources is not None and len(sources) != len(hyps):
        raise InputError(src, f"{len(sources)} lines, but the hypothesis {hyp} has {len(hyps)}")
    return evaluate(refs, hyps, lang, terminology, sources, src_lang)


def evaluate(
    refs: list[str],
    hyps: list[str],
    lang: str,
    terminology: Terminology | None = None,
    sources: list[str] | None = None,
    src_lang: str | None = None,
) -> Scores:
    """Score ``hyps`` against ``refs`` (one segment per item) in target language ``lang``.

    Terms come from the source segments when given (what the glossary asked for), else from the
    reference (what the human translator used).
    """
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} reference lines but {len(hyps)} hypothesis lines")
    if sources is not None and len(sources) != len(hyps):
        raise ValueError(f"{len(sources)} source lines but {len(hyps)} hypothesis lines")
    bleu = sacrebleu.metrics.BLEU(trg_lang=lang)
    chrf = sacrebleu.metrics.CHRF()
    ter = sacrebleu.metrics.TER()
    scores = Scores(
        bleu=bleu.corpus_score(hyps, [refs]).score,
        chrf=chrf.corpus_score(hyps, [refs]).score,
        ter=ter.corpus_score(hyps, [refs]).score,
        bleu_signature=str(bleu.get_signature()),
    )
    if terminology is not None:
        _term_accuracy(scores, refs, hyps, lang, terminology, sources, src_lang)
    return scores


def _term_accuracy(scores, refs, hyps, lang, terminology, sources, src_lang) -> None:
    for n, hyp in enumerate(hyps):
        if sources is not None and src_lang:
            wanted = {}
            for e in terminology.expectations(sources[n], src_lang, lang):
                wanted.setdefault(e.concept_id, e)
            for e in wanted.values():
                scores.terms += 1
                scores.exact += any(regex.search(pattern(f, lang), hyp) for f in e.forms)
                scores.lenient += terminology.present(e, hyp)
        else:
            seen = set()
            for match in terminology.find(refs[n], lang):
                if match.concept.id in seen:
                    continue
                seen.add(match.concept.id)
                scores.terms += 1
                exact = regex.escape(match.text)
                scores.exact += bool(regex.search(exact, hyp))
                scores.lenient += terminology.has_concept(match.concept, lang, hyp)


# -- sentence alignment -----------------------------------------------------------------------

BeadPair = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass
class AlignmentScores:
    precision_strict: float
    recall_strict: float
    f1_strict: float
    precision_lax: float
    recall_lax: float
    f1_lax: float


def _clean(beads: list[BeadPair]) -> list[BeadPair]:
    """Sorted sides; beads empty on both sides dropped; exact duplicates collapsed."""
    out: list[BeadPair] = []
    for src, tgt in beads:
        bead = (tuple(sorted(src)), tuple(sorted(tgt)))
        if (bead[0] or bead[1]) and bead not in out:
            out.append(bead)
    return out


def _count(ref: list[BeadPair], hyp: list[BeadPair]) -> tuple[int, int, int, int]:
    """(tp_strict, fp_strict, tp_lax, fp_lax) of ``hyp`` against ``ref`` (vecalign's score.py)."""
    targets: dict[int, set[int]] = {}
    for src, tgt in ref:
        for s in src:
            targets.setdefault(s, set()).update(tgt)
    ref_set = set(ref)
    tp_s = fp_s = tp_l = fp_l = 0
    for src, tgt in hyp:
        if (src, tgt) in ref_set:
            tp_s += 1
            tp_l += 1
            continue
        fp_s += 1
        linked = set().union(*(targets.get(s, set()) for s in src)) if src else set()
        if linked & set(tgt):
            tp_l += 1
        else:
            fp_l += 1
    return tp_s, fp_s, tp_l, fp_l


def alignment_scores(gold: list[list[BeadPair]], system: list[list[BeadPair]]) -> AlignmentScores:
    """Strict and lax precision, recall and F1, micro-averaged over documents, exactly as
    ``../shared/align/README.md`` describes (vecalign's and Bertalign's scorer)."""
    if len(gold) != len(system):
        raise ValueError(f"{len(gold)} gold documents but {len(system)} system documents")
    p = [0, 0, 0, 0]
    r = [0, 0, 0, 0]
    for g, h in zip(gold, system, strict=True):
        g, h = _clean(g), _clean(h)
        for k, v in enumerate(_count(g, h)):
            p[k] += v
        both = [b for b in g if b[0] and b[1]], [b for b in h if b[0] and b[1]]
        for k, v in enumerate(_count(both[1], both[0])):
            r[k] += v

    def ratio(tp: int, fp: int) -> float:
        return tp / (tp + fp) if tp + fp else 0.0

    def f1(a: float, b: float) -> float:
        return 2 * a * b / (a + b) if a + b else 0.0

    ps, rs = ratio(p[0], p[1]), ratio(r[0], r[1])
    pl, rl = ratio(p[2], p[3]), ratio(r[2], r[3])
    return AlignmentScores(ps, rs, f1(ps, rs), pl, rl, f1(pl, rl))
