"""The fast path (CTranslate2 + int8 torch) computes the same function and keeps the glossary guarantee."""

from __future__ import annotations

import pytest
import torch
from conftest import EXAMPLE

from workbench import ingest
from workbench.cli import main
from workbench.mt.engine import load
from workbench.mt.fast import cache_root, default_compute_type, load_fast
from workbench.mt.registry import ModelSpec
from workbench.store import Store

CPU = torch.device("cpu")


def seed() -> list[str]:
    return [s.text for s in ingest.load(EXAMPLE, "en").segments]


@pytest.mark.parametrize(
    ("kind", "tgt", "token"),
    [("marian", "fr", None), ("marian", "ar", ">>ara<<"), ("m2m100", "ru", None), ("nllb", "zh", None),
     ("nllb", "fr", None)],
)  # fmt: skip
def test_fast_path_equals_torch_greedy_float32(tiny_models, tmp_path, kind, tgt, token):
    """Every kind converts to CTranslate2 and computes what torch computes (M2M100/NLLB: the target
    language token given to CTranslate2 as a prefix is the one ``generate`` forces)."""
    spec = ModelSpec(str(tiny_models["en-x" if kind == "marian" else kind]), kind, token)
    torch_path = load(spec, CPU)
    fast = load_fast(spec, CPU, cache_dir=tmp_path, compute_type="float32", quantize_torch=False)
    assert fast.translator is not None
    texts = seed()

    def run(model, min_length):
        return {
            (i, t, n)
            for b in model.translate(texts, "en", tgt, beam=1, max_length=24, min_length=min_length)
            for i, t, n in zip(b.indices, b.texts, b.target_tokens, strict=True)
        }

    for min_length in (None, 24):
        assert run(fast, min_length) == run(torch_path, min_length)


def test_early_ends_and_minimum_lengths_agree(tiny_models, tmp_path):
    """A model that always wants to end (a bias on the end token): CTranslate2 stops where torch
    stops, holds the end back for the minimum length as torch does, and the token counts agree."""
    import shutil

    from transformers import MarianMTModel

    model = MarianMTModel.from_pretrained(tiny_models["en-x"])
    model.final_logits_bias[0, model.config.eos_token_id] = 5.0
    folder = tmp_path / "early"
    model.save_pretrained(folder)
    for path in tiny_models["en-x"].iterdir():
        if path.suffix in (".spm", ".json") and not (folder / path.name).exists():
            shutil.copy(path, folder)
    spec = ModelSpec(str(folder), "marian")
    torch_path = load(spec, CPU)
    fast = load_fast(spec, CPU, cache_dir=tmp_path, compute_type="float32", quantize_torch=False)

    def run(model, min_length):
        return sorted(
            (i, t, n)
            for b in model.translate(seed(), "en", "fr", beam=1, max_length=24, min_length=min_length)
            for i, t, n in zip(b.indices, b.texts, b.target_tokens, strict=True)
        )

    lengths = {}
    for min_length in (None, 12):
        expected = run(torch_path, min_length)
        assert run(fast, min_length) == expected
        lengths[min_length] = {n for _, _, n in expected}
    assert lengths == {None: {1}, 12: {13}}  # the end token alone; 12 tokens, then the end


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


def test_compute_type_defaults_to_int8_and_half_precision_on_a_gpu(tiny_models, tmp_path):
    assert default_compute_type(torch.device("cuda")) == "int8_float16"  # no GPU needed to ask
    assert load_fast(ModelSpec(str(tiny_models["en-x"])), CPU, cache_dir=tmp_path).compute_type == "int8"


def test_conversion_is_cached(tiny_models, tmp_path):
    spec = ModelSpec(str(tiny_models["en-x"]), "marian")
    load_fast(spec, CPU, cache_dir=tmp_path)
    folders = sorted(p.name for p in cache_root(tmp_path).iterdir())
    load_fast(spec, CPU, cache_dir=tmp_path)
    assert sorted(p.name for p in cache_root(tmp_path).iterdir()) == folders and len(folders) == 1


