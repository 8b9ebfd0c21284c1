"""Real checkpoint layouts through the real download code: a loopback Hub serves tiny models laid out
as the default repos are (``pytorch_model.bin`` only on main, safetensors only in ``refs/pr/1``),
and the CLI pulls, translates online and offline, on both backends, for Marian, M2M100 and NLLB."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from tests.conftest import EXAMPLE, ROOT, free_port, training_sentences
from tests.loopback_hub import LoopbackHub

OFFLINE = {"endpoint": "http://127.0.0.1:9", "offline": True}  # port 9: nothing listens
FAST = ["--beam", "2", "--max-length", "8", "--batch-size", "16", "--quiet"]
REPOS = {
    "marian": ["Helsinki-NLP/opus-mt-en-fr", "Helsinki-NLP/opus-mt-en-zh"],
    "m2m100": ["facebook/m2m100_418M"],
    "nllb": ["facebook/nllb-200-distilled-600M"],
}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The loopback Hub with the four default repos (tiny random weights) and a poisoned one."""
    from workbench.mt.hub import _bin_to_safetensors
    from workbench.mt.synthetic import build_m2m100, build_marian, build_nllb

    root = tmp_path_factory.mktemp("hub-repos")
    sentences = training_sentences()
    folders = {
        "Helsinki-NLP/opus-mt-en-fr": build_marian(root / "en-fr", sentences, weights="bin"),
        "Helsinki-NLP/opus-mt-en-zh": build_marian(
            root / "en-zh",
            sentences,
            weights="bin",
            langs=("eng", "zho"),
            target_tokens=[">>cmn_Hans<<"],
            seed=2,
        ),
        "facebook/m2m100_418M": build_m2m100(root / "m2m100", sentences, weights="bin"),
        "facebook/nllb-200-distilled-600M": build_nllb(root / "nllb", sentences, weights="bin"),
    }
    server = LoopbackHub()
    server.served = {}  # repo → main's files, as served
    for repo, folder in folders.items():
        files = _files(folder)
        assert "model.safetensors" not in files and "pytorch_model.bin" in files
        server.served[repo] = files
        server.add(repo, "main", files)
        converted = root / f"{folder.name}-pr"  # the conversion bot's pull request: safetensors added
        _bin_to_safetensors(repo, folder / "pytorch_model.bin", folder / "config.json", converted)
        server.add(
            repo, "refs/pr/1", {**files, "model.safetensors": (converted / "model.safetensors").read_bytes()}
        )

    class Poison:  # a pickle that runs a command when unpickled
        def __reduce__(self):
            return (os.system, (f"touch {root / 'PWNED'}",))

    evil = dict(server.served["Helsinki-NLP/opus-mt-en-fr"])
    buffer = io.BytesIO()
    torch.save({"model.shared.weight": torch.zeros(2, 2), "x": Poison()}, buffer)
    evil["pytorch_model.bin"] = buffer.getvalue()
    server.add("evil-org/opus-mt-en-fr", "main", evil)
    server.marker = root / "PWNED"
    server.start()
    yield server
    server.stop()


def cli(*args: str, home: Path, endpoint: str, offline: bool = False, stderr=subprocess.PIPE):
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE")}
    env.update(HF_ENDPOINT=endpoint, HF_HOME=str(home / "hf"), XDG_CACHE_HOME=str(home / "xdg"),
               HF_HUB_DISABLE_TELEMETRY="1", **({"HF_HUB_OFFLINE": "1"} if offline else {}))  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args], stdout=subprocess.PIPE, stderr=stderr, cwd=ROOT,
        timeout=600, env=env,
    )  # fmt: skip


def counts(store: Path) -> dict[str, int]:
    db = sqlite3.connect(store)
    rows = dict(db.execute("SELECT lang, COUNT(*) FROM translations GROUP BY lang").fetchall())
    db.close()
    return rows


def engines(store: Path) -> set[str]:
    db = sqlite3.connect(store)
    rows = {r[0] for r in db.execute("SELECT DISTINCT engine FROM translations")}
    db.close()
    return rows


def listed(out: bytes) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in out.decode().splitlines()[1:])


