"""Randomly initialised Marian, M2M100 and NLLB models with a real sentencepiece vocabulary.

No weights can be downloaded in CI, yet the translation code must run exactly as with real models.
These builders train a sentencepiece model in seconds on the given sentences, create a model of the
requested size with random weights, and ``save_pretrained`` both (as safetensors) into a folder that
:func:`workbench.mt.engine.load` then reads like any Hugging Face checkpoint. Tests use tiny sizes;
the benchmarks use the real opus-mt-en-fr dimensions. Operators can use them to smoke-test a machine.
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
) -> Path:
    """Save a random Marian model + MarianTokenizer (shared vocabulary) into ``folder``.

    ``target_tokens`` (``>>ara<<``…) are added to the vocabulary, as in OPUS-MT multi-target models.
    ``model_vocab_size`` pads the vocabulary with unused entries up to a real model's size.
    """
    import torch
    from transformers import MarianConfig, MarianMTModel

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sp_model = train_sentencepiece(sentences, vocab_size)
    (folder / "source.spm").write_bytes(sp_model)
    (folder / "target.spm").write_bytes(sp_model)
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for piece in [*target_tokens, *_pieces(sp_model)]:
        if piece not in vocab and piece not in ("<s>", "<pad>"):
            vocab[piece] = len(vocab)
    while model_vocab_size and len(vocab) < model_vocab_size - 1:
        vocab[f"<unused{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "MarianTokenizer", "separate_vocabs": False, "model_max_length": 512}),
        encoding="utf-8",
    )
    torch.manual_seed(seed)
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        **_dimensions(d_model, layers, heads, ffn),
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        share_encoder_decoder_embeddings=True,
    )
    MarianMTModel(config).eval().save_pretrained(folder, safe_serialization=True)
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
) -> Path:
    """Save a random M2M100 model + M2M100Tokenizer (``__en__``-style language tokens)."""
    from transformers import M2M100Tokenizer

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
    # As in the released checkpoints: the pieces, then the language tokens, then 8 "madeup" words.
    size = max(tokenizer.lang_code_to_id.values()) + 1 + 8
    return _save_m2m100(folder, tokenizer, size, _dimensions(d_model, layers, heads, ffn), seed)


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
    tokenizer.save_pretrained(folder)
    size = max(model_vocab_size or 0, len(tokenizer))
    return _save_m2m100(folder, tokenizer, size, _dimensions(d_model, layers, heads, ffn), seed)


def _save_m2m100(folder: Path, tokenizer, vocab_size: int, dimensions: dict[str, int], seed: int) -> Path:
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
    )
    M2M100ForConditionalGeneration(config).eval().save_pretrained(folder, safe_serialization=True)
    return folder
