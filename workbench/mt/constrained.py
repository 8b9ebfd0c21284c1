"""Beam search that guarantees every enforced glossary term appears in the output, for any model.

transformers 5 no longer ships constrained beam search (and the Hub version it points to neither runs
offline nor guarantees the terms), so this module is passed to ``generate(custom_generate=...)`` and
runs locally with everything ``generate`` prepared: encoder outputs, beams, and logits processors such
as NLLB/M2M100's forced target-language token, which is never displaced.

The algorithm is dynamic beam allocation (Post & Vilar 2018) over a few invariants:

* each constraint is a set of accepted token sequences, tracked per hypothesis by an Aho-Corasick
  automaton, so a term the model starts on its own counts, and a false start falls back correctly;
* end-of-sentence is forbidden while a constraint is unmet;
* feasibility: a hypothesis never takes a token that leaves too few steps to finish its unmet
  constraints, and when it is tight it takes the next token of its most advanced constraint, so the
  terms fit before ``max_length`` (raised when they could not fit at all);
* in spaced scripts no word piece may be glued onto a term just completed ("BLTs" is not "BLT");
* beams are shared out between banks of hypotheses by progress through the constraints, so
  hypotheses that have placed terms are not crowded out by ones that have not.

Hence every finished hypothesis meets every constraint, whatever the weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

DONE = -1  # automaton state of a met constraint (absorbing)


class Automaton:
    """Aho-Corasick automaton over one constraint's accepted token sequences."""

    def __init__(self, forms: Sequence[Sequence[int]]):
        if not forms or any(not f for f in forms):
            raise ValueError("a constraint needs at least one non-empty form")
        self.children: list[dict[int, int]] = [{}]
        self.depth = [0]
        terminal = [False]
        for form in forms:
            node = 0
            for tok in form:
                nxt = self.children[node].get(tok)
                if nxt is None:
                    nxt = len(self.children)
                    self.children[node][tok] = nxt
                    self.children.append({})
                    self.depth.append(self.depth[node] + 1)
                    terminal.append(False)
                node = nxt
            terminal[node] = True
        self.fail = [0] * len(self.children)
        queue = list(self.children[0].values())
        for node in queue:  # breadth-first: a node's failure link is set before its children's
            for tok, child in self.children[node].items():
                f = self.fail[node]
                while f and tok not in self.children[f]:
                    f = self.fail[f]
                target = self.children[f].get(tok, 0)
                self.fail[child] = target if target != child else 0
                terminal[child] = terminal[child] or terminal[self.fail[child]]
                queue.append(child)
        self.terminal = terminal
        # Shortest way to finish from each node along the trie, and its first token.
        self.togo = [0 if t else 10**9 for t in terminal]
        self.plan = [-1] * len(self.children)
        for node in sorted(range(len(self.children)), key=lambda n: -self.depth[n]):
            for tok, child in self.children[node].items():
                if not terminal[node] and self.togo[child] + 1 < self.togo[node]:
                    self.togo[node] = self.togo[child] + 1
                    self.plan[node] = tok
        # A node also stands for every suffix on its failure chain (the longest match hides the
        # shorter ones): deep in "Direction exécutive du…", the shorter "BLT" may still be the
        # quicker way to finish, and its tokens lead there whatever branch they pass through.
        for node in queue:  # breadth-first: a failure link is nearer the root than its node
            f = self.fail[node]
            if not terminal[node] and self.togo[f] < self.togo[node]:
                self.togo[node], self.plan[node] = self.togo[f], self.plan[f]
        self.min_len = self.togo[0]
        self.first_tokens = set(self.children[0])

    def step(self, node: int, tok: int) -> int:
        """The state after ``tok``; :data:`DONE` once a whole form has been read."""
        while node and tok not in self.children[node]:
            node = self.fail[node]
        node = self.children[node].get(tok, 0)
        return DONE if self.terminal[node] else node

    def advancing(self, node: int) -> set[int]:
        """Tokens that move this constraint forward from ``node`` (continue or restart a form)."""
        return set(self.children[node]) | self.first_tokens