@pytest.mark.parametrize("kind", ["marian", "m2m100", "nllb"])
def test_pull_then_offline_translate_on_both_backends(hub, tmp_path, kind, monkeypatch):
    """`models pull en-fr en-zh` through the real download code, then the same job with
    HF_HUB_OFFLINE=1 on torch and on CTranslate2; the weights loaded are the bytes served, the
    commit is in the job log and in every translation, and nobody asked the Hub for a PR."""
    engine = [] if kind == "marian" else ["--engine", kind]
    run = {"home": tmp_path, "endpoint": hub.url}
    before = cli("models", "list", *engine, **run)
    assert before.returncode == 0, before.stderr.decode()
    assert listed(before.stdout)["en-fr"].endswith("[not cached]")

    pulled = cli("models", "pull", "en-fr", "en-zh", *engine, **run)
    assert pulled.returncode == 0, pulled.stderr.decode()[-3000:]
    lines = pulled.stdout.decode().splitlines()
    assert len(lines) == len(REPOS[kind])
    commits = {}
    for line, repo in zip(lines, REPOS[kind], strict=True):
        _pairs, label, what, folder = line.split("\t")
        commits[repo] = hub.repos[repo].branches["main"]  # main, never the PR with safetensors
        assert label == f"{repo}@{commits[repo]}"
        assert what.startswith("pytorch_model.bin + tokenizer and configs, ") and what.endswith(("KB", "MB"))
        expected = tmp_path / "xdg" / "workbench" / "models" / f"{repo.replace('/', '--')}@{commits[repo]}"
        assert Path(folder) == expected and (expected / "model.safetensors").exists()
        snapshot = (
            tmp_path / "hf" / "hub" / f"models--{repo.replace('/', '--')}" / "snapshots" / commits[repo]
        )
        assert (snapshot / "pytorch_model.bin").read_bytes() == hub.served[repo]["pytorch_model.bin"]
    after = cli("models", "list", *engine, **run)
    assert listed(after.stdout)["en-fr"].endswith("[cached]")
    assert listed(after.stdout)["en-zh"].endswith("[cached]")

    for backend in ("torch", "ctranslate2"):
        store, log = tmp_path / backend / "wb.db", tmp_path / f"{backend}.log"
        done = cli("translate", str(EXAMPLE), "--to", "fr,zh", *engine, "--backend", backend,
                   "--store", str(store), "--log", str(log), *FAST, offline=True, **run)  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        assert counts(store) == {"fr": 26, "zh": 26}
        assert engines(store) == {f"{repo}@{c}" for repo, c in commits.items()}
        assert all(c in log.read_text(encoding="utf-8") for c in commits.values())
    assert hub.writes() == []
    assert not any("refs%2Fpr" in path or "refs/pr" in path for _, path in hub.requests)

    # the tensors the workbench loads are those of the served pickle
    from workbench.mt.engine import load
    from workbench.mt.registry import ModelSpec

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    repo = REPOS[kind][0]
    model = load(ModelSpec(repo, kind, revision=commits[repo]), torch.device("cpu"))
    served = torch.load(io.BytesIO(hub.served[repo]["pytorch_model.bin"]), weights_only=True)
    loaded = model.model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in served.items() if k in loaded)
    assert len([k for k in served if k in loaded]) >= len(served) - 1


def test_a_pinned_revision_is_what_loads(hub, tmp_path):
    """`revision = "refs/pr/1"` in the map: that branch's commit, its safetensors taken as they are."""
    mapping = tmp_path / "map.toml"
    mapping.write_text('defaults = false\n[multilingual]\nkind = "nllb"\n'
                       'model = "facebook/nllb-200-distilled-600M"\nrevision = "refs/pr/1"\n')  # fmt: skip
    pulled = cli("models", "pull", "en-fr", "--model-map", str(mapping), home=tmp_path, endpoint=hub.url)
    assert pulled.returncode == 0, pulled.stderr.decode()[-3000:]
    _, label, what, _folder = pulled.stdout.decode().strip().split("\t")
    commit = hub.repos["facebook/nllb-200-distilled-600M"].branches["refs/pr/1"]
    assert label.endswith(f"@{commit}") and what.startswith("model.safetensors")
    assert hub.writes() == []


