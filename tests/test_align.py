"""Sentence alignment: the scorer, constructed edits, stored multilingual units, bad input."""

from __future__ import annotations

import pytest
from conftest import EXAMPLE

from workbench import ingest
from workbench.align import Bead, align, parse_vecalign
from workbench.cli import main
from workbench.evaluate import alignment_scores
from workbench.model import Origin, Status
from workbench.store import Store

# -- the scorer (../shared/align/README.md semantics) -------------------------------------------


def test_scorer_strict_and_lax_on_hand_made_cases():
    gold = [((0,), (0,)), ((1, 2), (1,)), ((3,), ()), ((4,), (2, 3))]
    assert alignment_scores([gold], [gold]).f1_strict == 1.0
    system = [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), ()), ((4,), (2,)), ((), (3,))]
    s = alignment_scores([gold], [system])
    # precision over all 6 system beads: strict tp = [0]:[0] and [3]:[]; lax adds [1]:[1] and [4]:[2]
    assert (s.precision_strict, s.precision_lax) == (2 / 6, 4 / 6)
    # recall over the 3 non-null gold beads, scored against the system's non-null beads
    assert (s.recall_strict, s.recall_lax) == (1 / 3, 1.0)
    assert s.f1_strict == pytest.approx(2 * (1 / 3) * (1 / 3) / (2 / 3))


def test_scorer_ignores_empty_and_duplicate_beads_and_sorts_sides():
    gold = [((1, 0), (0,)), ((), ()), ((2,), (1,))]
    system = [((0, 1), (0,)), ((0, 1), (0,)), ((2,), (1,))]
    assert alignment_scores([gold], [system]).f1_strict == 1.0


def test_scorer_micro_averages_documents_and_zero_is_zero():
    assert (
        alignment_scores([[((0,), (0,))], [((0,), (0,))]], [[((0,), (0,))], [((0,), (1,))]]).precision_strict
        == 0.5
    )
    assert alignment_scores([[((0,), ())]], [[((0,), ())]]).f1_strict == 0.0  # only nulls: 0/0 recall


def test_parse_vecalign_accepts_spacing_and_a_score_field():
    assert parse_vecalign("[0]:[0, 1]\n[6,7]:[9]:0.156\n[]:[22]\n") == [
        ((0,), (0, 1)),
        ((6, 7), (9,)),
        ((), (22,)),
    ]


# -- constructed edits ----------------------------------------------------------------------


def seed_sentences() -> list[str]:
    return [s.text for s in ingest.load(EXAMPLE, "en").segments]


def edited_copy(source: list[str]) -> tuple[list[str], list[tuple[tuple[int, ...], tuple[int, ...]]]]:
    """The seed with sentences merged, split, dropped and two neighbours swapped, and the beads
    that construction implies."""
    target, beads = [], []
    i = 0
    while i < len(source):
        j = len(target)
        if i == 5:  # merged
            target.append(source[5] + " " + source[6])
            beads.append(((5, 6), (j,)))
            i += 2
        elif i == 10:  # split at its first comma
            head, tail = source[10].split(", ", 1)
            target += [head + ",", tail]
            beads.append(((10,), (j, j + 1)))
            i += 1
        elif i == 15:  # dropped
            beads.append(((15,), ()))
            i += 1
        elif i == 20:  # swapped with the next: one 2-2 bead for a monotone aligner
            target += [source[21], source[20]]
            beads.append(((20, 21), (j, j + 1)))
            i += 2
        else:
            target.append(source[i])
            beads.append(((i,), (j,)))
            i += 1
    return target, beads


def test_seed_against_an_edited_copy_is_aligned_as_constructed():
    source = seed_sentences()
    target, expected = edited_copy(source)
    beads = align(source, target, "en", "en")
    assert [(b.src, b.tgt) for b in beads] == expected
    assert all(b.confidence > 0.8 for b in beads if b.src and b.tgt and len(b.src) == len(b.tgt) == 1)


