"""Hub checkpoints as the workbench loads them: fetched, verified, converted once to safetensors.

The default models (OPUS-MT, M2M100, NLLB-200) ship ``pytorch_model.bin`` on their main branch; the
safetensors copies exist only in the Hub conversion bot's unmerged pull requests. The workbench takes
the official revision as it is: the weights are read with ``torch.load(weights_only=True)`` (a pickle
that carries code is refused) and written once as safetensors, beside copies of the tokenizer and
configuration files, into its own model cache, one folder per repo and commit::

    ~/.cache/workbench/models/Helsinki-NLP--opus-mt-en-fr@<commit>/   (or under --cache-dir)

Every load — torch, the CTranslate2 conversion, Ray workers — reads that folder, so a second run needs
no network. The workbench never asks the Hub to open pull requests on other people's repos
(``DISABLE_SAFETENSORS_CONVERSION``), never runs remote code, and records the commit it used.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .registry import LoadError, ModelSpec

# transformers would otherwise ask the Hub's conversion Space to open a PR on a repo without safetensors.
os.environ["DISABLE_SAFETENSORS_CONVERSION"] = "1"

log = logging.getLogger(__name__)

WEIGHTS = ("model.safetensors", "pytorch_model.bin")  # preferred first
FILES = (  # what loading needs besides the weights, whichever of them the repo has
    "config.json",
    "generation_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "added_tokens.json",
    "vocab.json",
    "target_vocab.json",
    "source.spm",
    "target.spm",
    "sentencepiece.bpe.model",
)
MARKER = "workbench.json"  # written last: a folder without it is not a finished conversion
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Checkpoint:
    """A Hub model ready to load: the commit it came from and the folder the workbench reads."""

    repo: str
    commit: str
    folder: Path
    weights: str  # the file the Hub served: model.safetensors or pytorch_model.bin
    fetched: int = 0  # bytes of the files it came from

    @property
    def label(self) -> str:
        """The provenance stored with each translation: ``repo@commit``."""
        return f"{self.repo}@{self.commit}"


def base_dir(cache_dir: str | Path | None = None) -> Path:
    """The workbench's own cache: ``--cache-dir``, else ``$XDG_CACHE_HOME`` or ``~/.cache``."""
    return Path(cache_dir) if cache_dir else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))


def models_root(cache_dir: str | Path | None = None) -> Path:
    return base_dir(cache_dir) / "workbench" / "models"


def hub_cache(cache_dir: str | Path | None = None) -> Path:
    """Where huggingface_hub keeps downloads: ``--cache-dir`` itself, else its own default."""
    from huggingface_hub import constants

    return Path(cache_dir) if cache_dir else Path(constants.HF_HUB_CACHE)


def is_hub_id(model: str) -> bool:
    """``org/name`` and not an existing folder."""
    return not Path(model).expanduser().exists() and re.fullmatch(r"[\w.-]+/[\w.-]+", model) is not None


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


def reachable(timeout: float = 3.0) -> bool:
    """One TCP connection to the Hub endpoint (or to the proxy that reaches it), no retries: the quick
    answer to "is there network?" instead of a minute of download retries."""
    import urllib.request

    url = urlparse(endpoint())
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(url.hostname or ""):
        url = urlparse(proxy if "://" in proxy else f"http://{proxy}")
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


def local_commit(spec: ModelSpec, cache_dir: str | Path | None = None) -> str | None:
    """The commit ``spec``'s revision pointed to when it was last fetched, from the Hub cache's refs."""
    revision = spec.revision or "main"
    if COMMIT_SHA.fullmatch(revision):
        return revision
    ref = hub_cache(cache_dir) / f"models--{spec.model.replace('/', '--')}" / "refs" / revision
    try:
        return ref.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _folder(repo: str, commit: str, cache_dir: str | Path | None) -> Path:
    return models_root(cache_dir) / f"{repo.replace('/', '--')}@{commit}"


def ready(spec: ModelSpec, cache_dir: str | Path | None = None) -> Checkpoint | None:
    """The converted checkpoint of ``spec`` if the cache holds it (no network)."""
    commit = local_commit(spec, cache_dir)
    if commit is None:
        return None
    folder = _folder(spec.model, commit, cache_dir)
    try:
        meta = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Checkpoint(spec.model, commit, folder, meta.get("weights", ""), meta.get("fetched", 0))


def checkpoint(spec: ModelSpec, cache_dir: str | Path | None = None, *, announce=None) -> Checkpoint:
    """``spec``'s converted checkpoint: from the cache when offline, the Hub is unreachable or the
    revision is a commit already converted; else fetched (and converted) first."""
    found = ready(spec, cache_dir)
    if found and (offline() or COMMIT_SHA.fullmatch(spec.revision or "")):
        return found
    if offline() or not reachable():
        found = found or _from_snapshot(spec, cache_dir)
        if found:
            return found
        why = "HF_HUB_OFFLINE is set" if offline() else f"the Hub ({endpoint()}) cannot be reached"
        raise LoadError(
            f"model '{spec.model}' is not in the cache and {why}: run 'workbench models pull' on a machine "
            "with network, or map the pair to a local directory with --model-map"
        )
    try:
        return fetch(spec, cache_dir, announce=announce)
    except LoadError as exc:
        if found is None:
            raise
        log.warning("%s; using the cached commit %s", exc, found.commit)  # the Hub down, say
        return found


