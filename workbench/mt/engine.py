"""Loading a translation model and decoding with it, the same way for real and synthetic models.

Models load through ``AutoTokenizer``/``AutoModelForSeq2SeqLM.from_pretrained`` from a local
directory: the map's own folder, or for a Hub id the workbench's converted copy of one commit
(:mod:`workbench.mt.hub`). Safetensors only, never remote code, ``HF_HUB_OFFLINE`` and a cache dir
honoured. CUDA (fp16) when available, else CPU with a thread setting.
"""

from __future__ import annotations

import gc
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Unpack

import torch

from .. import langs
from . import hub
from .base import DECODING, Constraints, Decoding
from .constrained import Report, constrained_beam_search
from .registry import LoadError, ModelSpec

log = logging.getLogger(__name__)


def pick_device(requested: str | None = None) -> torch.device:
    """``cuda`` when present (or asked for), else ``cpu``; asking for absent CUDA is an error."""
    if requested in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise LoadError("--device cuda was asked for, but no CUDA device is available; use --device cpu")
    if requested not in ("cpu", "cuda"):
        raise LoadError(f"unknown device '{requested}' (cpu or cuda)")
    return torch.device(requested)


def _looks_local(model: str) -> bool:
    """A path rather than a Hub id (``org/name``)."""
    return model.startswith(("/", ".", "~")) or model.count("/") > 1 or "\\" in model


@dataclass
class Batch:
    """One decoded batch: positions in the input list, the translations, and target token counts.

    ``forced[i]`` holds the constraints (indices into that input's list) the decoder had to force
    against the model's own choice; ``dropped[i]`` those no form of which the target vocabulary can
    spell exactly, which could not be enforced.
    """

    indices: list[int]
    texts: list[str]
    target_tokens: list[int]
    forced: list[set[int]] = field(default_factory=list)
    dropped: list[set[int]] = field(default_factory=list)


