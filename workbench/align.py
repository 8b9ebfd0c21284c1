"""Sentence alignment of a document and its translation: beads of 0-3 sentences on each side.

Human translators split, merge, drop and add sentences, so alignment is a monotone dynamic programme
over *beads* (0-1, 1-0, 1-1, 1-2, 2-1, 2-2, 1-3, 3-1), as in Gale & Church, Bleualign and Vecalign:

* **similarity**: each sentence becomes a vector of hashed character trigrams (idf-weighted), plus
  its numbers, document symbols (A/RES/…, S/2019/…) and glossary terms as strong anchors; a bead
  scores the cosine between the sum of its source vectors and the sum of its target vectors. With MT
  the source side is the workbench's translation of the source into the target language (chrF-like
  overlap); without it, the source itself (names, numbers, cognates and anchors still match);
* **length**: the Gale-Church cost of the two sides' lengths, with the ratio calibrated for the
  language pair (Chinese to English is far from 1:1) and the document;
* **band**: long documents are aligned first at a coarse resolution (blocks of sentences), and the
  fine programme is restricted to a band around that path, so time and memory grow linearly;
* **paragraphs** are delimiters: a bead that merges sentences across a paragraph break costs extra,
  and when both sides have the same number of paragraphs each pair is aligned on its own.

Each bead carries a confidence (similarity against the document's typical good bead, times the length
plausibility); null beads have none.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import regex

from .errors import WorkbenchError
from .termmatch import Terminology

TYPES: tuple[tuple[int, int], ...] = ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2), (2, 2), (3, 1), (1, 3))
DIM = 2048
FULL_DP = 600  # up to this many sentences a side: no band
LENGTH_FACTOR = {"en": 1.0, "fr": 1.2, "es": 1.2, "ru": 1.15, "ar": 0.95, "zh": 0.33}
_NUMBER = regex.compile(r"\d+(?:[.,]\d+)*")
_SYMBOL = regex.compile(r"\b[A-Z]{1,4}(?:/[A-Z0-9.]+)+(?:/\d+)?")


@dataclass(frozen=True)
class Params:
    """Weights of the bead cost, tuned on the Text+Berg dev set (never on the test sets)."""

    sim: float = 3.0  # weight of (1 - cosine) per sentence of the bead
    length: float = 0.35  # weight of the Gale-Church length cost
    variance: float = 6.8  # Gale-Church s²
    skip: float = 2.2  # cost of a 1-0 or 0-1 bead
    many: float = 0.7  # extra cost of a 2-1 or 1-2 bead
    two_two: float = 1.6  # extra cost of a 2-2 bead
    three: float = 1.6  # extra cost of a 3-1 or 1-3 bead
    paragraph: float = 3.0  # extra cost of merging across a paragraph break
    anchor: float = 4.0  # weight of a number, symbol or term against one trigram


DEFAULT = Params()


@dataclass(frozen=True)
class Bead:
    src: tuple[int, ...]
    tgt: tuple[int, ...]
    confidence: float = 0.0  # 0-1; 0 for null beads

    def vecalign(self) -> str:
        return f"[{','.join(map(str, self.src))}]:[{','.join(map(str, self.tgt))}]"


class AlignError(WorkbenchError):
    """Input that cannot be aligned (the message says why)."""


# -- sentence vectors -------------------------------------------------------------------------


def _hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8")) % DIM


def _anchors(text: str, lang: str, terminology: Terminology | None) -> list[str]:
    found = [f"#{n.replace(',', '.')}" for n in _NUMBER.findall(text)]
    found += [f"/{s}" for s in _SYMBOL.findall(text)]
    if terminology is not None and lang in LENGTH_FACTOR:
        found += [f"@{m.concept.id}" for m in terminology.find(text, lang)]
    return found


def vectors(texts: Sequence[str], lang: str, terminology: Terminology | None, anchor: float) -> np.ndarray:
    """(n, DIM) raw count vectors: character trigrams of the casefolded text, plus anchors."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        clean = " " + " ".join(text.casefold().split()) + " "
        if len(clean) >= 3:
            c = np.frombuffer(clean.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            grams = (c[:-2] * 1_000_003 + c[1:-1] * 7_919 + c[2:]) % DIM
            out[row] += np.bincount(grams, minlength=DIM).astype(np.float32)
        for token in _anchors(text, lang, terminology):
            out[row, _hash(token)] += anchor
    return out


def _weigh(src: np.ndarray, tgt: np.ndarray) -> None:
    """Scale both sides by inverse document frequency over the two documents (in place)."""
    df = (src > 0).sum(axis=0) + (tgt > 0).sum(axis=0)
    total = len(src) + len(tgt)
    idf = np.log((total + 1) / (df + 1)).astype(np.float32) + 0.1
    src *= idf
    tgt *= idf


def _length(texts: Sequence[str]) -> np.ndarray:
    return np.array([len("".join(t.split())) for t in texts], dtype=np.float64)


def _erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function (Abramowitz & Stegun 7.1.26; error below 1.5e-7)."""
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return poly * np.exp(-x * x)


def _length_cost(ls: np.ndarray | float, lt: np.ndarray, ratio: float, variance: float) -> np.ndarray:
    """Gale-Church: -log P(|δ|), δ the length difference in standard deviations."""
    mean = (np.asarray(ls) * ratio + lt) / 2
    delta = np.abs(lt - ratio * np.asarray(ls)) / np.sqrt(variance * np.maximum(mean, 1.0))
    return -np.log(np.maximum(_erfc(delta / math.sqrt(2)), 1e-12))


# -- the dynamic programme --------------------------------------------------------------------


@dataclass
class _Side:
    vec: np.ndarray  # (n, DIM)
    length: np.ndarray  # (n,)
    breaks: np.ndarray  # (n,) bool: sentence starts a new paragraph

    def __post_init__(self):
        n = len(self.length)
        self.cum = np.concatenate([[0.0], np.cumsum(self.length)])
        self.norm1 = np.einsum("ij,ij->i", self.vec, self.vec) if n else np.zeros(0)
        # dots of neighbours at distance 1 and 2, for the norms of 2- and 3-sentence groups
        self.adj = [
            np.einsum("ij,ij->i", self.vec[:-d], self.vec[d:]) if n > d else np.zeros(0) for d in (1, 2)
        ]

    def group_norm(self, end: np.ndarray, size: int) -> np.ndarray:
        """|v(end-size) + … + v(end-1)|² for group ends ``end`` (all valid)."""
        total = np.zeros(len(end))
        for q in range(1, size + 1):
            total += self.norm1[end - q]
        for d in range(1, size):
            for q in range(1, size - d + 1):
                total += 2 * self.adj[d - 1][end - q - d]
        return total

    def crosses(self, end: np.ndarray, size: int) -> np.ndarray:
        """Whether a group of ``size`` sentences ending at ``end`` spans a paragraph break."""
        out = np.zeros(len(end), dtype=bool)
        for q in range(1, size):
            out |= self.breaks[end - q]
        return out


def _dp(src: _Side, tgt: _Side, lo: np.ndarray, width: int, ratio: float, p: Params):
    """Banded DP; row i has columns lo[i]..lo[i]+width-1. Returns the beads as (a, b) steps."""
    n, m = len(src.length), len(tgt.length)
    inf = np.float64(np.inf)
    cost = np.full((n + 1, width), inf)
    back = np.full((n + 1, width), -1, dtype=np.int8)
    cols = lo[:, None] + np.arange(width)[None, :]
    valid = (cols >= 0) & (cols <= m)
    penalty = {
        (1, 1): 0.0,
        (2, 1): p.many,
        (1, 2): p.many,
        (2, 2): p.two_two,
        (3, 1): p.three,
        (1, 3): p.three,
    }
    tgt_norm = {b: np.full(m + 1, np.nan) for b in (1, 2, 3)}
    tgt_cross = {b: np.zeros(m + 1, dtype=bool) for b in (1, 2, 3)}
    for b in (1, 2, 3):
        ends = np.arange(b, m + 1)
        if len(ends):
            tgt_norm[b][ends] = tgt.group_norm(ends, b)
            tgt_cross[b][ends] = tgt.crosses(ends, b)
    lt_all = {b: np.concatenate([np.full(b, np.nan), tgt.cum[b:] - tgt.cum[:-b]]) for b in (1, 2, 3)}

    # Dots of each source sentence with the target sentences its beads can reach: W[i'] covers
    # columns ws[i'] .. ws[i'] + len(W[i']) (the band of rows i'+1 .. i'+3, three more to the left).
    ws = np.array([lo[min(k + 1, n)] - 3 for k in range(n)], dtype=np.int64)
    we = np.array([lo[min(k + 3, n)] + width for k in range(n)], dtype=np.int64)
    padded = np.vstack(
        [
            np.zeros((3, tgt.vec.shape[1]), dtype=tgt.vec.dtype),
            tgt.vec,
            np.zeros((width + 3, tgt.vec.shape[1]), dtype=tgt.vec.dtype),
        ]
    )
    if width > m:  # no band: one product gives every window
        full = padded @ src.vec.T
        windows = [full[ws[k] + 3 : we[k] + 3, k] for k in range(n)]
    else:
        windows = [padded[max(ws[k] + 3, 0) : we[k] + 3] @ src.vec[k] for k in range(n)]
        windows = [np.concatenate([np.zeros(max(-(ws[k] + 3), 0)), w]) for k, w in enumerate(windows)]
    src_norm = {
        a: np.concatenate([np.full(a, np.nan), src.group_norm(np.arange(a, n + 1), a)]) for a in (1, 2, 3)
    }

    for i in range(n + 1):
        j = cols[i]
        row = np.full(width, inf)
        arg = np.full(width, -1, dtype=np.int8)
        if i == 0:
            row[(j == 0)] = 0.0
        for t, (a, b) in enumerate(TYPES):
            if a == 0 or a > i:
                continue
            prev = i - a
            k = j - b - lo[prev]
            ok = valid[i] & (j - b >= 0) & (k >= 0) & (k < width)
            if not ok.any():
                continue
            base = np.full(width, inf)
            base[ok] = cost[prev, k[ok]]
            if b == 0:
                step = np.full(width, p.skip)
            else:
                jj = j[ok]
                dots = np.zeros(len(jj))
                for src_row in range(i - a, i):
                    window = windows[src_row]
                    for q in range(1, b + 1):
                        dots += window[jj - q - ws[src_row]]
                cos = dots / np.sqrt(np.maximum(src_norm[a][i] * tgt_norm[b][jj], 1e-12))
                ls = src.cum[i] - src.cum[i - a]
                step_ok = (
                    p.sim * (1 - cos) * (a + b) / 2
                    + p.length * _length_cost(ls, lt_all[b][jj], ratio, p.variance)
                    + penalty[(a, b)]
                    + p.paragraph * (tgt_cross[b][jj] | bool(src.crosses(np.array([i]), a)[0]))
                )
                step = np.full(width, inf)
                step[ok] = step_ok
            total = base + step
            better = total < row
            row[better] = total[better]
            arg[better] = t
        # 0-1 beads within the row: row[k] = min(row[k], row[k-1] + skip), left to right
        if np.isfinite(row).any():
            ks = np.arange(width)
            shifted = row - ks * p.skip
            run = np.minimum.accumulate(np.where(np.isfinite(shifted), shifted, inf))
            via = run + ks * p.skip
            take = (via < row - 1e-12) & valid[i]
            row = np.where(take, via, row)
            arg = np.where(take, TYPES.index((0, 1)), arg).astype(np.int8)
        row[~valid[i]] = inf
        cost[i] = row
        back[i] = arg
    end = m - lo[n]
    if not (0 <= end < width) or not np.isfinite(cost[n, end]):
        raise AlignError("no alignment path within the band")
    steps = []
    i, k = n, end
    while i > 0 or cols[i, k] > 0:
        a, b = TYPES[back[i, k]]
        steps.append((a, b))
        j = cols[i, k] - b
        i -= a
        k = j - lo[i]
    steps.reverse()
    return steps


def _path_centre(steps: list[tuple[int, int]], n: int) -> np.ndarray:
    """Target boundary reached at each source boundary along a path (monotone)."""
    centre = np.zeros(n + 1, dtype=np.int64)
    i = j = 0
    for a, b in steps:
        for q in range(1, a + 1):
            centre[i + q] = j + round(b * q / a)
        i, j = i + a, j + b
        centre[i] = j
    return centre


def _blocks(side: _Side, size: int) -> _Side:
    """A coarse side: sums of ``size`` consecutive sentences."""
    n = len(side.length)
    starts = np.arange(0, n, size)
    vec = np.add.reduceat(side.vec, starts, axis=0) if n else side.vec
    length = np.add.reduceat(side.length, starts) if n else side.length
    return _Side(vec, length, np.zeros(len(starts), dtype=bool))


def _align_sides(src: _Side, tgt: _Side, ratio: float, p: Params) -> list[tuple[int, int]]:
    n, m = len(src.length), len(tgt.length)
    if n == 0 or m == 0:
        return [(1, 0)] * n + [(0, 1)] * m
    if max(n, m) <= FULL_DP:
        lo = np.zeros(n + 1, dtype=np.int64)
        return _dp(src, tgt, lo, m + 1, ratio, p)
    size = math.ceil(max(n, m) / (FULL_DP // 2))
    coarse_src, coarse_tgt = _blocks(src, size), _blocks(tgt, size)
    coarse = _align_sides(coarse_src, coarse_tgt, ratio, p)
    # project the coarse path onto sentence boundaries, then a band around it
    centre_blocks = _path_centre(coarse, len(coarse_src.length))
    block_pos = np.minimum(np.arange(n + 1) / size, len(coarse_src.length))
    centre = np.interp(block_pos, np.arange(len(centre_blocks)), centre_blocks) * size
    half = 2 * size + 12
    lo = np.clip(np.round(centre).astype(np.int64) - half, -half, m)
    lo[-1] = min(lo[-1], m)
    lo[-1] = max(lo[-1], m - 2 * half)
    lo = np.maximum.accumulate(lo)
    return _dp(src, tgt, lo, 2 * half + 1, ratio, p)


def _ratio(src_len: np.ndarray, tgt_len: np.ndarray, src_lang: str, tgt_lang: str, mt: bool) -> float:
    """Expected target/source length ratio: the document's own, kept near the pair's usual one."""
    own = float(tgt_len.sum() / max(src_len.sum(), 1.0))
    if mt:
        return own  # the MT is already in the target language: about 1, the document says how far
    usual = LENGTH_FACTOR.get(tgt_lang, 1.0) / LENGTH_FACTOR.get(src_lang, 1.0)
    return float(np.clip(own, usual / 2, usual * 2))


def align(
    src: Sequence[str],
    tgt: Sequence[str],
    src_lang: str,
    tgt_lang: str,
    *,
    src_mt: Sequence[str] | None = None,
    src_breaks: Sequence[int] = (),
    tgt_breaks: Sequence[int] = (),
    terminology: Terminology | None = None,
    params: Params = DEFAULT,
) -> list[Bead]:
    """Align ``tgt`` to ``src`` (sentences); ``src_mt`` is an MT of ``src`` into ``tgt_lang``.

    ``src_breaks``/``tgt_breaks`` are the indices of sentences that start a paragraph.
    """
    if src_mt is not None and len(src_mt) != len(src):
        raise AlignError(f"the source MT has {len(src_mt)} lines, the source {len(src)}")
    profile, profile_lang = (src_mt, tgt_lang) if src_mt is not None else (src, src_lang)
    sv = vectors(profile, profile_lang, terminology, params.anchor)
    tv = vectors(tgt, tgt_lang, terminology, params.anchor)
    _weigh(sv, tv)
    length_src = _length(profile if src_mt is not None else src)
    length_tgt = _length(tgt)
    ratio = _ratio(length_src, length_tgt, src_lang, tgt_lang, src_mt is not None)
    sb = np.zeros(len(src), dtype=bool)
    tb = np.zeros(len(tgt), dtype=bool)
    sb[[b for b in src_breaks if 0 < b < len(src)]] = True
    tb[[b for b in tgt_breaks if 0 < b < len(tgt)]] = True
    s_side, t_side = _Side(sv, length_src, sb), _Side(tv, length_tgt, tb)

    # Same number of paragraphs on both sides: paragraphs are hard delimiters.
    s_par = [0, *np.flatnonzero(sb).tolist(), len(src)]
    t_par = [0, *np.flatnonzero(tb).tolist(), len(tgt)]
    pieces = [((0, len(src)), (0, len(tgt)))]
    if len(s_par) == len(t_par) > 2:
        pieces = list(zip(itertools.pairwise(s_par), itertools.pairwise(t_par), strict=True))
    beads: list[Bead] = []
    for (s0, s1), (t0, t1) in pieces:
        part_s = _Side(sv[s0:s1], length_src[s0:s1], sb[s0:s1])
        part_t = _Side(tv[t0:t1], length_tgt[t0:t1], tb[t0:t1])
        i, j = s0, t0
        for a, b in _align_sides(part_s, part_t, ratio, params):
            beads.append(Bead(tuple(range(i, i + a)), tuple(range(j, j + b))))
            i, j = i + a, j + b
    return _confidence(beads, s_side, t_side, ratio, params)


def _confidence(beads: list[Bead], src: _Side, tgt: _Side, ratio: float, p: Params) -> list[Bead]:
    sims = []
    for bead in beads:
        if not bead.src or not bead.tgt:
            sims.append(0.0)
            continue
        s = src.vec[list(bead.src)].sum(axis=0)
        t = tgt.vec[list(bead.tgt)].sum(axis=0)
        sims.append(float(s @ t / math.sqrt(max(float(s @ s) * float(t @ t), 1e-12))))
    good = np.percentile([s for s, b in zip(sims, beads, strict=True) if b.src and b.tgt] or [1.0], 75)
    out = []
    for sim, bead in zip(sims, beads, strict=True):
        if not bead.src or not bead.tgt:
            out.append(bead)
            continue
        ls = float(src.length[list(bead.src)].sum())
        lt = np.array([tgt.length[list(bead.tgt)].sum()])
        plausible = float(np.exp(-_length_cost(ls, lt, ratio, p.variance)[0]))
        confidence = min(1.0, sim / max(good, 1e-6)) * math.sqrt(plausible)
        out.append(Bead(bead.src, bead.tgt, round(confidence, 3)))
    return out


def parse_vecalign(text: str) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Beads from vecalign-format lines (``[0]:[0, 1]``, an optional third field ignored)."""
    import json

    out = []
    for line in text.splitlines():
        fields = [f for f in line.strip().split(":") if f]
        if len(fields) < 2:
            continue
        out.append((tuple(json.loads(fields[0])), tuple(json.loads(fields[1]))))
    return out