def _from_snapshot(spec: ModelSpec, cache_dir: str | Path | None) -> Checkpoint | None:
    """Convert without network what an earlier download left in the Hub cache (``hf download``,
    or a pull interrupted after the download)."""
    commit = local_commit(spec, cache_dir)
    if commit is None:
        return None
    snapshot = hub_cache(cache_dir) / f"models--{spec.model.replace('/', '--')}" / "snapshots" / commit
    weights = next((w for w in WEIGHTS if (snapshot / w).exists()), None)
    if weights is None or not (snapshot / "config.json").exists():
        return None
    return convert(spec.model, commit, snapshot, weights, cache_dir, revision=spec.revision or "main")


def fetch(spec: ModelSpec, cache_dir: str | Path | None = None, *, announce=None) -> Checkpoint:
    """Download what loading ``spec`` needs from its revision, verify it against the Hub's checksums,
    and convert it; ``announce(message)`` hears what is fetched before the download starts."""
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi()
    revision = spec.revision or "main"
    try:
        info = api.model_info(spec.model, revision=revision, files_metadata=True)
        files = {s.rfilename: s.size or 0 for s in info.siblings or []}
        weights = next((w for w in WEIGHTS if w in files), None)
        if weights is None:
            raise LoadError(
                f"{spec.model}@{revision}: no model.safetensors or pytorch_model.bin (the formats the "
                "workbench reads); pin another revision in the model map"
            )
        wanted = [weights, *(f for f in FILES if f in files)]
        size = sum(files[f] for f in wanted)
        found = ready(ModelSpec(spec.model, spec.kind, revision=info.sha), cache_dir)
        if found:
            return found
        if announce:
            announce(
                f"{spec.model}@{info.sha}: fetching {weights} and {len(wanted) - 1} files, {size_text(size)}"
            )
        snapshot = Path(snapshot_download(spec.model, revision=revision, cache_dir=cache_dir,
                                          allow_patterns=wanted))  # fmt: skip
        commit = snapshot.name
        check = api.verify_repo_checksums(spec.model, revision=commit, cache_dir=hub_cache(cache_dir))
    except LoadError:
        raise
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise LoadError(f"{spec.model}: download failed ({_first_line(exc)})") from None
    if check.mismatches:
        bad = check.mismatches[0]
        raise LoadError(f"{spec.model}@{commit}: {bad['path']} does not match the Hub's checksum; pull again")
    missing = [f for f in wanted if not (snapshot / f).exists()]
    if missing:
        raise LoadError(f"{spec.model}@{commit}: {missing[0]} was not downloaded; pull again")
    return convert(spec.model, commit, snapshot, weights, cache_dir, revision=revision, fetched=size)


def convert(
    repo: str,
    commit: str,
    snapshot: Path,
    weights: str,
    cache_dir: str | Path | None = None,
    *,
    revision: str = "main",
    fetched: int = 0,
) -> Checkpoint:
    """Write the workbench folder of ``repo@commit`` from a downloaded snapshot (once; atomically)."""
    target = _folder(repo, commit, cache_dir)
    if (target / MARKER).exists():
        return Checkpoint(repo, commit, target, weights, fetched)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".converting-"))
    try:
        if weights == "model.safetensors":
            shutil.copyfile(snapshot / weights, work / weights)
        else:
            _bin_to_safetensors(f"{repo}@{commit}", snapshot / weights, snapshot / "config.json", work)
        for name in FILES:  # the Hub's own files, over anything save_pretrained wrote
            if (snapshot / name).exists():
                shutil.copyfile(snapshot / name, work / name)
            elif name == "generation_config.json":
                (work / name).unlink(missing_ok=True)
        meta = {"repo": repo, "revision": revision, "commit": commit, "weights": weights, "fetched": fetched}
        (work / MARKER).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        try:
            os.replace(work, target)
        except OSError:
            if not (target / MARKER).exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("%s@%s: %s converted to safetensors in %s", repo, commit, weights, target)
    return Checkpoint(repo, commit, target, weights, fetched)


def _bin_to_safetensors(name: str, path: Path, config_path: Path, out: Path) -> None:
    """Read a pickled state dict as tensors only and save it as safetensors through transformers
    (which drops tied copies and restores them on load)."""
    import torch
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise LoadError(
            f"{name}: {path.name} refused: its pickle holds code to run, not only tensors; nothing was read"
        ) from None
    except Exception as exc:  # a truncated or foreign file
        raise LoadError(f"{name}: {path.name} cannot be read ({_first_line(exc)})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise LoadError(f"{name}: {path.name} is not a state dict of tensors")
    config = AutoConfig.from_pretrained(config_path.parent, local_files_only=True, trust_remote_code=False)
    model_class = MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING[type(config)]
    model, info = model_class.from_pretrained(None, config=config, state_dict=state, output_loading_info=True)
    if info.get("missing_keys"):
        raise LoadError(
            f"{name}: {path.name} lacks weights the model needs ({sorted(info['missing_keys'])[0]})"
        )
    model.save_pretrained(out)


def size_text(n: int) -> str:
    """Bytes for people: ``301.2 MB``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def pin(model_map, steps, cache_dir: str | Path | None = None, *, announce=None) -> list[Checkpoint]:
    """Fix for a job the commit of every Hub model its ``steps`` use (fetching and converting what
    the cache lacks, when online), so that every step and worker loads that commit and each
    translation records it. The job log gets one line per model."""
    pinned: list[Checkpoint] = []
    for spec in dict.fromkeys(step.spec for step in steps):
        if not is_hub_id(spec.model) or COMMIT_SHA.fullmatch(spec.revision or ""):
            continue
        found = checkpoint(spec, cache_dir, announce=announce)
        model_map.pin(spec, found.commit)
        log.info("model %s: commit %s (%s on the Hub), from %s", spec.model, found.commit, found.weights,
                 found.folder)  # fmt: skip
        pinned.append(found)
    return pinned