@dataclass(frozen=True)
class Hyp:
    """Per-hypothesis constraint state: automaton nodes, constraints forced, glue guard."""

    nodes: tuple[int, ...]
    forced: int = 0  # bit c set: constraint c was completed against the model's own preference
    glue: bool = False  # a term was just completed: the next token must not continue its word


@dataclass
class Report:
    """Filled by the decoder: per input, which constraints were forced against the model."""

    forced: list[set[int]] = field(default_factory=list)


def _need(autos: list[Automaton], nodes: tuple[int, ...]) -> tuple[int, int]:
    """Steps still needed (terms + end of sentence) and the token that makes progress fastest."""
    base, best, plan = 0, 0, -1
    for auto, node in zip(autos, nodes, strict=True):
        if node == DONE:
            continue
        base += auto.min_len
        gain = auto.togo[node] - auto.min_len  # <0: this one is well under way
        if node and gain < best:
            best, plan = gain, auto.plan[node]
        elif plan < 0:
            plan = auto.plan[0]
    return base + best + 1, plan


def _advance(autos: list[Automaton], hyp: Hyp, tok: int, free: bool, silent: bool) -> Hyp:
    nodes, forced, glue = [], hyp.forced, hyp.glue and silent  # a silent token keeps the guard up
    for c, (auto, node) in enumerate(zip(autos, hyp.nodes, strict=True)):
        if node == DONE:
            nodes.append(DONE)
            continue
        new = auto.step(node, tok)
        if new == DONE:
            glue = True
        if not free and (new == DONE or auto.depth[new] > auto.depth[node]):
            forced |= 1 << c
        nodes.append(new)
    return Hyp(tuple(nodes), forced, glue)


