"""The fast path (CTranslate2 + int8 torch) computes the same function and keeps the glossary guarantee."""

from __future__ import annotations

import pytest
import torch
from conftest import EXAMPLE

from workbench import ingest
from workbench.cli import main
from workbench.mt.engine import load
from workbench.mt.fast import cache_root, load_fast
from workbench.mt.registry import ModelSpec
from workbench.store import Store

CPU = torch.device("cpu")


def seed() -> list[str]:
    return [s.text for s in ingest.load(EXAMPLE, "en").segments]


@pytest.mark.parametrize(("tgt", "token"), [("fr", None), ("ar", ">>ara<<")])
def test_fast_path_equals_torch_greedy_float32(tiny_models, tmp_path, tgt, token):
    spec = ModelSpec(str(tiny_models["en-x"]), "marian", token)
    torch_path = load(spec, CPU)
    fast = load_fast(spec, CPU, cache_dir=tmp_path, compute_type="float32", quantize_torch=False)
    assert fast.translator is not None
    texts = seed()

    def run(model):
        return {
            i: t
            for b in model.translate(texts, "en", tgt, beam=1, max_length=24)
            for i, t in zip(b.indices, b.texts, strict=True)
        }

    assert run(fast) == run(torch_path)


CONSTRAINTS = [[["BLT"], ["États Membres", "État Membre"]], [], [["DECT"]], [], [["société civile"]], []]


def fast_outputs(fast, texts, constraints, batch_size=16) -> dict[int, str]:
    outputs: dict[int, str] = {}
    for batch in fast.translate(
        texts, "en", "fr", beam=4, max_length=16, batch_size=batch_size, constraints=constraints
    ):
        assert not set(batch.indices) & set(outputs), "a segment came back twice"
        outputs.update(zip(batch.indices, batch.texts, strict=True))
    assert sorted(outputs) == list(range(len(texts)))
    return outputs


@pytest.mark.parametrize("threads", [1, 2])
def test_fast_path_keeps_every_enforced_term(tiny_models, tmp_path, threads):
    """One thread: the engines take turns; two: they run at once (the constrained search in a thread)."""
    fast = load_fast(ModelSpec(str(tiny_models["en-x"]), "marian"), CPU, cache_dir=tmp_path, threads=threads)
    outputs = fast_outputs(fast, seed()[:6], CONSTRAINTS, batch_size=2)
    for i, terms in enumerate(CONSTRAINTS):
        for forms in terms:
            assert any(form in outputs[i] for form in forms), (outputs[i], forms)


def test_engines_running_at_once_give_what_they_give_in_turns(tiny_models, tmp_path):
    spec = ModelSpec(str(tiny_models["en-x"]), "marian")
    in_turns = load_fast(spec, CPU, cache_dir=tmp_path, threads=1)
    at_once = load_fast(spec, CPU, cache_dir=tmp_path, threads=2)
    texts = seed()[:12]
    constraints = CONSTRAINTS * 2
    assert fast_outputs(at_once, texts, constraints, batch_size=3) == fast_outputs(
        in_turns, texts, constraints, batch_size=3
    )


def test_the_torch_model_is_quantised_on_first_constrained_use_only(tiny_models, tmp_path):
    """Loading does not quantise (CTranslate2 starts at once); a segment with terms does, once."""
    from torch.ao.nn.quantized.dynamic import Linear as Int8Linear

    fast = load_fast(ModelSpec(str(tiny_models["en-x"]), "marian"), CPU, cache_dir=tmp_path, threads=2)

    def int8_layers() -> int:
        return sum(isinstance(m, Int8Linear) for m in fast.base.model.modules())

    assert int8_layers() == 0
    fast_outputs(fast, seed()[:3], [[], [], []])  # no terms: CTranslate2 alone
    assert int8_layers() == 0
    fast_outputs(fast, seed()[:6], CONSTRAINTS)
    quantised = int8_layers()
    assert quantised > 0 and not any(type(m) is torch.nn.Linear for m in fast.base.model.modules())
    fast_outputs(fast, seed()[:6], CONSTRAINTS)
    assert int8_layers() == quantised


def test_a_failure_of_the_constrained_search_reaches_the_caller(tiny_models, tmp_path, monkeypatch):
    fast = load_fast(ModelSpec(str(tiny_models["en-x"]), "marian"), CPU, cache_dir=tmp_path, threads=2)

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")
        yield  # a generator, like the real one

    monkeypatch.setattr(fast, "_torch", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        fast_outputs(fast, seed()[:6], CONSTRAINTS)


def test_marian_positional_table_is_computed_as_transformers_does(tiny_models):
    """engine.load replaces transformers' slow loop with the same arithmetic, vectorised."""
    from transformers.models.marian.modeling_marian import MarianSinusoidalPositionalEmbedding as Table

    model = load(ModelSpec(str(tiny_models["en-x"]), "marian"), CPU)
    assert Table.create_weight is not Table._original_create_weight
    for table in (model.model.model.encoder.embed_positions, Table(512, 512), Table(37, 33)):
        assert torch.equal(table.create_weight(), Table._original_create_weight(table))
    assert torch.equal(
        model.model.model.encoder.embed_positions.weight,
        model.model.model.encoder.embed_positions.create_weight(),
    )


def test_conversion_is_cached(tiny_models, tmp_path):
    spec = ModelSpec(str(tiny_models["en-x"]), "marian")
    load_fast(spec, CPU, cache_dir=tmp_path)
    folders = sorted(p.name for p in cache_root(tmp_path).iterdir())
    load_fast(spec, CPU, cache_dir=tmp_path)
    assert sorted(p.name for p in cache_root(tmp_path).iterdir()) == folders and len(folders) == 1


def test_m2m100_runs_on_int8_torch_in_the_fast_path(tiny_models, tmp_path):
    fast = load_fast(ModelSpec(str(tiny_models["m2m100"]), "m2m100"), CPU, cache_dir=tmp_path)
    assert fast.translator is None
    (batch,) = fast.translate(["Thank you."], "en", "ru", max_length=8, constraints=[[["КТУ ООН"]]])
    assert "КТУ ООН" in batch.texts[0]


def test_translate_cli_with_the_fast_backend(model_map, tmp_path):
    db = tmp_path / "wb.db"
    argv = ["translate", str(EXAMPLE), "--to", "fr,es", "--model-map", str(model_map), "--store", str(db),
            "--backend", "ctranslate2", "--cache-dir", str(tmp_path / "cache"), "--beam", "2",
            "--max-length", "12", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    with Store(db) as store:
        for lang in ("fr", "es"):
            flags = store.document_flags(1, lang)
            assert len(store.translations(1, lang)) == 26
            assert not any(f.mark == "missing" for fl in flags.values() for f in fl)
