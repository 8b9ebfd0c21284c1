"""Segmentation: the public gold sets and the UN set with floors, the UN traps, --explain, losslessness."""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import EXAMPLE, shared

from workbench import cli, ingest
from workbench.segment import DEFAULT_EXCEPTIONS_DIR, PROJECT_SRX, RulesError, Segmenter

# Exact-match rate reached per gold file and language (whitespace inside a sentence normalised).
# Raise a floor when the rules improve; a drop below one is a regression.
FLOORS = {
    ("golden_rules", "ar"): 1.00,
    ("golden_rules", "zh"): 1.00,
    ("golden_rules", "en"): 0.60,
    ("golden_rules", "fr"): 1.00,
    ("golden_rules", "ru"): 0.94,
    ("golden_rules", "es"): 0.74,
    ("sentencex_tests", "ar"): 1.00,
    ("sentencex_tests", "zh"): 1.00,
    ("sentencex_tests", "en"): 0.66,
    ("sentencex_tests", "fr"): 1.00,
    ("sentencex_tests", "ru"): 0.94,
    ("sentencex_tests", "es"): 1.00,
    ("languagetool_tests", "ar"): 1.00,
    ("languagetool_tests", "en"): 0.98,
    ("languagetool_tests", "fr"): 1.00,
    ("languagetool_tests", "ru"): 1.00,
    ("languagetool_tests", "es"): 0.98,
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def gold_rates() -> dict[tuple[str, str], tuple[int, int]]:
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    segmenters: dict[str, Segmenter] = {}
    for name in ("golden_rules", "sentencex_tests", "languagetool_tests"):
        for line in shared("seg", f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            if case["lang"] not in ("ar", "zh", "en", "fr", "ru", "es") or case.get("disputed"):
                continue
            seg = segmenters.setdefault(case["lang"], Segmenter(case["lang"]))
            got = [_norm(s) for s in seg.split(case["text"])]
            expected = [_norm(s) for s in case["sentences"] if s.strip()]
            entry = counts[(name, case["lang"])]
            entry[0] += got == expected
            entry[1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def test_gold_sets_meet_their_floors():
    rates = gold_rates()
    assert set(rates) == set(FLOORS), "a gold file or language appeared or vanished"
    below = {
        k: f"{ok}/{n} = {ok / n:.3f} < {FLOORS[k]}" for k, (ok, n) in rates.items() if ok / n < FLOORS[k]
    }
    assert not below, below


TRAPS = [
    ("en", "See para. 5 of the report. It is clear.", 2),
    ("en", "See paras. 3–4 of the report. It is clear.", 2),
    ("en", "Resolution No. 3 was adopted. It is clear.", 2),
    ("en", "We met at 10 a.m. and then we left. It is clear.", 2),
    ("en", "The meeting ended at 5 p.m. The delegates left.", 2),
    ("en", "H.E. Mr. Makei opened the conference. It is clear.", 2),
    ("en", "The U.N. Secretariat agreed. It is clear.", 2),
    ("en", "I would like to say this: the threat is real. It is clear.", 2),
    ("es", "Véase el párr. 12 del informe. Es claro.", 2),
    ("es", "El Sr. Guterres habló. Es claro.", 2),
    ("es", "El Excmo. Sr. Makei habló. Es claro.", 2),
    ("ru", "См. п. 12 доклада. Это ясно.", 2),
    ("ru", "Согласно ст. 51 Устава государства имеют право. Это ясно.", 2),
    ("fr", "M. Guterres a ouvert la séance. C’est clair.", 2),
    ("zh", "他说：“我们必须行动。”然后他离开了。", 2),
    ("zh", "我们明天一起去看《摔跤吧！爸爸》好吗？好！", 2),
    ("ar", "قال الأمين العام، في كلمته، إن الإرهاب خطر. ونحن نوافق.", 2),
    ("ar", "أولا: هذا؛ ثانيا: ذلك. شكرا.", 2),
]


@pytest.mark.parametrize("lang,text,n", TRAPS, ids=[t[1][:30] for t in TRAPS])
def test_un_traps(lang, text, n):
    sentences = Segmenter(lang).split(text)
    assert len(sentences) == n, sentences
    assert "".join(sentences).replace(" ", "") == text.replace(" ", "")


def test_chinese_closing_quote_stays_with_its_sentence():
    first, second = Segmenter("zh").split("他说：“我们必须行动。”然后他离开了。")
    assert first.endswith("。”") and second == "然后他离开了。"


def test_russian_year_abbreviation_context_decides():
    # After a year, a capital starts a new sentence ("в 2019 г. Совет"), except where the year
    # opens the sentence or dates a document ("резолюция … от 10 ноября 1975 г. Генеральная").
    ru = Segmenter("ru")
    assert ru.split("Это было в 1945 г. Сегодня мы здесь.") == ["Это было в 1945 г.", "Сегодня мы здесь."]
    assert len(ru.split("В 1945 г. Совет собрался в Лондоне.")) == 1
    assert len(ru.split("В резолюции 3380 (XXX) от 10 ноября 1975 г. Генеральная Ассамблея призвала.")) == 1
    assert len(ru.split("Это было в 1945 г. в Лондоне.")) == 1


def test_user_exceptions_file_changes_segmentation(tmp_path: Path):
    folder = tmp_path / "exceptions"
    shutil.copytree(DEFAULT_EXCEPTIONS_DIR, folder)
    es = folder / "es.txt"
    es.write_text(
        "\n".join(
            line for line in es.read_text(encoding="utf-8").splitlines() if not line.startswith("párr.")
        )
        + "\n",
        encoding="utf-8",
    )
    text = "Véase el párr. 12 del informe."
    assert len(Segmenter("es", folder).split(text)) == 2
    with es.open("a", encoding="utf-8") as fh:
        fh.write("párr.\t\\p{N}\n")
    assert Segmenter("es", folder).split(text) == [text]


def test_broken_exceptions_file_names_file_and_line(tmp_path: Path):
    folder = tmp_path / "exceptions"
    folder.mkdir()
    (folder / "en.txt").write_text("# comment\nNo.\t[0-9\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"en\.txt:2: bad regular expression"):
        Segmenter("en", folder)


def test_seed_speech_24_paragraphs_26_segments_lossless():
    document = ingest.load(EXAMPLE)
    assert document.lang == "en"
    assert len(document.paragraphs) == 24
    assert len(document.segments) == 26
    for paragraph in document.paragraphs:
        text = document.text[paragraph.start : paragraph.end]
        rebuilt, pos = "", paragraph.start
        for segment in paragraph.segments:
            assert paragraph.start <= segment.start < segment.end <= paragraph.end  # no crossing
            gap = document.text[pos : segment.start]
            assert gap.strip() == ""
            rebuilt += gap + segment.text
            pos = segment.end
        assert rebuilt == text
    assert document.segments[0].text.startswith("Remarks by Mr. Vladimir Voronkov, Under-")
    assert "**" not in document.text


def test_segments_point_back_into_the_raw_file():
    raw = ingest.read_text(EXAMPLE)
    document = ingest.load(EXAMPLE)
    for segment in document.segments:
        original = raw[segment.raw_start : segment.raw_end]
        assert _norm(original.replace("**", "")) == segment.text


# --- The UN set: real UN texts in the six languages, gold by UN convention (docs/segmentation.md).

UN_SET = Path(__file__).parent / "data" / "un_segmentation.jsonl"
UN_FLOOR = 0.97  # per language; measured 1.00 in every language (docs/segmentation.md)
UN_CASES = [json.loads(line) for line in UN_SET.read_text(encoding="utf-8").splitlines()]


def _exact(case: dict) -> bool:
    got = [_norm(s) for s in Segmenter(case["lang"]).split(case["text"])]
    return got == [_norm(s) for s in case["sentences"]]


def test_un_set_is_large_sourced_and_lossless():
    per_lang = defaultdict(int)
    for case in UN_CASES:
        per_lang[case["lang"]] += 1
        assert case["source"].startswith(("http://", "https://")), case["id"]
        assert case["family"], case["id"]
        # the gold sentences are the text itself, cut at whitespace only
        assert re.sub(r"\s", "", "".join(case["sentences"])) == re.sub(r"\s", "", case["text"]), case["id"]
    assert len(UN_CASES) >= 300
    assert set(per_lang) == {"ar", "zh", "en", "fr", "ru", "es"}
    assert min(per_lang.values()) >= 40, per_lang


@pytest.mark.parametrize("lang", ["ar", "zh", "en", "fr", "ru", "es"])
def test_un_set_meets_its_floor(lang):
    cases = [c for c in UN_CASES if c["lang"] == lang]
    misses = [c["id"] for c in cases if not _exact(c)]
    rate = 1 - len(misses) / len(cases)
    assert rate >= UN_FLOOR, f"{lang}: {rate:.3f} < {UN_FLOOR}, misses {misses}"


UN_FAMILIES = sorted({(c["lang"], c["family"]) for c in UN_CASES})


@pytest.mark.parametrize("lang,family", UN_FAMILIES, ids=[f"{lang}-{fam}" for lang, fam in UN_FAMILIES])
def test_un_family(lang, family):
    misses = [
        (c["id"], Segmenter(lang).split(c["text"]))
        for c in UN_CASES
        if (c["lang"], c["family"]) == (lang, family) and not _exact(c)
    ]
    assert not misses, misses


# The three families the held-out set found missing, one pair (split / kept) per language.
FAMILY_PAIRS = [
    # an abbreviation + number that ends the sentence
    ("en", "See para. 5. It is clear.", 2),
    ("en", "See para. 5 of the report.", 1),
    ("fr", "Voir le par. 16. Il faudrait agir.", 2),
    ("fr", "Voir le par. 16 du rapport.", 1),
    ("es", "Véase el párr. 12. Es claro.", 2),
    ("es", "Véase el párr. 12 del informe.", 1),
    ("ru", "См. п. 34. Это ясно.", 2),
    ("ru", "См. п. 34 доклада.", 1),
    ("ar", "انظر الوثيقة، ص. 2. وأكد المجلس التزامه.", 2),
    # multi-part abbreviations stay whole, and end a sentence before a capital
    ("ru", "Расходы составили 2,5 млн долл. США. Это ясно.", 2),
    ("ru", "Это языки, т. е. английский и русский.", 1),
    ("ru", "Отчеты, резолюции и т. д. Это ясно.", 2),
    ("ru", "Отчеты, резолюции и т. д. являются документами.", 1),
    ("en", "Civil society, e.g. NGOs, took part.", 1),
    ("en", "He served the U.N. He left in 2016.", 2),
    ("en", "The U.N. Secretariat agreed.", 1),
    ("fr", "Les contrôles, c.-à-d. les mécanismes, sont prévus.", 1),
    ("fr", "Les contrôles, p. ex. les mécanismes, sont prévus.", 1),
    ("es", "Los EE. UU. votaron a favor.", 1),
    # an abbreviation after a year or a number, then a capital: usually a new sentence
    ("ru", "Цели были приняты в 2015 г. Сегодня они под угрозой.", 2),
    ("ru", "В 2015 г. Генеральная Ассамблея приняла Цели.", 1),
    ("en", "The meeting ended at 5 p.m. The delegates left.", 2),
    ("en", "The meeting starts at 9 a.m. New York time.", 1),
    ("es", "La sesión se levantó a las 10.30 a. m. El Presidente salió.", 2),
    ("es", "La sesión comenzó a las 10.15 a. m. en la Sala.", 1),
    ("es", "Se necesitan 254.000 dólares EE. UU. La Comisión lo aprobó.", 2),
    ("fr", "Il demande 60 millions de dollars É.-U. Les délégations ont réagi.", 2),
    ("fr", "Il demande 60 millions de dollars É.-U. pour la Base.", 1),
    ("ar", "أُسست الأمم المتحدة في عام 1945 م. وأكد المجلس التزامه.", 2),
    # the same for parts numbered in Roman figures, and the abbreviations that end a list
    ("en", "It is in chap. IV. The Council agreed.", 2),
    ("en", "It is in chap. IV of the report.", 1),
    ("ru", "См. гл. IV. Это ясно.", 2),
    ("ru", "Участвовали ПРООН, ЮНИСЕФ и др. Это ясно.", 2),
    ("ru", "Участвовали ПРООН, ЮНИСЕФ и др. организации.", 1),
    ("en", "Funding came from the U.S. The Council agreed.", 2),
    ("en", "Mr. C. Smith and Mrs. M. Bachelet spoke.", 1),
]


@pytest.mark.parametrize("lang,text,n", FAMILY_PAIRS, ids=[f"{p[0]}-{p[1][:28]}" for p in FAMILY_PAIRS])
def test_issue_families(lang, text, n):
    sentences = Segmenter(lang).split(text)
    assert len(sentences) == n, sentences
    assert " ".join(sentences) == text


def test_exceptions_context_words_and_split_column(tmp_path: Path):
    folder = tmp_path / "exceptions"
    folder.mkdir()
    (folder / "en.txt").write_text(
        "# a context word, and a split entry before the keep entry it overrides\n"
        "Ref.\tcapital\tsplit\t# a capital after Ref. starts a sentence\n"
        "Ref.\n",
        encoding="utf-8",
    )
    en = Segmenter("en", folder)
    assert en.split("See Ref. The end.") == ["See Ref.", "The end."]
    assert en.split("See Ref. 5 and Ref. b in it.") == ["See Ref. 5 and Ref. b in it."]
    (folder / "en.txt").write_text("Ref.\tcapital\tsplitt\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"en\.txt:1: third column must be 'keep' or 'split'"):
        Segmenter("en", folder)
    (folder / "en.txt").write_text("# x\nRef.\t\tsplit\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"en\.txt:2: a 'split' entry needs a context"):
        Segmenter("en", folder)


# --- --explain: every break weighed, and the rule (file:line) that decided it, per rule kind.

EXPLAIN_CASES = [
    # (lang, text, text before the position, split?, where the deciding rule lives)
    ("en", "See para. 5 of the report.", "See para. ", False, "segment-exceptions/en.txt:"),
    ("en", "He served the U.N. He left.", "He served the U.N. ", True, "segment-exceptions/en.txt:"),
    ("en", "I. Introduction", "I. ", False, "srx/un.srx:"),
    ("en", "See para. 5. It is clear.", "See para. 5. ", True, "srx/un.srx:"),
    ("en", "It is clear. We agree.", "It is clear. ", True, "languagetool_segment.srx:"),
    ("en", "Mr. Guterres spoke.", "Mr. ", False, "segment-exceptions/en.txt:"),
    ("en", "H.E. Mr. Makei spoke.", "H.", False, "languagetool_segment.srx:"),
]


@pytest.mark.parametrize("lang,text,left,split,where", EXPLAIN_CASES, ids=[c[1][:24] for c in EXPLAIN_CASES])
def test_explain_names_the_deciding_rule(lang, text, left, split, where):
    spans, decisions = Segmenter(lang).explain(text)
    assert spans == Segmenter(lang).spans(text)  # explaining does not change the result
    decision = next(d for d in decisions if d.position == len(left))
    assert decision.split is split
    assert where in decision.rule
    path, _, line = decision.rule.split(" ")[0].rpartition(":")
    assert Path(path).exists() and int(line) > 0
    if "un.srx" in where:  # the line named holds a rule
        rule_line = PROJECT_SRX.read_text(encoding="utf-8").splitlines()[int(line) - 1]
        assert rule_line.startswith("<rule break=")
        assert rule_line == f'<rule break="{"yes" if split else "no"}">'


def test_cli_segment_explain(capsys, tmp_path: Path):
    source = tmp_path / "speech.txt"
    source.write_text("See para. 5. It is clear.\n\nThe U.N. Secretariat agreed.\n", encoding="utf-8")
    assert cli.main(["segment", str(source), "--lang", "en", "--explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["See para. 5.", "It is clear."]
    assert lines[2].startswith("  keep  ¶1 @10  See para. ⏐5. It is clear.")
    assert "segment-exceptions/en.txt:" in lines[3] and "(keep after 'para.')" in lines[3]
    assert lines[4].startswith("  split ¶1 @13  See para. 5. ⏐It is clear.")
    assert "srx/un.srx:" in lines[5] and "(UN-All)" in lines[5]
    assert "The U.N. Secretariat agreed." in lines
    assert cli.main(["segment", str(source), "--lang", "en"]) == 0
    assert "⏐" not in capsys.readouterr().out