class LoadedModel:
    """A tokenizer and model on a device, ready to translate one language pair at a time."""

    def __init__(self, spec: ModelSpec, tokenizer, model, device: torch.device, folder: Path | None = None):
        self.spec = spec
        self.tokenizer = tokenizer
        self.model = model
        self.device = device
        self.folder = folder  # what was loaded (for a Hub id, the converted commit)
        self._checked: set[tuple[str, str]] = set()
        # Language tokens a multilingual model emits first (forced BOS); they are not text.
        self._lang_ids: set[int] = set()
        if spec.kind == "m2m100":
            self._lang_ids = set(tokenizer.lang_code_to_id.values())
        elif spec.kind == "nllb":
            codes = [langs.get(c).nllb for c in langs.CODES]
            self._lang_ids = set(tokenizer.convert_tokens_to_ids(codes))

    # -- per-pair settings --------------------------------------------------------------

    def check_pair(self, src: str, tgt: str) -> None:
        """The language tokens the pair needs exist in the model's vocabulary: a token the tokenizer
        does not know would become ``<unk>`` and the model would translate into no language asked."""
        if (src, tgt) in self._checked:
            return
        if self.spec.kind == "marian":
            missing = [t for t in [self.spec.target_token] if t and t not in self.tokenizer.get_vocab()]
        elif self.spec.kind == "m2m100":
            missing = [f"__{c}__" for c in (src, tgt) if c not in self.tokenizer.lang_code_to_token]
        else:
            vocab = self.tokenizer.get_vocab()
            missing = [c for c in (langs.get(src).nllb, langs.get(tgt).nllb) if c not in vocab]
        for token in missing:
            raise LoadError(
                f"{src}-{tgt}: the language token {token} is not in the vocabulary of {self.spec.model}"
                f"{'; fix target_token in the model map' if self.spec.kind == 'marian' else ''}"
            )
        self._checked.add((src, tgt))

    def limit(self, max_length: int) -> int:
        """New tokens allowed: the workbench's limit, within the model's own ``max_length``."""
        model_max = getattr(self.model.generation_config, "max_length", None)
        return min(max_length, model_max - 1) if model_max and model_max > 1 else max_length

    def prepare(self, texts: Sequence[str], src: str, tgt: str) -> tuple[list[str], dict]:
        """The texts as the model reads them for ``src``→``tgt`` and the arguments ``generate`` needs
        (the forced target language token); the fast path (:mod:`.fast`) prepares its input here too."""
        self.check_pair(src, tgt)
        kwargs: dict = {}
        if self.spec.kind == "marian":
            if self.spec.target_token:
                texts = [f"{self.spec.target_token} {t}" for t in texts]
        elif self.spec.kind == "m2m100":
            self.tokenizer.src_lang = src
            self.tokenizer.tgt_lang = tgt  # glossary forms are tokenised as target text
            kwargs["forced_bos_token_id"] = self.tokenizer.get_lang_id(tgt)
        else:  # nllb
            self.tokenizer.src_lang = langs.get(src).nllb
            self.tokenizer.tgt_lang = langs.get(tgt).nllb
            kwargs["forced_bos_token_id"] = self.tokenizer.convert_tokens_to_ids(langs.get(tgt).nllb)
        return list(texts), kwargs

    # -- glossary constraints -------------------------------------------------------------

    def term_ids(self, forms: Sequence[str], tgt: str) -> list[list[int]]:
        """Token ids of each form as it appears mid-sentence in ``tgt``; forms the target vocabulary
        cannot spell back exactly (unknown characters, normalisation) are left out."""
        out = []
        space = self.tokenizer.convert_tokens_to_ids("▁")
        for form in forms:
            ids = self.tokenizer(text_target=form, add_special_tokens=False)["input_ids"]
            if not langs.get(tgt).spaced and len(ids) > 1 and ids[0] == space:
                ids = ids[1:]  # no word boundary inside Chinese text
            if not ids or self.tokenizer.unk_token_id in ids:
                continue
            spelled = clean_output(self.tokenizer.decode(ids, skip_special_tokens=True), tgt)
            if spelled == clean_output(form, tgt) and ids not in out:
                out.append(ids)
        return out

    @cached_property
    def glued_tokens(self) -> torch.Tensor:
        """Vocabulary classes for the whole-word guard of constrained decoding: 1 for pieces that
        continue a word (no ``▁``, starting with a letter or digit), 2 for tokens that print nothing
        (special and language tokens), 0 for the rest."""
        size = self.model.config.vocab_size
        pieces = self.tokenizer.convert_ids_to_tokens(list(range(min(size, len(self.tokenizer)))))
        classes = torch.full((size,), 2, dtype=torch.int8)  # ids beyond the tokenizer print nothing
        special = set(self.tokenizer.all_special_ids) | self._lang_ids
        for i, piece in enumerate(pieces):
            if i in special or not piece:
                continue
            classes[i] = 1 if not piece.startswith("▁") and piece[0].isalnum() else 0
        return classes

    @torch.inference_mode()
    def translate(
        self, texts: Sequence[str], src: str, tgt: str, *, constraints: Constraints | None = None,
        **decoding: Unpack[Decoding],
    ) -> Iterator[Batch]:  # fmt: skip
        """Translate ``texts`` in length-sorted batches, yielding each batch as it finishes.

        Sorting by length (longest first) keeps padding — wasted decoder steps — low; results carry
        their original positions so the caller can store each one as soon as it exists.
        ``constraints[i]`` lists the terms text ``i`` must contain, each a list of accepted forms;
        texts with terms go through the constrained search, the others through plain beam search.
        """
        if not texts:
            return
        options = {**DECODING, **decoding}
        beam, max_length, batch_size = options["beam"], options["max_length"], options["batch_size"]
        prepared, gen_kwargs = self.prepare(texts, src, tgt)
        encoded = self.tokenizer(prepared, truncation=True, max_length=512)["input_ids"]
        token_constraints: list[list[list[list[int]]]] = [[] for _ in texts]
        kept: list[list[int]] = [[] for _ in texts]  # caller's numbering of each enforceable term
        dropped: list[set[int]] = [set() for _ in texts]
        for i, terms in enumerate(constraints or []):
            for c, forms in enumerate(terms):
                ids = self.term_ids(forms, tgt)
                if ids:
                    token_constraints[i].append(ids)
                    kept[i].append(c)
                else:
                    dropped[i].add(c)
        order = sorted(range(len(prepared)), key=lambda i: -len(encoded[i]))
        plain = [i for i in order if not token_constraints[i]]
        constrained = [i for i in order if token_constraints[i]]
        for group, with_terms in ((constrained, True), (plain, False)):
            for start in range(0, len(group), batch_size):
                indices = group[start : start + batch_size]
                extra: dict = {}
                report = Report()
                if with_terms:
                    extra = {
                        "custom_generate": constrained_beam_search,
                        "constraints": [token_constraints[i] for i in indices],
                        "glued_tokens": self.glued_tokens if langs.get(tgt).spaced else None,
                        "report": report,
                    }
                # room for every term (and a language tag and the end) even if --max-length is short
                room = max(
                    (sum(min(map(len, c)) for c in token_constraints[i]) + 3 for i in indices), default=0
                )
                batch = self._generate(
                    [encoded[i] for i in indices],
                    tgt,
                    beam,
                    max(self.limit(max_length), room),
                    options["min_length"],
                    {**gen_kwargs, **extra},
                )
                batch.indices = indices
                batch.dropped = [dropped[i] for i in indices]
                forced = report.forced or [set() for _ in indices]
                batch.forced = [{kept[i][c] for c in f} for f, i in zip(forced, indices, strict=True)]
                yield batch

    def _generate(self, rows, tgt, beam, max_length, min_length, gen_kwargs) -> Batch:
        """``generate`` with the model's generation config (``bad_words_ids``, ``max_length``…)
        and the workbench's beam, lengths and batches over it."""
        pad = self.tokenizer.pad_token_id
        enc = self.tokenizer.pad({"input_ids": rows}, return_tensors="pt").to(self.device)
        out = self.model.generate(
            **enc,
            num_beams=beam,
            max_new_tokens=max_length,
            min_new_tokens=min_length,
            do_sample=False,
            **gen_kwargs,
        )
        texts_out, counts = [], []
        for row in out.tolist():
            counts.append(sum(1 for t in row[1:] if t != pad))  # generated: not the decoder start
            texts_out.append(self.decode(row, tgt))
        return Batch([], texts_out, counts)

    def decode(self, ids: Sequence[int], tgt: str) -> str:
        """Generated token ids as text in ``tgt``: no language or special tokens, spaced for the
        script (both engines of the fast path decode here)."""
        kept = [t for t in ids if t not in self._lang_ids]
        return clean_output(self.tokenizer.decode(kept, skip_special_tokens=True), tgt)

    def release(self) -> None:
        """Free the model's memory (a job moves on to the next language)."""
        self.model = None
        self.tokenizer = None
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()