def constrained_beam_search(
    model,
    input_ids: torch.LongTensor,
    logits_processor,
    stopping_criteria,
    generation_config,
    synced_gpus: bool = False,
    constraints: Sequence[Sequence[Sequence[Sequence[int]]]] | None = None,
    glued_tokens: torch.Tensor | None = None,
    report: Report | None = None,
    **model_kwargs,
) -> torch.LongTensor:
    """``generate(custom_generate=constrained_beam_search, constraints=..., ...)``.

    ``constraints[b]`` lists the constraints of input ``b``, each a list of accepted token-id forms.
    ``glued_tokens`` classes the vocabulary: 1 word-continuation pieces, 2 tokens that print nothing,
    0 the rest (None: no whole-word guard, as for Chinese). ``stopping_criteria`` is not used: this
    search stops on its own rules (``max_length``, end of sentence once every constraint is met).
    """
    del stopping_criteria, synced_gpus
    from transformers.generation.utils import ALL_CACHE_NAMES

    k = generation_config.num_beams or 1
    if (generation_config.num_return_sequences or 1) != 1:
        raise ValueError("constrained beam search returns one sequence per input")
    eos_ids = generation_config._eos_token_tensor
    eos = int(eos_ids.view(-1)[0]) if eos_ids is not None else None
    if eos is None:
        raise ValueError("constrained decoding needs an end-of-sentence token")
    pad = generation_config._pad_token_tensor
    pad_id = int(pad) if pad is not None else eos
    length_penalty = generation_config.length_penalty if generation_config.length_penalty is not None else 1.0
    device = input_ids.device
    batch = input_ids.shape[0] // k
    prompt = input_ids.shape[1]
    constraints = list(constraints or [[] for _ in range(batch)])
    if len(constraints) != batch:
        raise ValueError(f"{len(constraints)} constraint lists for a batch of {batch}")
    autos = [[Automaton(forms) for forms in cons] for cons in constraints]

    # Room for every term (one step may be a forced language token) and the end of sentence.
    max_length = generation_config.max_length
    for element in autos:
        max_length = max(max_length, prompt + 2 + sum(a.min_len for a in element) + 1)
    glued = glued_tokens.tolist() if glued_tokens is not None else None

    sequences = torch.full((batch, k, max_length), pad_id, dtype=torch.long, device=device)
    sequences[:, :, :prompt] = input_ids.view(batch, k, prompt)
    scores = torch.full((batch, k), -1e9, dtype=torch.float, device=device)
    scores[:, 0] = 0.0
    hyps = [[Hyp(tuple(0 for _ in element)) for _ in range(k)] for element in autos]
    finished: list[list[tuple[float, torch.Tensor, int]]] = [[] for _ in range(batch)]
    done = [False] * batch
    cache_key = None
    cur = prompt
    outputs = model._prefill(input_ids, generation_config, model_kwargs, is_first_iteration=True)
    while True:
        model_kwargs = model._update_model_kwargs_for_generation(
            outputs, model_kwargs, is_encoder_decoder=model.config.is_encoder_decoder
        )
        flat = sequences[:, :, :cur].reshape(batch * k, cur)
        logits = outputs.logits[:, -1, :].to(dtype=torch.float32)
        del outputs
        log_probs = logits_processor(flat, nn.functional.log_softmax(logits, dim=-1))
        total = log_probs + scores.view(-1, 1)
        top_n = min(2 * k + 1, total.shape[1])
        top_scores, top_tokens = total.topk(top_n, dim=1)
        top_scores, top_tokens = top_scores.tolist(), top_tokens.tolist()
        remaining = max_length - cur

        new_rows: list[list[tuple[int, int]]] = []  # per element: (source beam, token)
        new_scores: list[list[float]] = []
        new_hyps: list[list[Hyp]] = []
        for b in range(batch):
            picked: list[tuple[float, int, int, Hyp]] = []
            if not done[b]:
                picked = _select(
                    b,
                    k,
                    autos[b],
                    hyps[b],
                    scores,
                    total,
                    top_scores,
                    top_tokens,
                    remaining,
                    eos,
                    glued,
                    cur + 1 - prompt,
                    length_penalty,
                    finished[b],
                    sequences,
                )
            if not picked:
                done[b] = True
            rows = [(j, tok) for _, j, tok, _ in picked]
            pads = k - len(rows)
            new_rows.append(rows + [(0, pad_id)] * pads)
            new_scores.append([s for s, _, _, _ in picked] + [-1e9] * pads)
            new_hyps.append([h for _, _, _, h in picked] + [hyps[b][0]] * pads)
            if not done[b] and len(finished[b]) >= k:
                worst = min(f[0] for f in finished[b])
                best_running = max(new_scores[b])
                horizon = (max_length - prompt) if length_penalty > 0 else (cur + 1 - prompt)
                if best_running / horizon**length_penalty < worst:
                    done[b] = True

        beam_idx = torch.tensor(
            [b * k + j for b, rows in enumerate(new_rows) for j, _ in rows], dtype=torch.long, device=device
        )
        tokens = torch.tensor([t for rows in new_rows for _, t in rows], dtype=torch.long, device=device)
        sequences = sequences.view(batch * k, max_length)[beam_idx].view(batch, k, max_length)
        sequences[:, :, cur] = tokens.view(batch, k)
        scores = torch.tensor(new_scores, dtype=torch.float, device=device)
        hyps = new_hyps
        cur += 1
        if all(done) or cur >= max_length:
            break
        if cache_key is None:
            cache_key = next((key for key in ALL_CACHE_NAMES if key in model_kwargs), "")
        if cache_key:
            # Beams never move between inputs and an input's beams share one encoder output, so
            # the cross-attention cache is the same whatever the order: reorder only self-attention
            # (a third of the decoding time of a 40-token opus-mt batch went to that copy).
            cache = model_kwargs[cache_key]
            getattr(cache, "self_attention_cache", cache).reorder_cache(beam_idx)
        inputs = model.prepare_inputs_for_generation(
            sequences[:, :, :cur].reshape(batch * k, cur), next_sequence_length=1, **model_kwargs
        )
        outputs = model(**inputs, return_dict=True)

    results, forced = [], []
    for b in range(batch):
        if finished[b]:
            _, seq, bits = max(finished[b], key=lambda f: f[0])
        else:  # max_length reached: every running hypothesis has met its constraints (feasibility)
            j = int(scores[b].argmax())
            seq, bits = sequences[b, j, :cur], hyps[b][j].forced
        results.append(seq)
        forced.append({c for c in range(len(autos[b])) if bits >> c & 1})
    if report is not None:
        report.forced.extend(forced)
    longest = max(len(s) for s in results)
    out = torch.full((batch, longest), pad_id, dtype=torch.long, device=device)
    for b, seq in enumerate(results):
        out[b, : len(seq)] = seq
    return out


