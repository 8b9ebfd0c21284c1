"""Glossary files (TBX 2008/2019, CSV/TSV), the shipped UN glossary, the enforcement policy."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import ROOT, shared

from workbench import glossary, tbx
from workbench.cli import main
from workbench.errors import InputError
from workbench.glossary import Confidence, Policy

SHIPPED = ROOT / "glossaries" / "un-counter-terrorism.tbx"
VARIANTS = ROOT / "glossaries" / "sources" / "un_terms.variants.tsv"
CORE = ROOT / "glossaries" / "un-core.tbx"
CORE_SOURCES = ROOT / "glossaries" / "sources"


def test_shipped_tbx_is_built_from_the_shared_term_list(tmp_path):
    out = tmp_path / "rebuilt.tbx"
    assert main(["glossary", "build-un", str(shared("terms", "un_terms.tsv")), "--variants", str(VARIANTS),
                 "--out", str(out)]) == 0  # fmt: skip
    assert out.read_bytes() == SHIPPED.read_bytes(), (
        "glossaries/ is stale: rerun 'workbench glossary build-un'"
    )


def test_shipped_tbx_has_all_concepts_languages_and_confidence():
    g = tbx.read(SHIPPED)
    assert len(g.concepts) == 52
    assert all(set(c.entries) == {"ar", "zh", "en", "fr", "ru", "es"} for c in g.concepts)
    unoct = g.concept("unoct")
    assert unoct.entries["fr"].abbr == ["BLT"]
    assert unoct.entries["ru"].abbr == ["КТУ ООН"]
    assert unoct.entries["es"].confidence == Confidence.MEDIUM
    assert unoct.entries["fr"].confidence == Confidence.HIGH
    assert unoct.entries["zh"].combined == ["联合国反恐怖主义办公室（反恐办）"]
    assert unoct.entries["fr"].combined == ["Bureau de lutte contre le terrorisme (BLT)"]
    cted = g.concept("cted")
    assert cted.entries["fr"].abbr == cted.entries["es"].abbr == ["DECT"]
    assert cted.entries["zh"].abbr == ["反恐执行局"]
    assert "КТИД" in cted.entries["ru"].forbidden
    # inflected and variant forms from the notes
    assert "Контртеррористического управления Организации Объединенных Наций" in unoct.entries["ru"].full
    assert "المقاتلين الإرهابيين الأجانب" in g.concept("foreign_terrorist_fighters").entries["ar"].full
    assert g.concept("unicri").entries["ar"].confidence == Confidence.LOW


def test_policy_enforces_verified_renderings_and_suggests_the_rest():
    g = tbx.read(SHIPPED)
    policy = Policy()
    assert policy.enforced(g.concept("unoct").entries["es"])  # medium
    assert not policy.enforced(g.concept("unicri").entries["es"])  # low
    assert not Policy.named("high").enforced(g.concept("unoct").entries["es"])
    assert Policy.named("all").enforced(g.concept("unicri").entries["es"])
    assert not Policy.named("none").enforced(g.concept("usg").entries["fr"])


def test_tbx_2019_core_is_read(tmp_path):
    path = tmp_path / "core.tbx"
    path.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<tbx type="TBX-Core" style="dca" xml:lang="en" xmlns="urn:iso:std:iso:30042:ed-2">
  <tbxHeader><fileDesc><sourceDesc><p>test</p></sourceDesc></fileDesc></tbxHeader>
  <text><body>
    <conceptEntry id="ctc">
      <langSec xml:lang="en"><termSec><term>Counter-Terrorism Committee</term></termSec>
        <termSec><term>CTC</term><termNote type="termType">acronym</termNote></termSec></langSec>
      <langSec xml:lang="fr"><descrip type="reliabilityCode">9</descrip>
        <termSec><term>Comité contre le terrorisme</term></termSec>
        <termSec><term>CCT</term><termNote type="termType">acronym</termNote></termSec></langSec>
      <langSec xml:lang="zh-Hans"><termSec><term>反恐怖主义委员会</term></termSec></langSec>
      <langSec xml:lang="de"><termSec><term>Ausschuss</term></termSec></langSec>
    </conceptEntry>
  </body></text>
</tbx>""",
        encoding="utf-8",
    )
    g = glossary.load(path)
    entries = g.concept("ctc").entries
    assert set(entries) == {"en", "fr", "zh"}
    assert entries["fr"].abbr == ["CCT"] and entries["fr"].confidence == Confidence.HIGH
    assert entries["en"].confidence == Confidence.UNRATED  # a user's glossary without ratings: enforced
    assert Policy().enforced(entries["en"])


