"""Randomly initialised Marian, M2M100 and NLLB models with a real sentencepiece vocabulary.

No weights can be downloaded in CI, yet the translation code must run exactly as with real models.
These builders train sentencepiece models in seconds on the given sentences, create a model of the
requested size with random weights, and save both into a folder laid out as the real Hub repos are
(``../shared/checkpoints``): OPUS-MT with two sentencepiece models (``source.spm``, ``target.spm``)
over one ``vocab.json``, the 2020 ``tokenizer_config.json`` and the Hub's ``generation_config.json``;
M2M100 with the released ``special_tokens_map.json`` and legacy tokenizer config; NLLB with a
``tokenizer.json``. ``weights="bin"`` saves ``pytorch_model.bin`` only, as the main branches of the
default repos do; ``"safetensors"`` a folder :func:`workbench.mt.engine.load` reads directly. Tests use
tiny sizes; the benchmarks use the real opus-mt-en-fr dimensions; ``workbench models smoke`` builds
them for operators to try the pipeline.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path

import sentencepiece as spm


def train_sentencepiece(sentences: Iterable[str], vocab_size: int, model_type: str = "unigram") -> bytes:
    """A sentencepiece model (bytes) trained on ``sentences``; covers every character."""
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(sentences)),
        model_writer=buffer,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=1.0,
        hard_vocab_limit=False,
        byte_fallback=False,
        minloglevel=2,
        num_threads=1,
    )
    return buffer.getvalue()


def _save_weights(model, folder: Path, weights: str) -> None:
    """``safetensors`` (transformers' format) or a 2020-style ``pytorch_model.bin`` (a pickled state
    dict, tied tensors stored once) with config.json beside it."""
    import torch

    if weights == "safetensors":
        model.save_pretrained(folder)
    elif weights == "bin":
        model.config.save_pretrained(folder)
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
    else:
        raise ValueError(f"weights: safetensors or bin, not {weights!r}")


def _write_json(path: Path, data: dict, *, indent: int | None = 2, sort_keys: bool = True) -> None:
    text = json.dumps(data, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    path.write_text(text + ("\n" if indent else ""), encoding="utf-8")


def _pieces(model: bytes) -> list[str]:
    processor = spm.SentencePieceProcessor(model_proto=model)
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _dimensions(d_model: int, layers: int, heads: int, ffn: int) -> dict[str, int]:
    """The size arguments Marian and M2M100 configs share."""
    return {
        "d_model": d_model,
        "encoder_layers": layers,
        "decoder_layers": layers,
        "encoder_attention_heads": heads,
        "decoder_attention_heads": heads,
        "encoder_ffn_dim": ffn,
        "decoder_ffn_dim": ffn,
        "max_position_embeddings": 512,
    }


def build_marian(
    folder: str | Path,
    sentences: Iterable[str],
    *,
    vocab_size: int = 400,
    model_vocab_size: int | None = None,
    d_model: int = 32,
    layers: int = 2,
    heads: int = 2,
    ffn: int = 64,
    target_tokens: Iterable[str] = (),
    seed: int = 0,
    langs: tuple[str, str] = ("en", "fr"),
    weights: str = "safetensors",
) -> Path:
    """Save a random OPUS-MT-style Marian model and its tokenizer files into ``folder``.

    As in the released repos, ``source.spm`` and ``target.spm`` are two different sentencepiece
    models whose pieces share one ``vocab.json``; ``tokenizer_config.json`` is the 2020 one naming
    the ``langs`` (source, target); ``generation_config.json`` is the Hub's (pad as a bad word,
    ``max_length`` 512, 4 beams, renormalised logits). ``target_tokens`` (``>>ara<<``…) are added
    to the vocabulary, as in OPUS-MT multi-target models; ``model_vocab_size`` pads the vocabulary
    with unused entries up to a real model's size.
    """
    import torch
    from transformers import MarianConfig, MarianMTModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sentences = list(sentences)
    source_spm = train_sentencepiece(sentences, vocab_size)
    target_spm = train_sentencepiece(sentences, vocab_size + 32)  # another model, as in OPUS-MT
    (folder / "source.spm").write_bytes(source_spm)
    (folder / "target.spm").write_bytes(target_spm)
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for piece in [*target_tokens, *_pieces(source_spm), *_pieces(target_spm)]:
        if piece not in vocab and piece not in ("<s>", "<pad>"):
            vocab[piece] = len(vocab)
    while model_vocab_size and len(vocab) < model_vocab_size - 1:
        vocab[f"<unused{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    _write_json(  # 42 bytes for two-letter codes, as on the Hub
        folder / "tokenizer_config.json", {"target_lang": langs[1], "source_lang": langs[0]},
        indent=None, sort_keys=False,
    )  # fmt: skip
    torch.manual_seed(seed)
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        decoder_vocab_size=len(vocab),
        **_dimensions(d_model, layers, heads, ffn),
        pad_token_id=pad,
        eos_token_id=0,
        bos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        share_encoder_decoder_embeddings=True,
        scale_embedding=True,
        activation_function="swish",
        architectures=["MarianMTModel"],
    )
    _save_weights(MarianMTModel(config).eval(), folder, weights)
    _write_json(
        folder / "generation_config.json",
        {
            "bad_words_ids": [[pad]], "bos_token_id": 0, "decoder_start_token_id": pad, "eos_token_id": 0,
            "forced_eos_token_id": 0, "max_length": 512, "num_beams": 4, "pad_token_id": pad,
            "renormalize_logits": True, "transformers_version": "4.32.0.dev0",
        },
    )  # fmt: skip
    return folder


def build_m2m100(
    folder: str | Path,
    sentences: Iterable[str],
    *,
    vocab_size: int = 400,
    d_model: int = 32,
    layers: int = 2,
    heads: int = 2,
    ffn: int = 64,
    seed: int = 0,
    weights: str = "safetensors",
) -> Path:
    """Save a random M2M100 model + M2M100Tokenizer (``__en__``-style language tokens), with the
    released repo's ``special_tokens_map.json``, ``tokenizer_config.json`` and generation config."""
    from transformers import M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sp_model = train_sentencepiece(sentences, vocab_size)
    (folder / "sentencepiece.bpe.model").write_bytes(sp_model)
    vocab: dict[str, int] = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece in _pieces(sp_model):
        vocab.setdefault(piece, len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tokenizer = M2M100Tokenizer(str(folder / "vocab.json"), str(folder / "sentencepiece.bpe.model"))
    tokenizer.save_pretrained(folder)
    # The released files, byte for byte in form (1140 and 298 bytes on the Hub)
    codes = [f"__{c}__" for c in FAIRSEQ_LANGUAGE_CODES["m2m100"]]
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
               "pad_token": "<pad>", "additional_special_tokens": codes}  # fmt: skip
    _write_json(folder / "special_tokens_map.json", special, indent=None, sort_keys=False)
    legacy = {
        "src_lang": None, "tgt_lang": None, "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
        "unk_token": "<unk>", "pad_token": "<pad>",
        "special_tokens_map_file": "m2m_100_1.2B_v2/special_tokens_map.json", "tokenizer_file": None,
        "name_or_path": "m2m_100_1.2B_v2/", "model_max_length": 1024,
    }  # fmt: skip
    _write_json(folder / "tokenizer_config.json", legacy, indent=None, sort_keys=False)
    # As in the released checkpoints: the pieces, then the language tokens, then 8 "madeup" words.
    size = max(tokenizer.lang_code_to_id.values()) + 1 + 8
    generation = {"_from_model_config": True, "bos_token_id": 0, "decoder_start_token_id": 2,
                  "early_stopping": True, "eos_token_id": 2, "max_length": 200, "num_beams": 5,
                  "pad_token_id": 1, "transformers_version": "4.27.0.dev0"}  # fmt: skip
    dims = _dimensions(d_model, layers, heads, ffn)
    return _save_m2m100(folder, tokenizer, size, dims, seed, weights, generation)