class Recording:
    """Passes calls to a CTranslate2 translator and keeps the sources it was given."""

    def __init__(self, translator):
        self.translator, self.sources = translator, []

    def translate_batch(self, source, **kwargs):
        self.sources.extend(source)
        return self.translator.translate_batch(source, **kwargs)


@pytest.mark.parametrize("kind", ["m2m100", "nllb"])
def test_multilingual_models_take_both_engines_and_keep_the_terms(tiny_models, tmp_path, kind):
    """M2M100 and NLLB: segments without terms go to CTranslate2, the one with a term to the search."""
    fast = load_fast(ModelSpec(str(tiny_models[kind]), kind), CPU, cache_dir=tmp_path, threads=2)
    fast.translator = recording = Recording(fast.translator)
    texts = ["Thank you.", "The Office of Counter-Terrorism met today.", "Good morning."]
    outputs, constraints = {}, [[], [["КТУ ООН"]], []]
    for batch in fast.translate(texts, "en", "ru", beam=2, max_length=10, constraints=constraints):
        outputs.update(zip(batch.indices, batch.texts, strict=True))
    assert sorted(outputs) == [0, 1, 2]
    assert "КТУ ООН" in outputs[1]
    assert len(recording.sources) == 2  # the two segments without terms, and only they
    assert not any(code in text for text in outputs.values() for code in ("__ru__", "rus_Cyrl"))


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


def hub_cache(root, folder, repo_id: str):
    """A Hugging Face cache holding ``folder`` as ``repo_id`` at its main revision, as a download of
    the default repos leaves it: ``pytorch_model.bin`` (a pickled state dict), no safetensors."""
    import shutil

    from safetensors.torch import load_file

    repo = root / f"models--{repo_id.replace('/', '--')}"
    revision = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / revision
    shutil.copytree(folder, snapshot, ignore=shutil.ignore_patterns("*.safetensors"))
    torch.save(load_file(folder / "model.safetensors"), snapshot / "pytorch_model.bin")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    return root


def test_a_hub_id_loads_from_the_cache_offline_on_both_paths(tiny_models, tmp_path, monkeypatch):
    """How users load real models: an id such as Helsinki-NLP/opus-mt-en-fr, found in the Hub cache
    (``pytorch_model.bin`` only) with HF_HUB_OFFLINE set: converted to safetensors without network,
    and the fast path converts that copy. A missing id names the remedy."""
    from workbench.mt.registry import LoadError, cached

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = hub_cache(tmp_path / "hub", tiny_models["en-x"], "Helsinki-NLP/opus-mt-en-fr")
    spec = ModelSpec("Helsinki-NLP/opus-mt-en-fr")
    texts = seed()[:4]
    torch_path = load(spec, CPU, cache_dir=cache)
    fast = load_fast(spec, CPU, cache_dir=cache, compute_type="float32", quantize_torch=False)
    (converted,) = cache_root(cache).iterdir()
    name = "Helsinki-NLP--opus-mt-en-fr@0123456789abcdef0123456789abcdef01234567"
    assert converted.name.startswith(f"{name}-") and converted.name.endswith("-float32")
    assert torch_path.folder == cache / "workbench" / "models" / name  # the safetensors copy, read by both
    served = torch.load(cache / "models--Helsinki-NLP--opus-mt-en-fr" / "snapshots" / name.split("@")[1]
                        / "pytorch_model.bin", weights_only=True)  # fmt: skip
    loaded = torch_path.model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in served.items())

    def run(model):
        return {i: t for b in model.translate(texts, "en", "fr", beam=1, max_length=12)
                for i, t in zip(b.indices, b.texts, strict=True)}  # fmt: skip

    assert run(fast) == run(torch_path)
    missing = ModelSpec("Helsinki-NLP/opus-mt-en-xx")
    assert cached(spec, str(cache)) and not cached(missing, str(cache))  # what `models list` shows
    with pytest.raises(LoadError, match=r"not in the cache.*HF_HUB_OFFLINE"):
        load(missing, CPU, cache_dir=cache)
