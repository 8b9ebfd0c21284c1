"""Translation jobs on tiny real models (random weights), through the CLI and the library."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from conftest import EXAMPLE, FAST, run

from workbench import ingest, langs
from workbench.model import Origin, Status
from workbench.mt import registry
from workbench.mt.engine import load
from workbench.mt.registry import LoadError
from workbench.store import Store

FRENCH = (
    "Le Secrétaire général a ouvert la séance. Les États Membres ont adopté la résolution.\n\n"
    "Nous remercions la République du Bélarus pour son soutien."
)


def counts(store_path: Path) -> dict[str, int]:
    db = sqlite3.connect(store_path)
    rows = db.execute("SELECT lang, COUNT(*) FROM translations GROUP BY lang").fetchall()
    db.close()
    return dict(rows)


def test_en_to_all_five(store_path, model_map):
    r = run(
        "translate",
        str(EXAMPLE),
        "--to",
        "all",
        "--model-map",
        str(model_map),
        "--store",
        str(store_path),
        *FAST,
    )
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert counts(store_path) == {lang: 26 for lang in ("ar", "zh", "fr", "ru", "es")}
    table = r.stdout.decode().splitlines()
    assert table[0].split()[:5] == ["lang", "segments", "done", "TM", "MT"]
    assert [line.split()[:5] for line in table[1:]] == [
        [lang, "26", "0", "0", "26"] for lang in ("ar", "zh", "fr", "ru", "es")
    ]
    with Store(store_path) as store:
        zh = store.translations(1, "zh")
        assert all(t.origin == Origin.MT and t.status == Status.TRANSLATED for t in zh)
        assert not any(re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", t.text) for t in zh)
        assert {t.engine for t in zh} == {_en_x(model_map)}
    again = run(
        "translate", "1", "--to", "fr", "--model-map", str(model_map), "--store", str(store_path), *FAST
    )
    assert again.returncode == 0
    assert again.stdout.decode().splitlines()[1].split()[:5] == ["fr", "26", "26", "0", "0"]


def _en_x(model_map: Path) -> str:
    return registry.load_map(model_map).route("en", "zh")[0].spec.model


def test_french_to_russian_pivots_through_english(tmp_path, store_path, model_map):
    path = tmp_path / "discours.fr.txt"
    path.write_text(FRENCH, encoding="utf-8")
    steps = registry.load_map(model_map).route("fr", "ru")
    assert [(s.src, s.tgt) for s in steps] == [("fr", "en"), ("en", "ru")]
    r = run(
        "translate", str(path), "--to", "ru", "--model-map", str(model_map), "--store", str(store_path), *FAST
    )
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    with Store(store_path) as store:
        ru = store.translations(1, "ru")
    assert len(ru) == 3
    assert all(" → " in t.engine for t in ru)  # the engine records both models of the route
    assert all(t.text for t in ru)


def test_m2m100_language_token(tiny_models, tmp_path, store_path):
    spec = registry.ModelSpec(str(tiny_models["m2m100"]), "m2m100")
    model = load(spec)
    out = list(model.translate(["The Council met today."], "en", "fr", beam=2, max_length=8))
    assert len(out) == 1 and len(out[0].texts) == 1
    assert "__fr__" not in out[0].texts[0]
    # the forced BOS token is the target language's
    tok = model.tokenizer
    tok.src_lang = "en"
    enc = tok(["The Council met today."], return_tensors="pt")
    ids = model.model.generate(
        **enc, num_beams=2, max_new_tokens=4, forced_bos_token_id=tok.get_lang_id("fr")
    )[0].tolist()
    assert ids[1] == tok.get_lang_id("fr")
    # and through the CLI with a [multilingual] map
    path = tmp_path / "m2m.toml"
    path.write_text(
        f'defaults = false\n[multilingual]\nkind = "m2m100"\nmodel = "{tiny_models["m2m100"]}"\n',
        encoding="utf-8",
    )
    r = run(
        "translate",
        str(EXAMPLE),
        "--to",
        "fr,zh",
        "--model-map",
        str(path),
        "--store",
        str(store_path),
        *FAST,
    )
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert counts(store_path) == {"fr": 26, "zh": 26}


def test_nllb_language_codes_and_enforced_terms(tiny_models, tmp_path, store_path):
    """NLLB-200 (M2M100 architecture, FLORES-200 codes): the source code leads the input, the target
    code is forced first and never printed, terms are enforced on both paths, and the CLI runs it."""
    import torch

    from workbench.mt.fast import load_fast

    folder = tiny_models["nllb"]
    spec = registry.ModelSpec(str(folder), "nllb")
    model = load(spec)
    tok = model.tokenizer
    texts, kwargs = model.prepare(["The Council met today."], "en", "ar")
    assert tok(texts)["input_ids"][0][0] == tok.convert_tokens_to_ids("eng_Latn")
    assert kwargs["forced_bos_token_id"] == tok.convert_tokens_to_ids("arb_Arab")
    terms = {"fr": "ONUDC", "ar": "مكتب الأمم المتحدة", "zh": "联合国"}
    fast = load_fast(spec, torch.device("cpu"), cache_dir=tmp_path / "cache")
    for engine in (model, fast):
        for tgt, term in terms.items():
            (batch,) = engine.translate(
                ["UNODC and the United Nations met today."], "en", tgt, beam=2, max_length=16,
                constraints=[[[term]]],
            )  # fmt: skip
            assert term in batch.texts[0], (tgt, batch.texts[0])
            assert not re.search(r"[a-z]{3}_[A-Z][a-z]{3}", batch.texts[0])  # no language code printed
    path = tmp_path / "nllb.toml"
    path.write_text(f'defaults = false\n[multilingual]\nkind = "nllb"\nmodel = "{folder}"\n')
    r = run("translate", str(EXAMPLE), "--to", "fr,ar", "--model-map", str(path), "--store", str(store_path),
            *FAST)  # fmt: skip
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert counts(store_path) == {"fr": 26, "ar": 26}


def test_tm_reuses_an_approved_translation(tmp_path, store_path, model_map):
    with Store(store_path) as store:
        first = store.add_document(ingest.load(EXAMPLE))
        segment = store.document(first).segments[3]
        store.put_translation(
            segment.id,
            "fr",
            "Excellences, Mesdames et Messieurs,",
            origin=Origin.HUMAN,
            status=Status.APPROVED,
            who="reviewer",
        )
    other = tmp_path / "again.txt"
    other.write_text("Another speech.\n\n" + segment.text + "\n", encoding="utf-8")
    r = run(
        "translate",
        str(other),
        "--lang",
        "en",
        "--to",
        "fr",
        "--model-map",
        str(model_map),
        "--store",
        str(store_path),
        *FAST,
    )
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    with Store(store_path) as store:
        doc = store.document("again.txt")
        reused = store.translation(doc.segments[1].id, "fr")
        fresh = store.translation(doc.segments[0].id, "fr")
    assert reused.text == "Excellences, Mesdames et Messieurs," and reused.origin == Origin.TM
    assert fresh.origin == Origin.MT
    assert r.stdout.decode().splitlines()[1].split()[:5] == ["fr", "2", "0", "1", "1"]


def test_force_redoes_machine_work_but_keeps_reviewed(store_path, model_map):
    base = ["--model-map", str(model_map), "--store", str(store_path), *FAST]
    assert run("translate", str(EXAMPLE), "--to", "es", *base).returncode == 0
    with Store(store_path) as store:
        seg = store.document(1).segments[0]
        store.put_translation(
            seg.id,
            "es",
            "Observaciones del Sr. Voronkov",
            origin=Origin.HUMAN,
            status=Status.REVIEWED,
            who="ana",
            expected_version=1,
        )
    r = run("translate", "1", "--to", "es", "--force", *base)
    assert r.returncode == 0
    assert r.stdout.decode().splitlines()[1].split()[:5] == ["es", "26", "1", "0", "25"]
    with Store(store_path) as store:
        kept = store.translation(seg.id, "es")
        redone = store.translation(store.document(1).segments[1].id, "es")
    assert kept.text == "Observaciones del Sr. Voronkov" and kept.version == 2
    assert redone.version == 2


@pytest.mark.parametrize(
    "case", ["unknown language", "missing model dir", "typo in map", "offline, not cached", "no route"]
)
def test_bad_input_one_line_exit_2(tmp_path, store_path, model_map, case):
    bad = tmp_path / "bad.toml"
    args = ["translate", str(EXAMPLE), "--store", str(store_path), *FAST]
    expect = {
        "unknown language": (["--to", "de", "--model-map", str(model_map)], "not one of the six"),
        "missing model dir": (
            ["--to", "fr", "--model-map", str(bad)],
            f"{bad}: [pairs.en-fr]: model folder /nonexistent/opus-mt-en-fr does not exist",
        ),
        "typo in map": (["--to", "fr", "--model-map", str(bad)], "unknown key 'modle'"),
        "offline, not cached": (
            ["--to", "fr", "--cache-dir", str(tmp_path / "empty-cache")],
            "workbench models pull",
        ),
        "no route": (["--to", "ru", "--model-map", str(bad)], "no model for en→ru"),
    }[case]
    if case == "missing model dir":
        bad.write_text('[pairs.en-fr]\nmodel = "/nonexistent/opus-mt-en-fr"\n', encoding="utf-8")
    elif case == "typo in map":
        bad.write_text('[pairs.en-fr]\nmodle = "Helsinki-NLP/opus-mt-en-fr"\n', encoding="utf-8")
    elif case == "no route":
        bad.write_text(f'defaults = false\n[pairs.en-fr]\nmodel = "{_en_x(model_map)}"\n', encoding="utf-8")
    r = run(*args, *expect[0])
    err = r.stderr.decode().strip()
    assert r.returncode == 2, err
    assert expect[1] in err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if not line.startswith("log:")]) == 1


def test_model_loading_refuses_pickles_and_remote_code(tiny_models, tmp_path):
    import shutil

    folder = tmp_path / "no-safetensors"
    shutil.copytree(tiny_models["x-en"], folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(LoadError, match="cannot load the model"):
        load(registry.ModelSpec(str(folder)))


def test_models_list_shows_routes_and_cache(model_map):
    r = run("models", "list", "--model-map", str(model_map))
    assert r.returncode == 0, r.stderr.decode()
    lines = dict(line.split("\t", 1) for line in r.stdout.decode().splitlines()[1:])
    assert len(lines) == 30
    assert lines["en-zh"].endswith(">>cmn_Hans<< [cached]")
    assert lines["fr-ru"].startswith("pivot: ")
    assert lines["ru-fr"] == "(no model)"
    default = run("models", "list", "--cache-dir", "/nonexistent").stdout.decode()
    assert "en-ar\tHelsinki-NLP/opus-mt-en-ar >>ara<< [not cached]" in default


def test_default_registry_covers_every_pair():
    model_map = registry.default_map()
    for src in langs.CODES:
        for tgt in langs.CODES:
            if src != tgt:
                steps = model_map.route(src, tgt)
                assert 1 <= len(steps) <= 2
                assert all(s.spec.model.startswith("Helsinki-NLP/opus-mt-") for s in steps)
    assert registry.default_map("nllb").route("zh", "ar")[0].spec.kind == "nllb"


def test_jobs_in_several_threads_load_their_models_at_once(tiny_models, tmp_path):
    """Two reviewers uploading at once run two jobs in two server threads: transformers cannot build
    two models at the same moment, so loads (and CTranslate2 conversions) take turns, never fail."""
    import threading

    import torch

    from workbench.mt.fast import converted
    from workbench.mt.registry import ModelSpec

    barrier = threading.Barrier(3)
    errors: list[BaseException] = []
    folders: list[Path] = []

    def job(model: Path, tgt: str) -> None:
        barrier.wait()
        try:
            loaded = load(ModelSpec(str(model), "marian"), torch.device("cpu"))
            assert [t for b in loaded.translate(["Thank you."], "en", tgt, max_length=6) for t in b.texts]
            folders.append(converted(str(model), "int8", tmp_path))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=job, args=(tiny_models["en-x"], "fr")),
        threading.Thread(target=job, args=(tiny_models["x-en"], "en")),
        threading.Thread(target=job, args=(tiny_models["en-x"], "es")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(folders) == 3 and len(set(folders)) == 2  # the shared model converted once


class Calls:
    """Passes a loaded model's translate() through and keeps how many texts each call had."""

    def __init__(self, model, log: list[tuple[str, int]]):
        self.model, self.log = model, log

    def translate(self, texts, *args, **kwargs):
        self.log.append((Path(self.model.spec.model).name, len(texts)))
        yield from self.model.translate(texts, *args, **kwargs)

    def release(self) -> None:
        self.model.release()


