"""TMX 1.4b export and import, XLIFF round trips, TBX export."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import FAST, copy_store, shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from workbench import review, tbx, tm, tmx, xliff
from workbench.cli import main
from workbench.errors import InputError
from workbench.glossary import load_all
from workbench.model import Document, Origin, Paragraph, Segment, Status
from workbench.store import Store

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DATE = re.compile(r"^\d{8}T\d{6}Z$")


@pytest.fixture(scope="module")
def dtd() -> etree.DTD:
    return etree.DTD(str(shared("tmx", "schemas", "tmx14.dtd")))


@pytest.fixture(scope="module")
def store(tmp_path_factory, translated_seed, terms) -> Store:
    """The seed speech machine-translated into five languages, with some segments reviewed."""
    store = Store(copy_store(translated_seed, tmp_path_factory.mktemp("tmx") / "wb.db"))
    segments = store.document(1).segments
    for segment in segments[:5]:
        for lang in ("fr", "zh"):
            current = store.translation(segment.id, lang)
            review.save(store, segment.id, lang, current.text, who="marie", status=Status.APPROVED,
                        expected_version=current.version, terminology=terms)  # fmt: skip
    store.add_comment(segments[0].id, "fr", "Vérifier le titre & <la> fonction", "marie")
    return store


def tuvs(path: Path) -> list[dict[str, str]]:
    root = etree.parse(str(path)).getroot()
    return [{tuv.get(XML_LANG): tuv.findtext("seg") for tuv in tu.findall("tuv")} for tu in root.iter("tu")]


def test_six_language_export_defaults_to_approved(store, tmp_path, dtd):
    out = tmp_path / "memory.tmx"
    assert main(["export", "1", "--tmx", str(out), "--store", str(store.path)]) == 0
    tree = etree.parse(str(out))
    assert dtd.validate(tree), dtd.error_log
    header = tree.getroot().find("header")
    assert {a: header.get(a) for a in tmx.REQUIRED_HEADER} == {
        "creationtool": "workbench", "creationtoolversion": header.get("creationtoolversion"),
        "segtype": "sentence",
        "o-tmf": "workbench", "adminlang": "en", "srclang": "en", "datatype": "plaintext",
    }  # fmt: skip
    assert DATE.match(header.get("creationdate"))
    units = tuvs(out)
    assert len(units) == 5 and all(set(u) == {"en", "fr", "zh-CN"} for u in units)
    first = tree.getroot().find("body/tu")
    fr = next(t for t in first.findall("tuv") if t.get(XML_LANG) == "fr")
    assert fr.get("changeid") == fr.get("creationid") == "marie" and DATE.match(fr.get("changedate"))
    props = {p.get("type"): p.text for p in fr.findall("prop")}
    assert props["x-status"] == "approved" and props["x-origin"] == "mt"
    assert "x-term-check" in props
    assert {p.get("type"): p.text for p in first.findall("prop")}["x-document-id"] == "1"
    assert "Vérifier le titre & <la> fonction" in fr.findtext("note")


def test_all_statuses_pairs_and_identical_bytes(store, tmp_path, dtd):
    out = tmp_path / "all.tmx"
    argv = ["export", "1", "--tmx", str(out), "--pairs", "--status", "all", "--store", str(store.path)]
    assert main(argv) == 0
    first = out.read_bytes()
    assert main(argv) == 0
    assert out.read_bytes() == first  # the same store gives the same bytes
    units = tuvs(out)
    assert len(units) == 26 and all(set(u) == {"en", "ar", "zh-CN", "fr", "ru", "es"} for u in units)
    pairs = sorted(p.name for p in tmp_path.glob("all.*.tmx"))
    assert pairs == [f"all.en-{t}.tmx" for t in ("ar", "es", "fr", "ru", "zh")]
    for name in pairs:
        tree = etree.parse(str(tmp_path / name))
        assert dtd.validate(tree), (name, dtd.error_log)
        assert all(len(u) == 2 for u in tuvs(tmp_path / name))


def test_translate_toolkit_reads_every_language(store, tmp_path):
    from translate.storage.tmx import tmxfile

    out = tmp_path / "all.tmx"
    assert main(["export", "1", "--tmx", str(out), "--status", "all", "--store", str(store.path)]) == 0
    parsed = tmxfile.parsefile(str(out))
    codes = {"ar": "ar", "zh-CN": "zh", "en": "en", "fr": "fr", "ru": "ru", "es": "es"}
    segments = store.document(1).segments
    assert len(parsed.units) == len(segments)
    for unit, segment in zip(parsed.units, segments, strict=True):
        texts = {codes[n.get(XML_LANG)]: unit.getNodeText(n) for n in unit.getlanguageNodes()}
        assert texts["en"] == segment.text
        for lang in ("ar", "zh", "fr", "ru", "es"):
            assert texts[lang] == store.translation(segment.id, lang).text


def test_characters_xml_cannot_carry_are_removed_with_a_warning(tmp_path, dtd, capsys):
    with Store(tmp_path / "wb.db") as s:
        doc_id = s.add_document(_document("Budget\x0b 5 < 7 & more.", "en"))
        segment = s.document(doc_id).segments[0]
        s.put_translation(segment.id, "fr", "Budget\x0c 5 < 7 &\x00 plus.", origin=Origin.HUMAN,
                          status=Status.APPROVED, who="x")  # fmt: skip
    out = tmp_path / "m.tmx"
    assert main(["export", "1", "--tmx", str(out), "--store", str(tmp_path / "wb.db")]) == 0
    err = capsys.readouterr().err
    assert "p.txt segment 0: removed characters XML cannot carry (U+000B)" in err
    assert "p.txt segment 0 (fr): removed characters XML cannot carry (U+0000, U+000C)" in err
    assert "\x0b" not in out.read_text(encoding="utf-8")
    assert dtd.validate(etree.parse(str(out)))
    assert tuvs(out) == [{"en": "Budget 5 < 7 & more.", "fr": "Budget 5 < 7 & plus."}]


def test_import_reuse_and_fuzzy_search(tmp_path, capsys):
    db = tmp_path / "wb.db"
    assert main(["tm", "import", str(shared("tmx", "un3lang.tmx")), str(shared("tmx", "un6lang_zhHans.tmx")),
                 "--store", str(db)]) == 0  # fmt: skip
    assert "3 units" in capsys.readouterr().out
    with Store(db) as s:
        assert tm.exact(
            s, "The Counter-Terrorism Committee Executive Directorate (CTED)  met today.", "en", "zh"
        ) == ("反恐怖主义委员会执行局（反恐执行局）今天举行了会议。")
        langs_in = {r[0] for r in s.db.execute("SELECT DISTINCT lang FROM tm_variants")}
        assert langs_in == {"ar", "zh", "en", "fr", "ru", "es"}  # zh-Hans and zh-CN both read as zh
        matches = tm.fuzzy(
            s, "The Counter-Terrorism Committee Executive Directorate met yesterday.", "en", "fr"
        )
        assert matches and matches[0].target.startswith("La Direction exécutive du Comité")
        assert 60 < matches[0].score < 100
        assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert main(["tm", "import", str(shared("tmx", "un3lang.tmx")), "--store", str(db)]) == 0
    assert "already imported" in capsys.readouterr().out
    assert main(["tm", "search", "Budget: 5 < 7 & quotes remain.", "--lang", "en", "--to", "fr",
                 "--store", str(db)]) == 0  # fmt: skip
    line = capsys.readouterr().out.splitlines()[0]
    assert line.split("\t")[1:3] == ["fr", 'Budget: 5 < 7 & "quotes" remain.']


def test_translate_reuses_imported_memory(tmp_path, model_map):
    db = tmp_path / "wb.db"
    assert main(["tm", "import", str(shared("tmx", "un3lang.tmx")), "--store", str(db)]) == 0
    argv = ["translate", str(shared("tmx", "speech_en.txt")), "--to", "fr", "--model-map", str(model_map)]
    assert main([*argv, "--store", str(db), *FAST]) == 0
    with Store(db) as s:
        by_origin = {}
        for t in s.translations(1, "fr"):
            by_origin.setdefault(t.origin, []).append(t.text)
    assert len(by_origin[Origin.TM]) == 3 and len(by_origin[Origin.MT]) == 1
    assert (
        "Le Bureau de lutte contre le terrorisme (BLT) de l'Organisation des Nations Unies appuie les "
        "États Membres." in by_origin[Origin.TM]
    )


@pytest.mark.parametrize(("name", "problem"), [
    ("bad_ctrl.tmx", "character U+000B is not allowed in XML 1.0"), ("bad_amp.tmx", "an unescaped '&'"),
    ("bad_header.tmx", "the header lacks required attributes: creationtool"),
])  # fmt: skip
def test_broken_tmx_is_refused_whole(tmp_path, capsys, name, problem):
    db = tmp_path / "wb.db"
    path = shared("tmx", "negative", name)
    assert main(["tm", "import", str(path), "--store", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and re.search(rf"{re.escape(str(path))}:\d+: ", err), err
    assert problem in err
    with Store(db) as s:
        assert s.db.execute("SELECT COUNT(*) FROM memories").fetchone()[0] == 0
        assert s.db.execute("SELECT COUNT(*) FROM tm_variants").fetchone()[0] == 0


def test_xliff_round_trip_keeps_every_edit(store, tmp_path, terms):
    folder = tmp_path / "x"
    for version in ("2.1", "1.2"):
        argv = ["export", "1", "--xliff", str(folder / version), "--to", "ru", "--xliff-version", version]
        assert main([*argv, "--store", str(store.path)]) == 0
    path = folder / "2.1" / "unoct-2019-09-26.en.en-ru.xlf"
    tree = etree.parse(str(path))
    ns = {"x": xliff.NS20}
    units = tree.getroot().findall(".//x:unit", ns)
    assert len(units) == 26 and {u.find("x:segment", ns).get("state") for u in units} == {"translated"}
    # A translator edits unit 3 and confirms unit 4 in a CAT tool.
    units[3].find("x:segment/x:target", ns).text = "Отредактированный перевод."
    units[3].find("x:segment", ns).set("state", "reviewed")
    units[4].find("x:segment", ns).set("state", "final")
    tree.write(str(path), encoding="UTF-8", xml_declaration=True)
    assert main(["xliff", "import", str(path), "--who", "ivan", "--store", str(store.path)]) == 0
    segments = store.document(1).segments
    edited = store.translation(segments[3].id, "ru")
    assert (edited.text, edited.status, edited.origin, edited.updated_by) == (
        "Отредактированный перевод.",
        Status.REVIEWED,
        Origin.HUMAN,
        "ivan",
    )
    confirmed = store.translation(segments[4].id, "ru")
    assert confirmed.status == Status.APPROVED and confirmed.origin == Origin.MT
    # XLIFF 1.2 exported before those edits: applying it now would overwrite them — refused, reported.
    old = folder / "1.2" / "unoct-2019-09-26.en.en-ru.xlf"
    tree12 = etree.parse(str(old))
    unit = tree12.getroot().findall(f".//{{{xliff.NS12}}}trans-unit")[3]
    unit.find(f"{{{xliff.NS12}}}target").text = "Другая правка."
    tree12.write(str(old), encoding="UTF-8", xml_declaration=True)
    assert main(["xliff", "import", str(old), "--who", "olga", "--store", str(store.path)]) == 1
    assert store.translation(segments[3].id, "ru").text == "Отредактированный перевод."


def test_xliff_with_a_changed_source_is_refused_before_any_write(store, tmp_path):
    folder = tmp_path / "x"
    assert main(["export", "1", "--xliff", str(folder), "--to", "es", "--store", str(store.path)]) == 0
    path = folder / "unoct-2019-09-26.en.en-es.xlf"
    tree = etree.parse(str(path))
    ns = {"x": xliff.NS20}
    units = tree.getroot().findall(".//x:unit", ns)
    units[0].find("x:segment/x:target", ns).text = "Nuevo texto."
    units[5].find("x:segment/x:source", ns).text = "Someone rewrote the source."
    tree.write(str(path), encoding="UTF-8", xml_declaration=True)
    before = [t.text for t in store.translations(1, "es")]
    with pytest.raises(InputError, match=r"the source of unit s\d+ differs") as info:
        xliff.import_file(store, path, "x")
    assert info.value.line == units[5].sourceline
    assert [t.text for t in store.translations(1, "es")] == before


def test_tbx_export_of_active_glossaries_validates(tmp_path, store):
    out = tmp_path / "g.tbx"
    assert main(["export", "1", "--tbx", str(out), "--store", str(store.path)]) == 0
    schema = etree.XMLSchema(etree.parse(str(shared("tmx", "schemas", "tbx.xsd"))))
    assert schema.validate(etree.parse(str(out))), schema.error_log
    assert len(tbx.read(out).concepts) == sum(len(g.concepts) for g in load_all())  # both shipped


def _document(text: str, lang: str) -> Document:
    segment = Segment(0, 0, 0, len(text), text, 0, len(text))
    return Document("p.txt", lang, text, [Paragraph(0, 0, len(text), 0, len(text), [segment])],
                    hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())  # fmt: skip


_PIECES = st.one_of(
    st.characters(codec="utf-8"),  # anything, control characters included
    st.sampled_from(
        ["&", "<", ">", '"', "'", "]]>", "\u200f", "\u202b", "😀", "𠀀", "\r", "\t", "\n", "&amp;"]
    ),
)
UNICODE = (
    st.lists(_PIECES, min_size=1, max_size=30).map("".join).filter(lambda t: tmx.strip_illegal(t).strip())
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=UNICODE, target=UNICODE)
def test_any_unicode_survives_tmx_and_xliff(tmp_path_factory, dtd, source, target):
    work = tmp_path_factory.mktemp("prop")
    with Store(work / "wb.db") as s:
        doc_id = s.add_document(_document(source, "en"))
        segment = s.document(doc_id).segments[0]
        s.put_translation(segment.id, "fr", target, origin=Origin.HUMAN, status=Status.APPROVED, who="p")
        paths, _, _ = tmx.export(s, [doc_id], work / "m.tmx")
        assert dtd.validate(etree.parse(str(paths[0]))), dtd.error_log
        units, _ = tmx.read(paths[0])
        assert units[0].variants == {"en": tmx.strip_illegal(source), "fr": tmx.strip_illegal(target)}
        for version in ("2.1", "1.2"):
            xlf = work / f"m{version}.xlf"
            xliff.export(s, doc_id, "fr", xlf, version)
            _, (edit,) = xliff.read(xlf, s)
            assert edit.text == tmx.strip_illegal(target) and edit.status == Status.APPROVED