def _select(
    b, k, autos, hyps, scores, total, top_scores, top_tokens, remaining,
    eos, glued, gen_len, length_penalty, finished, sequences,
) -> list[tuple[float, int, int, Hyp]]:  # fmt: skip
    """Candidates of element ``b`` for the next step, allotted to banks; finished ones set aside."""
    candidates: list[tuple[float, int, int, Hyp, int]] = []
    for j in range(k):
        row = b * k + j
        if scores[b, j] < -1e8:
            continue
        hyp = hyps[j]
        tops = top_tokens[row]
        top_of = dict(zip(tops, top_scores[row], strict=True))
        best, second = top_scores[row][0], top_scores[row][1] if len(tops) > 1 else float("-inf")
        # a single finite score: a processor forces this token (language tag, end at max length)
        forced_by_processor = best > float("-inf") and second == float("-inf")
        obey = forced_by_processor and (tops[0] != eos or all(n == DONE for n in hyp.nodes))
        if obey:
            options = {tops[0]}
        else:
            need, plan = _need(autos, hyp.nodes)
            if need >= remaining:  # tight: the fastest way to finish the terms, or the end
                options = {plan} if plan >= 0 else {eos}
            else:
                options = set(tops[:k])
                if need > 1:
                    for auto, node in zip(autos, hyp.nodes, strict=True):
                        if node != DONE:
                            options |= auto.advancing(node)
                    options.discard(eos)
                else:
                    options.add(eos)
                if hyp.glue and glued is not None:
                    options = {t for t in options if glued[t] != 1}
        model_choice = set(tops[:k])
        extra = [t for t in options if t not in top_of]
        if extra:
            values = total[row, extra].tolist()
            top_of.update(zip(extra, values, strict=True))
        for tok in options:
            score = top_of[tok]
            if score == float("-inf"):
                score = float(scores[b, j]) - 1e4  # blocked by a processor, yet needed for a term
            if tok == eos:
                if all(n == DONE for n in hyp.nodes):
                    cur = sequences.shape[2] - remaining
                    seq = torch.cat([sequences[b, j, :cur], sequences.new_tensor([eos])])
                    finished.append((score / gen_len**length_penalty, seq, hyp.forced))
                continue
            new = _advance(
                autos, hyp, tok, free=tok in model_choice, silent=glued is not None and glued[tok] == 2
            )
            if not obey and _need(autos, new.nodes)[0] > remaining - 1:
                continue
            progress = sum(
                a.min_len if n == DONE else a.depth[n] for a, n in zip(autos, new.nodes, strict=True)
            )
            candidates.append((score, j, tok, new, progress))
    if len(finished) > k:
        finished.sort(key=lambda f: -f[0])
        del finished[k:]
    return _allot(candidates, k)


def _allot(candidates: list[tuple[float, int, int, Hyp, int]], k: int) -> list[tuple[float, int, int, Hyp]]:
    """Pick ``k`` candidates: round-robin over progress banks (most progress first), best score first."""
    banks: dict[int, list] = {}
    for cand in sorted(candidates, key=lambda c: -c[0]):
        banks.setdefault(cand[4], []).append(cand)
    order = [banks[p] for p in sorted(banks, reverse=True)]
    picked: list[tuple[float, int, int, Hyp]] = []
    while len(picked) < k and any(order):
        for bank in order:
            if bank and len(picked) < k:
                s, j, tok, hyp, _ = bank.pop(0)
                picked.append((s, j, tok, hyp))
    picked.sort(key=lambda c: -c[0])
    return picked