def test_beads_cli_prints_vecalign_and_nothing_else(tmp_path, capsys):
    source = seed_sentences()
    target, expected = edited_copy(source)
    src = tmp_path / "src.txt"
    tgt = tmp_path / "tgt.txt"
    # a blank line after the third sentence on both sides: a paragraph break, not a sentence
    src.write_text("\n".join(source[:3]) + "\n\n" + "\n".join(source[3:]) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(target[:3]) + "\n\n\n" + "\n".join(target[3:]) + "\n", encoding="utf-8")
    argv = ["align", str(src), str(tgt), "--presegmented", "--source-lang", "en", "--lang", "en", "--beads"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert parse_vecalign(out) == expected
    assert all(line.startswith("[") for line in out.splitlines())


def test_languages_outside_the_six_with_an_external_mt(tmp_path, capsys):
    de = ["Der Berg ist 4158 m hoch.", "Wir stiegen am Morgen auf.", "Das Wetter war gut."]
    fr = ["La montagne mesure 4158 m.", "Nous sommes montés le matin, à six heures.", "Il faisait beau."]
    mt = ["La montagne est haute de 4158 m.", "Nous sommes montés le matin.", "Le temps était beau."]
    for name, rows in (("de", de), ("fr", fr), ("mt", mt)):
        (tmp_path / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    argv = ["align", str(tmp_path / "de"), str(tmp_path / "fr"), "--presegmented", "--source-lang", "de",
            "--lang", "fr", "--source-mt", str(tmp_path / "mt"), "--beads"]  # fmt: skip
    assert main(argv) == 0
    assert parse_vecalign(capsys.readouterr().out) == [((0,), (0,)), ((1,), (1,)), ((2,), (2,))]


# -- into the store, six languages at once ----------------------------------------------------

EN = "\n\n".join(
    [
        "The Secretary-General opened the Counter-Terrorism Week on 26 June 2023.",
        (
            "More than 1,000 participants from 150 Member States took part. Civil society was also "
            "represented."
        ),
        (
            "The United Nations Office of Counter-Terrorism (UNOCT) organized 12 side events. They "
            "covered the financing of terrorism and the rights of victims."
        ),
        "INTERPOL and UNODC presented a joint programme. It will run until 2026.",
        "Thank you.",
    ]
)
FR = "\n\n".join(
    [
        ("Le Secrétaire général a ouvert la Semaine de la lutte contre le terrorisme le 26 juin 2023."),
        (
            "Plus de 1 000 participants venus de 150 États Membres y ont pris part, et la société "
            "civile était aussi représentée."
        ),
        (
            "Le Bureau de lutte contre le terrorisme (BLT) a organisé 12 manifestations parallèles. "
            "Elles portaient sur le financement du terrorisme et les droits des victimes."
        ),
        ("INTERPOL et l'ONUDC ont présenté un programme conjoint. Celui-ci se poursuivra jusqu'en 2026."),
        "Je vous remercie.",
    ]
)
RU = "\n\n".join(
    [
        "Генеральный секретарь открыл Неделю борьбы с терроризмом 26 июня 2023 года.",
        (
            "В ней приняли участие более 1000 участников из 150 государств-членов. Было представлено "
            "и гражданское общество."
        ),
        (
            "Контртеррористическое управление Организации Объединенных Наций (КТУ ООН) организовало "
            "12 параллельных мероприятий. Они были посвящены финансированию терроризма. Обсуждались "
            "также права жертв."
        ),
        "Интерпол и УНП ООН представили совместную программу. Она продлится до 2026 года.",
        "Благодарю вас.",
    ]
)


def test_translations_are_stored_as_aligned_units_and_disagreements_flagged(tmp_path, capsys):
    files = {}
    for lang, text in (("en", EN), ("fr", FR), ("ru", RU)):
        files[lang] = tmp_path / f"speech.{lang}.txt"
        files[lang].write_text(text, encoding="utf-8")
    db = tmp_path / "wb.db"
    argv = ["align", str(files["en"]), str(files["fr"]), str(files["ru"]), "--lang", "fr", "--lang", "ru"]
    assert main([*argv, "--no-mt", "--store", str(db)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["lang", "mt", "beads", "stored"]
    with Store(db) as store:
        segments = store.document(1).segments
        fr = {t.segment_id: t for t in store.translations(1, "fr")}
        ru = {t.segment_id: t for t in store.translations(1, "ru")}
        assert all(
            t.origin == Origin.ALIGNED and t.confidence is not None for t in [*fr.values(), *ru.values()]
        )
        assert fr[segments[0].id].text.startswith("Le Secrétaire général a ouvert")
        # French merged segments 1 and 2; Russian kept them apart: flagged on both sides
        merged = fr[segments[2].id]
        assert merged.text == "" and merged.status == Status.DRAFT
        assert any("merged" in f.message for f in store.flags(merged.id))
        assert any("disagree" in f.message for f in store.flags(fr[segments[1].id].id))
        # Russian split segment 4 in two sentences: one translation holding both
        assert ru[segments[4].id].text.endswith("Обсуждались также права жертв.")
        assert ru[segments[5].id].text.startswith("Интерпол")
        assert ru[segments[7].id].text == "Благодарю вас."
        # a reviewer's approved text is never replaced by a new alignment
        store.put_translation(segments[0].id, "fr", "Texte révisé.", origin=Origin.HUMAN,
                              status=Status.APPROVED, who="r")  # fmt: skip
    assert main(["align", "1", str(files["fr"]), "--lang", "fr", "--no-mt", "--store", str(db)]) == 0
    with Store(db) as store:
        assert store.translation(store.document(1).segments[0].id, "fr").text == "Texte révisé."


def test_a_translation_in_another_language_than_declared_is_refused(tmp_path, capsys):
    (tmp_path / "en.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "fr.txt").write_text(RU, encoding="utf-8")
    argv = ["align", str(tmp_path / "en.txt"), str(tmp_path / "fr.txt"), "--lang", "fr", "--no-mt"]
    assert main([*argv, "--store", str(tmp_path / "wb.db")]) == 2
    assert "reads as Russian, not French" in capsys.readouterr().err


def test_a_translation_in_the_source_language_is_refused_before_it_is_stored(tmp_path, capsys):
    (tmp_path / "en.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "en2.txt").write_text(EN.replace("Thank you", "Many thanks"), encoding="utf-8")
    db = tmp_path / "wb.db"
    assert (
        main(["align", str(tmp_path / "en.txt"), str(tmp_path / "en2.txt"), "--no-mt", "--store", str(db)])
        == 2
    )
    assert "en2.txt: it is in English, the language of the source" in capsys.readouterr().err
    with Store(db) as store:
        assert [d["name"] for d in store.documents()] == ["en.txt"]


def test_an_empty_translation_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "en.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "fr.txt").write_text("   \n", encoding="utf-8")
    argv = ["align", str(tmp_path / "en.txt"), str(tmp_path / "fr.txt"), "--lang", "fr"]
    assert main([*argv, "--store", str(tmp_path / "wb.db")]) == 2
    assert "fr.txt" in capsys.readouterr().err


def test_a_translation_ten_times_longer_gets_low_confidence_not_a_crash():
    source = seed_sentences()[:8]
    target = [" ".join([s] * 10) for s in source]
    beads = align(source, target, "en", "en")
    assert sum(len(b.src) for b in beads) == 8
    assert all(b.confidence < 0.5 for b in beads if b.src and b.tgt)


def test_empty_sides_give_null_beads():
    assert align(["One.", "Two."], [], "en", "fr") == [Bead((0,), ()), Bead((1,), ())]
    assert align([], ["Un."], "en", "fr") == [Bead((), (0,))]


def test_alignment_refreshes_the_consistency_check(tmp_path):
    en = "\n\n".join([
        "The Secretary-General opened the Counter-Terrorism Week on 26 June 2023.",
        "Thank you.",
        "More than 1,000 participants from 150 Member States took part, and civil society was also"
        " represented.",
        "Thank you.",
    ])  # fmt: skip
    fr = "\n\n".join([
        "Le Secrétaire général a ouvert la Semaine de la lutte contre le terrorisme le 26 juin 2023.",
        "Je vous remercie.",
        "Plus de 1 000 participants venus de 150 États Membres y ont pris part, et la société civile était"
        " aussi représentée.",
        "Merci.",
    ])  # fmt: skip
    (tmp_path / "a.en.txt").write_text(en, encoding="utf-8")
    (tmp_path / "a.fr.txt").write_text(fr, encoding="utf-8")
    argv = ["align", str(tmp_path / "a.en.txt"), str(tmp_path / "a.fr.txt"), "--lang", "fr", "--no-mt"]
    assert main([*argv, "--store", str(tmp_path / "wb.db")]) == 0
    with Store(tmp_path / "wb.db") as store:
        segments = store.document(1).segments
        texts = [store.translation(s.id, "fr").text for s in segments]
        assert texts[1] == "Je vous remercie." and texts[3] == "Merci."
        flags = store.document_flags(1, "fr")
        inconsistent = [
            i for i, s in enumerate(segments) if any(f.code == "inconsistent" for f in flags[s.id])
        ]
        assert inconsistent == [1, 3]