def test_a_pickle_that_carries_code_is_refused(hub, tmp_path):
    """A `.bin` whose pickle calls a function (``__reduce__``): one line, exit 2, nothing run, nothing
    stored, no converted folder left."""
    mapping = tmp_path / "map.toml"
    mapping.write_text('[pairs.en-fr]\nmodel = "evil-org/opus-mt-en-fr"\n')
    store = tmp_path / "wb.db"
    args = ["--to", "fr", "--model-map", str(mapping), "--store", str(store), *FAST]
    r = cli("translate", str(EXAMPLE), *args, home=tmp_path, endpoint=hub.url)
    err = r.stderr.decode()
    errors = [line for line in err.splitlines() if line.startswith("workbench: error:")]
    assert r.returncode == 2 and "Traceback" not in err, err
    # one line (before it: the announced download and its progress bar)
    assert len(errors) == 1 and "refused" in errors[0] and "evil-org/opus-mt-en-fr" in errors[0], err
    assert not hub.marker.exists()
    assert counts(store) == {}
    models = tmp_path / "xdg" / "workbench" / "models"
    assert not models.exists() or list(models.iterdir()) == []


def test_an_unreachable_hub_is_reported_within_seconds(tmp_path):
    """No network, no HF_HUB_OFFLINE: one short probe, then the missing-model line (no minute of
    download retries)."""
    closed = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    r = cli("translate", str(EXAMPLE), "--to", "fr", "--store", str(tmp_path / "wb.db"), *FAST,
            home=tmp_path, endpoint=closed)  # fmt: skip
    elapsed = time.monotonic() - started
    err = [line for line in r.stderr.decode().splitlines() if not line.startswith("log:")]
    assert r.returncode == 2 and len(err) == 1, err
    assert "cannot be reached" in err[0] and "workbench models pull" in err[0]
    assert elapsed < 10, elapsed


def test_target_token_missing_from_the_vocabulary(tiny_models, tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        f'defaults = false\n[pairs.en-ar]\nmodel = "{tiny_models["en-x"]}"\ntarget_token = ">>xyz<<"\n'
    )
    args = ["--to", "ar", "--model-map", str(mapping), "--store", str(tmp_path / "wb.db"), *FAST]
    r = cli("translate", str(EXAMPLE), *args, **OFFLINE, home=tmp_path)
    err = [line for line in r.stderr.decode().splitlines() if not line.startswith("log:")]
    assert r.returncode == 2 and len(err) == 1, err
    assert "en-ar" in err[0] and ">>xyz<<" in err[0]


def test_progress_lines_when_stderr_is_a_file(model_map, tmp_path):
    log = tmp_path / "stderr.txt"
    with log.open("wb") as fh:
        r = cli("translate", str(EXAMPLE), "--to", "fr", "--model-map", str(model_map), "--store",
                str(tmp_path / "wb.db"), "--beam", "1", "--max-length", "6", home=tmp_path,
                endpoint="http://127.0.0.1:9", offline=True, stderr=fh)  # fmt: skip
    assert r.returncode == 0
    text = log.read_text(encoding="utf-8")
    assert "workbench: unoct-2019-09-26.en.txt → fr: 0/26 segments\n" in text
    assert "workbench: unoct-2019-09-26.en.txt → fr: 26/26 segments\n" in text
    assert "\r" not in text


def test_smoke_models_run_the_main_command(tmp_path):
    """`workbench models smoke` then the README's main command with the map it wrote."""
    r = cli("models", "smoke", "--cache-dir", str(tmp_path / "cache"), home=tmp_path,
            endpoint="http://127.0.0.1:9", offline=True)  # fmt: skip
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert "gibberish" in r.stderr.decode()
    mapping = r.stdout.decode().strip()
    store = tmp_path / "wb.db"
    args = ["--to", "all", "--model-map", mapping, "--store", str(store), *FAST]
    done = cli("translate", "examples/unoct-2019-09-26.en.txt", *args, **OFFLINE, home=tmp_path)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert counts(store) == {lang: 26 for lang in ("fr", "es", "ru", "zh", "ar")}