def test_tbx_round_trip(tmp_path):
    g = glossary.build_un(shared("terms", "un_terms.tsv"), VARIANTS)
    tbx.write([g], tmp_path / "a.tbx")
    back = tbx.read(tmp_path / "a.tbx")
    assert [(c.id, {k: (e.terms, e.confidence) for k, e in c.entries.items()}) for c in back.concepts] == [
        (c.id, {k: (e.terms, e.confidence) for k, e in c.entries.items()}) for c in g.concepts
    ]


def test_csv_with_alternatives_and_forbidden_column(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "id,en,fr,fr_abbr,fr_forbidden,confidence\n"
        'gpai,Global Programme,Programme mondial|Programme global,PM,"Plan mondial",reviewed\n',
        encoding="utf-8",
    )
    entry = glossary.load(path).concept("gpai").entries["fr"]
    assert entry.full == ["Programme mondial", "Programme global"]
    assert entry.abbr == ["PM"] and entry.forbidden == ["Plan mondial"]
    assert entry.confidence == Confidence.REVIEWED


@pytest.mark.parametrize(
    ("name", "content", "problem", "line"),
    [
        ("missing.tsv", "id\ten\tfr\na\tCivil society\n", "2 columns where the header has 3", 2),
        ("one.tsv", "id\ten\tnotes\na\tx\ty\n", "at least two language columns", 1),
        ("conf.tsv", "id\ten\tfr\tconfidence\na\tx\ty\tsure\n", "bad confidence 'sure'", 2),
        ("bad.tbx", "<martif><text><body><termEntry>\n<langSet xml:lang='en'><tig><term>A</term></tig>\n"
         "</langSet></termEntry></body>\n</martif>", "mismatch", 4),
        ("root.tbx", "<?xml version='1.0'?>\n<tmx version='1.4'/>", "not a TBX file", 2),
        ("nolang.tbx", "<martif><text><body><termEntry>\n<langSet><tig><term>A</term></tig></langSet>"
         "</termEntry></body></text></martif>", "without xml:lang", 2),
        ("code.tbx", "<martif><text><body><termEntry><langSet xml:lang='en'>\n"
         "<descrip type='reliabilityCode'>high</descrip><tig><term>A</term></tig></langSet>"
         "</termEntry></body></text></martif>",
         "reliabilityCode 'high'", 2),
        ("xxe.tbx", '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
         "<martif><text><body><termEntry><langSet xml:lang='en'><tig><term>&x;</term></tig></langSet>"
         "</termEntry></body></text></martif>", "entity declarations are refused", None),
    ],
)  # fmt: skip
def test_bad_glossaries_name_file_line_and_problem(tmp_path, name, content, problem, line):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        glossary.load(path)
    assert problem in str(info.value) and str(path) in str(info.value)
    if line is not None:
        assert info.value.line == line


def test_billion_laughs_is_refused_at_once(tmp_path):
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path = tmp_path / "laughs.tbx"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE martif [<!ENTITY l0 "lol">{levels}]>\n'
        "<martif><text><body><termEntry><langSet xml:lang='en'><tig><term>&l9;</term></tig></langSet>"
        "</termEntry></body></text></martif>",
        encoding="utf-8",
    )
    started = time.perf_counter()
    with pytest.raises(InputError, match="entity"):
        glossary.load(path)
    assert time.perf_counter() - started < 5  # refused before any expansion, not after