def test_short_documents_share_batches_and_each_keeps_its_progress(tmp_path, model_map):
    """Consecutive documents on one route are translated in one call, so short statements fill whole
    batches; a document on another route (French, through English) or beyond the group's size starts
    a new group, and every document's progress bar still counts its own segments."""
    from workbench.translate import ModelPool, Options, translate_documents

    calls: list[tuple[str, int]] = []

    class Pool(ModelPool):
        def get(self, spec):
            return Calls(super().get(spec), calls)

    statements = [f"Statement {n}. The Council met. Member States spoke.\n\nThank you." for n in range(6)]
    order = [("en", 0), ("en", 1), ("en", 2), ("fr", None), ("en", 3), ("en", 4), ("en", 5)]
    bars: dict[str, list[int]] = {}

    def progress(label: str, total: int):
        bars[label] = [total, 0]
        return lambda n: bars[label].__setitem__(1, bars[label][1] + n)

    options = Options(beam=2, max_length=8, batch_size=2, group_batches=3)  # groups of 6 segments or more
    with Store(tmp_path / "wb.db") as store:
        ids = []
        for n, (lang, k) in enumerate(order):
            path = tmp_path / f"d{n}.{lang}.txt"
            path.write_text(FRENCH if lang == "fr" else statements[k], encoding="utf-8")
            ids.append(ingest.ingest_file(store, path, lang).id)
        sizes = [len(store.document(i).segments) for i in ids]
        assert sizes == [4, 4, 4, 3, 4, 4, 4]
        stats = translate_documents(
            store, ids, ["es"], registry.load_map(model_map), options, progress, pool=Pool(options)
        )
        stored = [t for i in ids for t in store.translations(i, "es")]  # type: ignore[arg-type]
        assert stats[0].from_mt == sum(sizes) == len(stored)
    en_x, x_en = "marian-en-x", "marian-x-en"
    # en 0+1 (8 ≥ 6: full), en 2 alone (the French one follows), fr through English, en 3+4, en 5
    assert calls == [(en_x, 8), (en_x, 4), (x_en, 3), (en_x, 3), (en_x, 8), (en_x, 4)]
    assert list(bars) == [f"d{n}.{lang}.txt → es" for n, (lang, _) in enumerate(order)]
    assert all(done == total == size for (total, done), size in zip(bars.values(), sizes, strict=True))