def build_nllb(
    folder: str | Path,
    sentences: Iterable[str],
    *,
    vocab_size: int = 400,
    model_vocab_size: int | None = None,
    d_model: int = 32,
    layers: int = 2,
    heads: int = 2,
    ffn: int = 64,
    seed: int = 0,
    weights: str = "safetensors",
) -> Path:
    """Save a random NLLB-200-style model (M2M100 architecture) + NllbTokenizer into ``folder``.

    As in the released checkpoints, ``<s> <pad> </s> <unk>`` come first (ids 0-3: M2M100 numbers its
    positions from the padding id, so a pad elsewhere would shift them), then the sentencepiece BPE
    pieces, then the FLORES-200 language codes (``fra_Latn``…), which the tokenizer adds itself.
    ``model_vocab_size`` gives the model unused rows up to a real model's size (256,206).
    """
    from tokenizers.models import BPE
    from transformers import NllbTokenizer
    from transformers.convert_slow_tokenizer import SentencePieceExtractor

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sp_path = folder / "sentencepiece.bpe.model"
    sp_path.write_bytes(train_sentencepiece(sentences, vocab_size, model_type="bpe"))
    extracted = SentencePieceExtractor(str(sp_path)).extract(BPE)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece in sorted(extracted["vocab"], key=extracted["vocab"].get):
        vocab.setdefault(piece, len(vocab))
    tokenizer = NllbTokenizer(vocab=vocab, merges=extracted["merges"])
    tokenizer.save_pretrained(folder)  # tokenizer.json: the fast tokenizer the Hub repo ships
    # The released repo's legacy files beside it (564 bytes; the 202 FLORES-200 codes)
    legacy = {
        "additional_special_tokens": None, "bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>",
        "mask_token": {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "normalized": True,
                       "rstrip": False, "single_word": False},
        "model_max_length": 1024, "name_or_path": "facebook/nllb-200-distilled-600M", "pad_token": "<pad>",
        "sep_token": "</s>", "sp_model_kwargs": {}, "special_tokens_map_file": None, "src_lang": None,
        "tgt_lang": None, "tokenizer_class": "NllbTokenizer", "unk_token": "<unk>",
    }  # fmt: skip
    _write_json(folder / "tokenizer_config.json", legacy)
    codes = _nllb_codes()
    special = {"additional_special_tokens": codes, "bos_token": "<s>", "cls_token": "<s>",
               "eos_token": "</s>", "mask_token": {"content": "<mask>", "lstrip": True, "normalized": True,
               "rstrip": False, "single_word": False}, "pad_token": "<pad>", "sep_token": "</s>",
               "unk_token": "<unk>"}  # fmt: skip
    _write_json(folder / "special_tokens_map.json", special)
    size = max(model_vocab_size or 0, len(tokenizer))
    generation = {"_from_model_config": True, "bos_token_id": 0, "decoder_start_token_id": 2,
                  "eos_token_id": 2, "max_length": 200, "pad_token_id": 1,
                  "transformers_version": "4.27.0.dev0"}  # fmt: skip
    dims = _dimensions(d_model, layers, heads, ffn)
    return _save_m2m100(folder, tokenizer, size, dims, seed, weights, generation)


