"""`workbench evaluate` agrees with sacrebleu's own command line, and scores terminology."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.evaluate import evaluate

CASES = {
    "fr": (
        [
            "Le Bureau de lutte contre le terrorisme remercie les États Membres.",
            "La DECT et l'ONUDC coopèrent.",
        ],
        ["Le BLT remercie les États Membres.", "La DECT et ONUDC coopèrent bien."],
    ),
    "zh": (
        ["联合国反恐怖主义办公室感谢会员国。", "反恐执行局和毒品和犯罪问题办公室合作。"],
        ["反恐办感谢会员国。", "反恐执行局与毒品和犯罪问题办公室开展合作。"],
    ),
}


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ours(capsys, *argv: str) -> dict[str, str]:
    assert main(["evaluate", *argv]) == 0
    return {line.split("\t")[0]: line.split("\t")[1] for line in capsys.readouterr().out.splitlines()}


@pytest.mark.parametrize("lang", sorted(CASES))
def test_scores_match_the_sacrebleu_command_line(tmp_path, capsys, lang):
    refs, hyps = CASES[lang]
    ref, hyp = write(tmp_path / "ref", refs), write(tmp_path / "hyp", hyps)
    theirs = subprocess.run(
        [str(Path(sys.executable).with_name("sacrebleu")), str(ref), "-i", str(hyp),
         "-m", "bleu", "chrf", "ter", "-b", "-w", "2", "-l", f"en-{lang}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    bleu, chrf, ter = json.loads(theirs.stdout)
    got = ours(capsys, "--ref", str(ref), "--hyp", str(hyp), "--lang", lang, "--no-default-glossaries")
    assert (float(got["BLEU"]), float(got["chrF2"]), float(got["TER"])) == (bleu, chrf, ter)


def test_term_accuracy_from_the_reference_and_from_the_source(terms):
    refs, hyps = CASES["fr"]
    scores = evaluate(refs, hyps, "fr", terms)
    # reference terms: unoct (full name), member_states, cted, unodc; the hypothesis writes BLT for the
    # first, which is an accepted form of the concept but not the reference's words
    assert (scores.terms, scores.exact, scores.lenient) == (4, 3, 4)
    sources = ["UNOCT thanks the Member States.", "CTED and UNODC cooperate."]
    from_source = evaluate(refs, hyps, "fr", terms, sources, "en")
    assert (from_source.terms, from_source.exact, from_source.lenient) == (4, 4, 4)


def test_line_count_mismatch_is_a_clear_error(tmp_path, capsys):
    ref = write(tmp_path / "ref", ["a", "b"])
    hyp = write(tmp_path / "hyp", ["a"])
    assert main(["evaluate", "--ref", str(ref), "--hyp", str(hyp), "--lang", "fr"]) == 2
    err = capsys.readouterr().err
    assert err == f"workbench: error: {hyp}: 1 lines, but the reference {ref} has 2\n"