def test_operator_messages(model_map, tiny_models, tmp_path):
    """--engine against a map says which wins; no [pairs.en-en] suggestion; a resumed job's summary
    says nothing was translated, its columns as wide as their headers; a relative folder that does
    not exist is named with the map and key."""
    run = {"home": tmp_path, "endpoint": "http://127.0.0.1:9", "offline": True}
    store = tmp_path / "wb.db"
    args = [
        "translate",
        str(EXAMPLE),
        "--to",
        "fr",
        "--model-map",
        str(model_map),
        "--store",
        str(store),
        *FAST,
    ]
    first = cli(*args, "--engine", "nllb", **run)
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    assert f"the model map {model_map} wins over --engine nllb" in first.stderr.decode()
    again = cli(*args, **run)
    assert "nothing to translate" in again.stderr.decode()
    header, row = again.stdout.decode().splitlines()[:2]
    assert row.split()[:6] == ["fr", "26", "26", "0", "0", "0"]
    assert [c.end() for c in re_cells(header)][1:] == [c.end() for c in re_cells(row)][1:]  # right-aligned

    (tmp_path / "models").mkdir()
    bad = tmp_path / "bad.toml"
    bad.write_text('defaults = false\n[pairs.en-fr]\nmodel = "models/nowhere"\n')
    r = cli(
        "translate", str(EXAMPLE), "--to", "fr", "--model-map", str(bad), "--store", str(store), *FAST, **run
    )
    assert r.returncode == 2
    assert (
        f"{bad}: [pairs.en-fr]: model folder {tmp_path / 'models' / 'nowhere'} does not exist"
        in r.stderr.decode()
    )
    lonely = tmp_path / "lonely.toml"
    lonely.write_text(f'defaults = false\n[pairs.fr-en]\nmodel = "{tiny_models["x-en"]}"\n')
    r = cli("translate", str(EXAMPLE), "--to", "es", "--model-map", str(lonely), "--store", str(store), **run)
    err = r.stderr.decode()
    assert r.returncode == 2 and "[pairs.en-es]" in err and "en-en" not in err and "pivot" not in err


def re_cells(line: str):
    import re

    return list(re.finditer(r"\S+", line))


def test_generation_config_is_honoured_on_both_paths(tiny_models, tmp_path):
    """The Hub's generation config is kept: its ``max_length`` caps ``--max-length``, and its bad word
    (the pad token, here made the model's favourite) is never generated, by torch as by CTranslate2."""
    import json
    import shutil

    from transformers import MarianMTModel

    from workbench.mt.engine import load
    from workbench.mt.fast import load_fast
    from workbench.mt.registry import ModelSpec

    folder = tmp_path / "pad-loving"
    model = MarianMTModel.from_pretrained(tiny_models["en-x"])
    model.final_logits_bias[0, model.config.pad_token_id] = 8.0
    model.save_pretrained(folder)
    for path in tiny_models["en-x"].iterdir():
        if path.suffix in (".spm", ".json") and path.name != "config.json":
            shutil.copy(path, folder)
    generation = json.loads((folder / "generation_config.json").read_text())
    assert generation["bad_words_ids"] == [[model.config.pad_token_id]]
    cpu = torch.device("cpu")
    texts = ["The Security Council met today.", "Thank you, Mr. President."]

    def run(engine, max_length=24):
        return sorted((i, t, n) for b in engine.translate(texts, "en", "fr", beam=1, max_length=max_length)
                      for i, t, n in zip(b.indices, b.texts, b.target_tokens, strict=True))  # fmt: skip

    spec = ModelSpec(str(folder), "marian")
    slow = load(spec, cpu)
    fast = load_fast(spec, cpu, cache_dir=tmp_path, compute_type="float32", quantize_torch=False)
    expected = run(slow)
    assert run(fast) == expected and all(t for _, t, _ in expected)  # no pad: words, the same words
    generation["max_length"] = 5
    (folder / "generation_config.json").write_text(json.dumps(generation))
    capped = load(spec, cpu)
    assert {n for _, _, n in run(capped)} <= {1, 2, 3, 4}  # 4 new tokens at most, --max-length 24 or not


def test_a_hub_error_falls_back_to_the_cached_commit(tmp_path, monkeypatch):
    """Online, but the Hub answers with an error: a model already converted is used as cached (the
    commit main last pointed to); one never fetched stops with the Hub's error."""
    from workbench.mt import hub
    from workbench.mt.registry import LoadError, ModelSpec

    commit = "ab" * 20
    folder = tmp_path / "workbench" / "models" / f"org--m@{commit}"
    folder.mkdir(parents=True)
    (folder / hub.MARKER).write_text('{"weights": "pytorch_model.bin"}')
    (tmp_path / "models--org--m" / "refs").mkdir(parents=True)
    (tmp_path / "models--org--m" / "refs" / "main").write_text(commit)

    def hub_down(spec, *args, **kwargs):
        raise LoadError(f"{spec.model}: download failed (500 Internal Server Error)")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(hub, "reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(hub, "fetch", hub_down)
    found = hub.checkpoint(ModelSpec("org/m"), tmp_path)
    assert (found.commit, found.folder) == (commit, folder)
    with pytest.raises(LoadError, match="org/other: download failed"):
        hub.checkpoint(ModelSpec("org/other"), tmp_path)