_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\n\r]+")


def clean_output(text: str, lang: str) -> str:
    """Detokenise for the script: one space between words, none between Chinese characters."""
    text = _SPACES.sub(" ", text).strip()
    if not langs.get(lang).spaced:
        text = _CJK_SPACE.sub("", text)
    return text


def _marian_sinusoids(self) -> torch.Tensor:
    """transformers' ``MarianSinusoidalPositionalEmbedding.create_weight``, vectorised.

    Marian checkpoints do not store their positional table, so every load recomputes it; the
    original fills 2 × 512 × 512 cells in a Python loop, most of an opus-mt model's load time.
    The scalar ``np.power`` calls are kept and the rest is the same float64 arithmetic in arrays,
    so the table is bit-identical (``tests/test_fast.py`` compares it with the original).
    """
    import numpy as np

    n_pos, dim = self.weight.shape
    denominators = np.array([np.power(10000, 2 * (j // 2) / dim) for j in range(dim)])
    position_enc = np.arange(n_pos)[:, None] / denominators[None, :]
    out = torch.empty(n_pos, dim, dtype=self.weight.dtype, requires_grad=False)
    sentinel = dim // 2 if dim % 2 == 0 else (dim // 2) + 1
    out[:, 0:sentinel] = torch.FloatTensor(np.sin(position_enc[:, 0::2]))
    out[:, sentinel:] = torch.FloatTensor(np.cos(position_enc[:, 1::2]))
    return out


# transformers builds a model on the meta device inside a context that is not thread-safe: two loads
# at once (two uploads in the review UI, say) fail with "Cannot copy out of meta tensor". Loads and
# CTranslate2 conversions (which load through transformers too) take turns; decoding does not.
LOADING = threading.RLock()


def _speed_up_marian_loading() -> None:
    from transformers.models.marian import modeling_marian

    embedding = modeling_marian.MarianSinusoidalPositionalEmbedding
    if embedding.create_weight is not _marian_sinusoids:
        embedding._original_create_weight = embedding.create_weight
        embedding.create_weight = _marian_sinusoids


def load(
    spec: ModelSpec,
    device: torch.device | None = None,
    *,
    cache_dir: str | Path | None = None,
    threads: int | None = None,
) -> LoadedModel:
    """Load ``spec`` from its local directory or, for a Hub id, from the workbench's converted copy
    of its commit (fetched and converted first when online and not yet in the cache)."""
    from huggingface_hub.utils import logging as hub_logging
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    hub_logging.set_verbosity_error()  # retries while offline are reported once, by LoadError
    device = device or pick_device()
    if threads and device.type == "cpu":
        torch.set_num_threads(threads)
    local = Path(spec.model).expanduser()
    if local.exists():
        if not (local / "config.json").exists():
            raise LoadError(f"{local}: not a model directory (no config.json)")
    elif _looks_local(spec.model):
        raise LoadError(f"{spec.where or 'model map'}: model folder {spec.model} does not exist")
    else:
        found = hub.checkpoint(spec, cache_dir)
        log.info("%s: commit %s (%s from the Hub), loaded from %s", spec.model, found.commit,
                 found.weights, found.folder)  # fmt: skip
        local = found.folder
    source = str(local)
    common = {"local_files_only": True, "trust_remote_code": False}
    if spec.kind == "marian":
        _speed_up_marian_loading()
    try:
        with LOADING:
            tokenizer = AutoTokenizer.from_pretrained(source, **common)
            model = AutoModelForSeq2SeqLM.from_pretrained(source, use_safetensors=True, **common)
    except (OSError, ValueError) as exc:
        raise LoadError(f"{source}: cannot load the model ({_first_line(exc)})") from None
    model.eval()
    if device.type == "cuda":
        model.half()
    model.to(device)
    return LoadedModel(spec, tokenizer, model, device, local)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
