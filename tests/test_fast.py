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


def test_fast_path_keeps_every_enforced_term(tiny_models, tmp_path):
    fast = load_fast(ModelSpec(str(tiny_models["en-x"]), "marian"), CPU, cache_dir=tmp_path)
    texts = seed()[:6]
    constraints = [[["BLT"], ["États Membres", "État Membre"]], [], [["DECT"]], [], [["société civile"]], []]
    outputs = {}
    for batch in fast.translate(texts, "en", "fr", beam=4, max_length=16, constraints=constraints):
        outputs.update(zip(batch.indices, batch.texts, strict=True))
    for i, terms in enumerate(constraints):
        for forms in terms:
            assert any(form in outputs[i] for form in forms), (outputs[i], forms)


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
