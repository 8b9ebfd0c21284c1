"""Which model translates which pair: the default map and the user's TOML model map.

Default: the OPUS-MT (Marian) model of the pair where one is published, else a pivot through English
(two OPUS-MT models). ``--engine m2m100|nllb`` uses one multilingual model for every pair instead.
A model map file overrides any of it (the format is a stable contract, see the README)::

    [pairs.en-fr]
    model = "Helsinki-NLP/opus-mt-en-fr"    # a Hub id or a local directory
    [pairs.en-ar]
    model = "/models/opus-mt-en-ar"
    target_token = ">>ara<<"                # only for multi-target models
    revision = "…"                          # optional: a Hub branch, tag or commit (default main)
    [multilingual]                          # used for every pair without its own entry
    kind = "m2m100"                         # or "nllb"
    model = "facebook/m2m100_418M"

A top-level ``defaults = false`` restricts the map to the file's own entries (no built-in OPUS-MT
pairs), so pairs without an entry pivot through English or fail with a clear message.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import langs
from ..errors import WorkbenchError

KINDS = ("marian", "m2m100", "nllb")

# OPUS-MT models that exist for pairs of the six languages (Helsinki-NLP/opus-mt-SRC-TGT), with the
# target token their model cards require for multi-target models. Pairs absent here pivot through
# English, which is also what the OPUS-MT authors recommend where no direct model exists.
OPUS_MT: dict[tuple[str, str], str | None] = {
    ("en", "fr"): None,
    ("en", "es"): None,
    ("en", "ru"): None,
    ("en", "zh"): ">>cmn_Hans<<",
    ("en", "ar"): ">>ara<<",
    ("fr", "en"): None,
    ("es", "en"): None,
    ("ru", "en"): None,
    ("zh", "en"): None,
    ("ar", "en"): None,
    ("fr", "es"): None,
    ("es", "fr"): None,
    ("fr", "ru"): None,
    ("ru", "fr"): None,
    ("es", "ru"): None,
    ("ru", "es"): None,
}

MULTILINGUAL_DEFAULTS = {"m2m100": "facebook/m2m100_418M", "nllb": "facebook/nllb-200-distilled-600M"}
PIVOT = "en"


class ModelMapError(WorkbenchError):
    """A model map file that cannot be used; the message names the file and the problem."""


class LoadError(WorkbenchError):
    """A model that cannot be loaded; the message says what to do."""


@dataclass(frozen=True)
class ModelSpec:
    """One model: where it lives, what kind it is, and the target token a multi-target one needs."""

    model: str  # Hub id or local directory
    kind: str = "marian"
    target_token: str | None = None
    revision: str | None = None  # a Hub id's branch, tag or commit (None: main)
    where: str = field(default="", compare=False)  # the map file and section, for error messages

    @property
    def label(self) -> str:
        """How translations record the model: the Hub id and commit once pinned, else the id or folder."""
        return f"{self.model}@{self.revision}" if self.revision else self.model

    @property
    def multilingual(self) -> bool:
        return self.kind in ("m2m100", "nllb")


@dataclass(frozen=True)
class Step:
    """Translate from ``src`` to ``tgt`` with ``spec``; a route is one step or two (pivot)."""

    src: str
    tgt: str
    spec: ModelSpec


@dataclass
class ModelMap:
    """The effective map: explicit pairs, an optional multilingual fallback, then the defaults."""

    pairs: dict[tuple[str, str], ModelSpec]
    multilingual: ModelSpec | None = None
    use_defaults: bool = True
    source: str = "built-in defaults"
    # (Hub id, revision asked for) → commit: fixed for a job by :meth:`pin`, so that every step and
    # worker loads the same commit and each translation records it.
    commits: dict[tuple[str, str | None], str] = field(default_factory=dict)

    def route(self, src: str, tgt: str) -> list[Step]:
        """The steps that take ``src`` to ``tgt``: a direct model, the multilingual one, or a pivot."""
        src, tgt = langs.normalize(src), langs.normalize(tgt)
        if src == tgt:
            raise ValueError(f"source and target are both {src}")
        direct = self.direct(src, tgt)
        if direct:
            return [Step(src, tgt, direct)]
        if PIVOT not in (src, tgt):
            first, second = self.direct(src, PIVOT), self.direct(PIVOT, tgt)
            if first and second:
                return [Step(src, PIVOT, first), Step(PIVOT, tgt, second)]
        if PIVOT in (src, tgt):  # a pivot through English cannot help a pair with English in it
            hint = f"; add [pairs.{src}-{tgt}]"
        else:
            hint = (
                f" and no pivot through English; add [pairs.{src}-{tgt}] "
                f"(or [pairs.{src}-{PIVOT}] and [pairs.{PIVOT}-{tgt}])"
            )
        raise ModelMapError(f"{self.source}: no model for {src}→{tgt}{hint} or a [multilingual] model")

    def direct(self, src: str, tgt: str) -> ModelSpec | None:
        spec = self._direct(src, tgt)
        commit = spec and self.commits.get((spec.model, spec.revision))
        return replace(spec, revision=commit) if spec and commit else spec

    def _direct(self, src: str, tgt: str) -> ModelSpec | None:
        if (src, tgt) in self.pairs:
            return self.pairs[(src, tgt)]
        if self.multilingual:
            return self.multilingual
        if self.use_defaults and (src, tgt) in OPUS_MT:
            return ModelSpec(f"Helsinki-NLP/opus-mt-{src}-{tgt}", "marian", OPUS_MT[(src, tgt)])
        return None

    def pin(self, spec: ModelSpec, commit: str) -> None:
        """Route ``spec`` (as the map names it) to ``commit`` from now on."""
        self.commits[(spec.model, spec.revision)] = commit


def default_map(engine: str | None = None) -> ModelMap:
    """The built-in map, or one multilingual model for every pair (``engine`` m2m100/nllb)."""
    if engine in (None, "marian", "opus-mt"):
        return ModelMap({})
    if engine not in MULTILINGUAL_DEFAULTS:
        raise ModelMapError(f"unknown engine '{engine}' (choose marian, m2m100 or nllb)")
    return ModelMap({}, ModelSpec(MULTILINGUAL_DEFAULTS[engine], engine), source=f"--engine {engine}")


_PAIR_KEYS = {"model", "target_token", "kind", "revision"}
_MULTI_KEYS = {"model", "kind", "revision"}


def load_map(path: str | Path, engine: str | None = None) -> ModelMap:
    """Read a TOML model map; every mistake is a :class:`ModelMapError` naming file and key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelMapError(f"{path}: model map not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelMapError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ModelMapError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ModelMapError(f"{path}: nested too deeply to be a model map") from None
    unknown = set(data) - {"pairs", "multilingual", "defaults"}
    if unknown:
        raise ModelMapError(
            f"{path}: unknown key or section '{sorted(unknown)[0]}' "
            "(expected [pairs.SRC-TGT], [multilingual] or defaults = true|false)"
        )
    use_defaults = data.get("defaults", True)
    if not isinstance(use_defaults, bool):
        raise ModelMapError(f"{path}: defaults must be true or false")
    base = path.parent
    pairs: dict[tuple[str, str], ModelSpec] = {}
    raw_pairs = data.get("pairs", {})
    if not isinstance(raw_pairs, dict):
        raise ModelMapError(f"{path}: 'pairs' must be a table of [pairs.SRC-TGT] sections")
    for name, entry in raw_pairs.items():
        where = f"{path}: [pairs.{name}]"
        src, sep, tgt = name.partition("-")
        try:
            key = (langs.normalize(src), langs.normalize(tgt))
        except langs.UnknownLanguageError as exc:
            raise ModelMapError(f"{where}: {exc}") from None
        if not sep or key[0] == key[1]:
            raise ModelMapError(f"{where}: a pair is written SRC-TGT, e.g. en-fr")
        pairs[key] = _spec(entry, where, _PAIR_KEYS, base, default_kind="marian")
    multilingual = None
    if "multilingual" in data:
        multilingual = _spec(data["multilingual"], f"{path}: [multilingual]", _MULTI_KEYS, base, None)
    elif engine not in (None, "marian", "opus-mt"):
        multilingual = default_map(engine).multilingual
    return ModelMap(pairs, multilingual, use_defaults=use_defaults, source=str(path))


def _spec(entry: object, where: str, allowed: set[str], base: Path, default_kind: str | None) -> ModelSpec:
    if not isinstance(entry, dict):
        raise ModelMapError(f'{where}: must be a table with model = "…"')
    unknown = set(entry) - allowed
    if unknown:
        raise ModelMapError(
            f"{where}: unknown key '{sorted(unknown)[0]}' (allowed: {', '.join(sorted(allowed))})"
        )
    model = entry.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ModelMapError(f'{where}: needs model = "Hub id or local directory"')
    kind = entry.get("kind", default_kind)
    if kind not in KINDS:
        raise ModelMapError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    token = entry.get("target_token")
    if token is not None and not (isinstance(token, str) and token.startswith(">>") and token.endswith("<<")):
        raise ModelMapError(f'{where}: target_token looks like ">>ara<<", not {token!r}')
    revision = entry.get("revision")
    if revision is not None and not (isinstance(revision, str) and revision.strip()):
        raise ModelMapError(f'{where}: revision is a branch, tag or commit, e.g. revision = "main"')
    # A relative local path is read relative to the map file, so maps can travel with their models.
    local = Path(model).expanduser()
    if not local.is_absolute() and (model.startswith(".") or (base / local).exists()):
        model = str((base / local).resolve())
    elif not local.is_absolute() and not _hub_id(model, base):
        raise ModelMapError(f"{where}: model folder {base / local} does not exist (model = {model!r})")
    return ModelSpec(model, kind, token, revision, where)


def _hub_id(model: str, base: Path) -> bool:
    """``org/name`` whose ``org`` is no folder beside the map: ``models/nowhere`` next to a ``models``
    folder is a missing folder, not a repo on the Hub."""
    org = model.split("/", 1)[0]
    return re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", model) is not None and not (base / org).is_dir()


def cached(spec: ModelSpec, cache_dir: str | None = None) -> bool:
    """Whether the model can be loaded without network: a local directory, or a Hub model whose
    weights and tokenizer were fetched and converted (see :mod:`workbench.mt.hub`)."""
    if Path(spec.model).expanduser().exists():
        return True
    from .hub import ready

    return ready(spec, cache_dir) is not None
