"""A real CAT tool loads the workbench's TMX: OmegaT fills every segment of the speech from it.

Runs the tiny-model pipeline (the seed speech en → fr, zh, ar, ru), exports one TMX per pair with
``workbench export --pairs``, and hands each to ``../shared/tools/verify_tmx_with_omegat.sh`` with
the speech as OmegaT's source file, one segment per line (``workbench segment``): OmegaT must load the
file (no TF_TM_LOAD_ERROR) and leave no segment untranslated. Needs Debian's ``omegat``.

    python .ci/omegat_check.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import EXAMPLE, SHARED, training_sentences  # noqa: E402

from workbench.cli import main as workbench  # noqa: E402
from workbench.mt.synthetic import build_marian  # noqa: E402

TOKENIZERS = {
    "fr": ("fr", "LuceneFrenchTokenizer"),
    "zh": ("zh-CN", "LuceneSmartChineseTokenizer"),
    "ar": ("ar", "LuceneArabicTokenizer"),
    "ru": ("ru", "LuceneRussianTokenizer"),
}


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="omegat-check-"))
    model = build_marian(work / "en-x", training_sentences(), target_tokens=[">>ara<<", ">>cmn_Hans<<"])
    tokens = {"zh": ">>cmn_Hans<<", "ar": ">>ara<<"}
    model_map = work / "models.toml"
    model_map.write_text(
        "defaults = false\n"
        + "".join(
            f'[pairs.en-{t}]\nmodel = "{model}"\n'
            + (f'target_token = "{tokens[t]}"\n' if t in tokens else "")
            for t in TOKENIZERS
        ),
        encoding="utf-8",
    )
    store = work / "wb.db"
    args = [
        "--model-map",
        str(model_map),
        "--store",
        str(store),
        "--beam",
        "2",
        "--max-length",
        "16",
        "--quiet",
    ]
    if workbench(["translate", str(EXAMPLE), "--to", ",".join(TOKENIZERS), *args]) != 0:
        return 1
    out = work / "tmx" / "seed.tmx"
    if (
        workbench(["export", "1", "--tmx", str(out), "--pairs", "--status", "all", "--store", str(store)])
        != 0
    ):
        return 1
    source = work / "seed.txt"  # OmegaT's source: the workbench's segments, one per line
    segments = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "segment", str(EXAMPLE)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout  # fmt: skip
    source.write_text(segments, encoding="utf-8")
    failed = 0
    for lang, (code, tokenizer) in TOKENIZERS.items():
        tmx = out.with_name(f"seed.en-{lang}.tmx")
        result = subprocess.run(
            ["bash", str(SHARED / "tools" / "verify_tmx_with_omegat.sh"), str(tmx), "en", code, str(source),
             "0", tokenizer],
            capture_output=True, text=True,
        )  # fmt: skip
        print(f"en→{code}: " + " / ".join(result.stdout.strip().splitlines()[-2:]))
        if result.returncode != 0:
            print(result.stdout, result.stderr, file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