def _nllb_codes() -> list[str]:
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    return list(FAIRSEQ_LANGUAGE_CODES)


def _save_m2m100(
    folder: Path, tokenizer, vocab_size: int, dimensions: dict[str, int], seed: int, weights: str,
    generation: dict,
) -> Path:  # fmt: skip
    """A random M2M100-architecture model (M2M100 and NLLB) with the tokenizer's special tokens."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration

    torch.manual_seed(seed)
    config = M2M100Config(
        vocab_size=vocab_size,
        **dimensions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        max_length=generation["max_length"],
        architectures=["M2M100ForConditionalGeneration"],
    )
    _save_weights(M2M100ForConditionalGeneration(config).eval(), folder, weights)
    _write_json(folder / "generation_config.json", generation)
    return folder


def smoke_sentences() -> list[str]:
    """Text in the six languages to train the smoke models' vocabularies: the shipped glossaries'
    terms and the bundled example speech where the checkout has it."""
    from ..glossary import load_all

    lines = [t.text for g in load_all() for c in g.concepts for e in c.entries.values() for t in e.terms]
    example = Path(__file__).resolve().parents[2] / "examples" / "unoct-2019-09-26.en.txt"
    if example.exists():
        lines += [line for line in example.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def build_smoke(folder: str | Path) -> Path:
    """Tiny random models for every pair and a model map using them; returns the map's path.

    OPUS-MT-style Marian models (English into the five others with ``>>ara<<``/``>>cmn_Hans<<``
    target tokens, the five into English) so that other pairs pivot through English, as with the
    defaults. Their output is gibberish: they exist to try the pipeline, not to translate.
    """
    from .. import langs

    folder = Path(folder)
    sentences = smoke_sentences()
    # every character of the glossaries' six scripts must fit in the vocabulary, with room for pieces
    size = len(set("".join(sentences))) + 400
    en_x = build_marian(
        folder / "smoke-en-x", sentences, vocab_size=size, target_tokens=[">>ara<<", ">>cmn_Hans<<"]
    )
    x_en = build_marian(folder / "smoke-x-en", sentences, vocab_size=size, seed=1, langs=("mul", "en"))
    tokens = {"zh": ">>cmn_Hans<<", "ar": ">>ara<<"}
    lines = [
        "# Tiny RANDOM models built by 'workbench models smoke': the output is gibberish.",
        "defaults = false",
    ]
    for lang in langs.CODES:
        if lang == "en":
            continue
        lines += [f"[pairs.en-{lang}]", f'model = "{en_x.name}"']
        if lang in tokens:
            lines.append(f'target_token = "{tokens[lang]}"')
        lines += [f"[pairs.{lang}-en]", f'model = "{x_en.name}"']
    path = folder / "models.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