def test_cli_glossary_error_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\ten\tfr\nx\tonly\n", encoding="utf-8")
    assert main(["glossary", "list", "--glossary", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"{bad}:2" in err


def test_user_glossary_wins_and_defaults_can_be_left_out(tmp_path):
    mine = tmp_path / "mine.tsv"
    mine.write_text("id\ten\tfr\nx\tcivil society\tsociété civile organisée\n", encoding="utf-8")
    both = glossary.load_all([mine])
    assert [g.name for g in both] == ["mine", "un-core", "un-counter-terrorism"]
    assert [g.name for g in glossary.load_all([mine], defaults=False)] == ["mine"]
    assert Path(both[2].path).name == "un-counter-terrorism.tbx"


def test_un_core_tbx_is_built_from_its_reviewable_sources(tmp_path):
    out = tmp_path / "core.tbx"
    argv = ["glossary", "build-un", str(CORE_SOURCES / "un_core.tsv"), "--variants",
            str(CORE_SOURCES / "un_core.variants.tsv"), "--name", "un-core", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert out.read_bytes() == CORE.read_bytes(), "glossaries/un-core.tbx is stale: rerun build-un"


def test_every_forced_rendering_of_un_core_has_its_source_in_that_language():
    g = tbx.read(CORE)
    assert len(g.concepts) >= 150
    assert all(set(c.entries) == {"ar", "zh", "en", "fr", "ru", "es"} for c in g.concepts)
    policy, forced = Policy(), 0
    for concept in g.concepts:
        for lang, entry in concept.entries.items():
            # an unrated entry would be enforced without any check: the shipped data rates every one
            assert entry.confidence != Confidence.UNRATED, (concept.id, lang)
            cited = [s.partition(":")[2] for s in concept.sources if s.startswith(f"{lang}:http")]
            if policy.enforced(entry):
                forced += 1
                assert cited, f"{concept.id} {lang} is forced without a source"
            if entry.confidence == Confidence.HIGH:  # high means: seen on an official UN page
                assert any(glossary.is_un_page(u) for u in cited), (
                    f"{concept.id} {lang}: no UN page in {cited}"
                )
            for term in entry.terms:
                assert not term.source or term.source.startswith("http"), (concept.id, term)
    assert forced >= 50  # the test is not vacuous


def test_a_un_page_cited_for_a_form_confirms_it(tmp_path):
    path = tmp_path / "v.tsv"
    rows = ["id\tlang\tkind\tform\tgender\tsource",
            "caricom\tes\tfull\tComunidad del Caribe\t\thttps://www.un.org/es/page",
            "hungary\tes\tfull\tHungría\t\thttps://es.wikipedia.org/wiki/Hungr%C3%ADa"]  # fmt: skip
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = glossary.build_un(shared("terms", "un_terms.tsv"))
    after = glossary.build_un(shared("terms", "un_terms.tsv"), path)
    assert before.concept("caricom").entries["es"].confidence == Confidence.LOW
    assert after.concept("caricom").entries["es"].confidence == Confidence.HIGH
    assert "es:https://www.un.org/es/page" in after.concept("caricom").sources
    # a page outside the UN is recorded, but does not make the rendering official
    assert (
        after.concept("hungary").entries["es"].confidence
        == before.concept("hungary").entries["es"].confidence
    )
    assert glossary.is_un_page("https://news.un.org/ru/story/1") and glossary.is_un_page(
        "https://www.unodc.org/"
    )
    assert not glossary.is_un_page("https://un.org.example.com/") and not glossary.is_un_page(
        "https://fakeun.org/"
    )


def test_gendered_forms_and_their_sources_survive_tbx(tmp_path):
    g = glossary.build_un(CORE_SOURCES / "un_core.tsv", CORE_SOURCES / "un_core.variants.tsv", "un-core")
    tbx.write([g], tmp_path / "core.tbx")
    back = tbx.read(tmp_path / "core.tbx")

    def content(gl):
        return [
            (c.id, c.sources, {k: (e.terms, e.confidence) for k, e in c.entries.items()}) for c in gl.concepts
        ]

    assert content(back) == content(g)
    fr = back.concept("special_representative").entries["fr"]
    assert [(t.text, t.gender) for t in fr.terms if t.gender] == [
        ("Représentant spécial du Secrétaire général", "m"),
        ("Représentante spéciale du Secrétaire général", "f"),
    ]
    assert fr.for_gender("f").full == ["Représentante spéciale du Secrétaire général"]
    assert fr.for_gender("").full == fr.full
    usg = tbx.read(SHIPPED).concept("usg").entries["fr"]
    assert {t.text: t.gender for t in usg.terms if t.gender} == {
        "Secrétaire général adjoint": "m", "Secrétaire générale adjointe": "f"}  # fmt: skip


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("usg\tfr\tvariant\tSecrétaire générale adjointe\tx", "gender 'x' is not m or f"),
        ("usg\tfr\tfull\tSecrétaire générale adjointe\tf", "has no fr full 'Secrétaire générale adjointe'"),
        ("usg\tfr\tvariant", "3 columns, expected 4 to 6"),
        ("nope\tfr\tvariant\tX", "concept 'nope' has no fr entry"),
    ],
)
def test_bad_variant_rows_name_the_line(tmp_path, row, problem):
    path = tmp_path / "v.tsv"
    path.write_text("# comment\nid\tlang\tkind\tform\tgender\tsource\n" + row + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        glossary.build_un(shared("terms", "un_terms.tsv"), path)
    assert problem in str(info.value) and info.value.line == 3


def test_glossary_stats_counts_each_language(capsys):
    assert main(["glossary", "stats"]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    header, rows = lines[0], {(r[0], r[1]): dict(zip(lines[0], r, strict=True)) for r in lines[1:]}
    assert header[:3] == ["glossary", "lang", "concepts"]
    six = ("ar", "zh", "en", "fr", "ru", "es")
    assert set(rows) == {(g, lang) for g in ("un-core", "un-counter-terrorism") for lang in six}
    ct_fr = rows["un-counter-terrorism", "fr"]
    g = tbx.read(SHIPPED)
    entries = [c.entries["fr"] for c in g.concepts]
    assert int(ct_fr["concepts"]) == 52
    assert int(ct_fr["forced"]) == sum(Policy().enforced(e) for e in entries)
    assert int(ct_fr["forced"]) + int(ct_fr["suggested"]) == 52
    assert int(ct_fr["gendered"]) == 2  # usg and secretary_general
    assert int(ct_fr["forms"]) == sum(len(e.full) + len(e.abbr) + len(e.of_kind("combined")) for e in entries)
    assert main(["glossary", "stats", "--enforce", "none"]) == 0
    none = [line.split("\t") for line in capsys.readouterr().out.splitlines()[1:]]
    assert all(r[-2] == "0" for r in none)  # nothing forced under --enforce none


def test_glossary_list_of_one_language_is_the_worklist_of_what_to_verify(capsys):
    assert main(["glossary", "stats"]) == 0
    suggested = sum(int(r.split("\t")[-1]) for r in capsys.readouterr().out.splitlines()[1:] if "\tru\t" in r)
    assert main(["glossary", "list", "--lang", "ru", "--suggested"]) == 0
    rows = [r.split("\t") for r in capsys.readouterr().out.splitlines() if not r.startswith("#")]
    assert len(rows) == suggested > 0
    assert all(r[1].startswith("en:") and r[2].startswith("ru:") and "suggested]" in r[2] for r in rows)
    assert main(["glossary", "list", "--lang", "ru"]) == 0
    charter = next(r for r in capsys.readouterr().out.splitlines() if r.startswith("un_charter\t"))
    assert "[high, enforced]" in charter and "\tru:https://" in charter  # with the page that confirms it


def test_cli_match_reads_the_whole_text_for_the_referent(capsys):
    text = "Remarks by Ms. Rosemary DiCarlo, Under-Secretary-General"
    assert main(["glossary", "match", text, "--lang", "en", "--to", "fr,es"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("\tusg\tUnder-Secretary-General")
    assert sorted(lines[1:]) == [
        "\tes\tenforced\tSecretaria General Adjunta",
        "\tfr\tenforced\tSecrétaire générale adjointe",
    ]
