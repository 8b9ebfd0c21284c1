"""Source matching rules (issue 4, point 3), each in the language it belongs to."""

from __future__ import annotations

from workbench import glossary
from workbench.termmatch import Terminology


def found(terms, text, lang):
    return [(m.text, m.concept.id, m.kind) for m in terms.find(text, lang)]


def test_leftmost_longest_non_overlapping(terms):
    text = (
        "the Second United Nations High-level Conference and the United Nations Office of Counter-Terrorism"
    )
    assert found(terms, text, "en") == [
        ("United Nations", "united_nations", "full"),
        ("United Nations Office of Counter-Terrorism", "unoct", "full"),
    ]
    # the Committee inside the Directorate is not matched twice
    assert found(terms, "Counter-Terrorism Committee Executive Directorate", "en") == [
        ("Counter-Terrorism Committee Executive Directorate", "cted", "full")
    ]


def test_acronyms_are_case_sensitive_names_are_not(terms):
    assert found(terms, "WHO said who would come", "en") == [("WHO", "who", "abbr")]
    assert found(terms, "un État et l'ONU", "fr") == [("ONU", "united_nations", "abbr")]
    assert found(terms, "MEMBER STATES and member states", "en") == [
        ("MEMBER STATES", "member_states", "full"),
        ("member states", "member_states", "full"),
    ]


def test_hyphen_and_space_are_equivalent_in_names(terms):
    assert [m[1] for m in found(terms, "the counter terrorism week and a side-event", "en")] == [
        "ct_week",
        "side_event",
    ]
    assert found(terms, "capacity building", "en") == [("capacity building", "capacity_building", "full")]


def test_full_name_with_acronym_is_one_match_with_one_combined_rendering(terms):
    text = "Counter-Terrorism Committee Executive Directorate (CTED)"
    assert found(terms, text, "en") == [(text, "cted", "combined")]
    (expectation,) = terms.expectations(text, "en", "fr")
    assert expectation.forms == ("Direction exécutive du Comité contre le terrorisme (DECT)",)
    assert len(terms.constraints(terms.expectations(text, "en", "fr"))) == 1  # never "… (DECT) … DECT"
    (zh,) = terms.expectations(text, "en", "zh")
    assert zh.forms == ("反恐怖主义委员会执行局（反恐执行局）",)
    # no acronym in Arabic: the combined form asks for the name alone
    (ar,) = terms.expectations("United Nations Office of Counter-Terrorism (UNOCT)", "en", "ar")
    assert ar.preferred == "مكتب الأمم المتحدة لمكافحة الإرهاب"


def test_word_boundaries_in_alphabetic_scripts(terms):
    assert found(terms, "UNOCTS CTEDx xCTED", "en") == []
    assert found(terms, "l'ONUDC,", "fr") == [("ONUDC", "unodc", "abbr")]
    assert found(terms, "Виена Венгрия", "ru") == [("Венгрия", "hungary", "full")]


def test_french_apostrophes_and_spanish_source(terms):
    assert found(terms, "le Conseil des droits de l’homme", "fr") == [
        ("Conseil des droits de l’homme", "human_rights_council", "full")
    ]
    assert found(terms, "con la UNODC y la Oficina de Lucha contra el Terrorismo", "es") == [
        ("UNODC", "unodc", "abbr"),
        ("Oficina de Lucha contra el Terrorismo", "unoct", "full"),
    ]


def test_chinese_needs_no_boundaries(terms):
    assert found(terms, "在联合国反恐怖主义办公室（反恐办）和会员国的支持下，反恐执行局", "zh") == [
        ("联合国反恐怖主义办公室（反恐办）", "unoct", "combined"),
        ("会员国", "member_states", "full"),
        ("反恐执行局", "cted", "abbr"),
    ]


def test_arabic_proclitics(terms):
    text = "وأكد لمكتب الأمم المتحدة لمكافحة الإرهاب وللدول الأعضاء وبالمديرية التنفيذية للجنة مكافحة الإرهاب"
    assert found(terms, text, "ar") == [
        ("لمكتب الأمم المتحدة لمكافحة الإرهاب", "unoct", "full"),
        ("وللدول الأعضاء", "member_states", "full"),
        ("وبالمديرية التنفيذية للجنة مكافحة الإرهاب", "cted", "full"),
    ]
    assert found(terms, "الدولية", "ar") == []  # not a proclitic + term


def test_russian_inflected_forms_and_yo(terms):
    text = "с Контртеррористическим управлением Организации Объединённых Наций и государствами-членами"
    assert found(terms, text, "ru") == [
        ("Контртеррористическим управлением Организации Объединённых Наций", "unoct", "full"),
        ("государствами-членами", "member_states", "full"),
    ]
    assert [m[1] for m in found(terms, "в Генеральной Ассамблее и КТУ ООН", "ru")] == [
        "general_assembly",
        "unoct",
    ]


def test_forbidden_renderings_are_found(terms):
    assert [f for f, _, _ in terms.forbidden("le Sous-Secrétaire général en Biélorussie", "fr")] == [
        "Sous-Secrétaire général",
        "Biélorussie",
    ]


def test_user_glossary_takes_precedence(tmp_path):
    mine = tmp_path / "mine.tsv"
    mine.write_text("id\ten\tfr\nmine_cs\tcivil society\tsociété civile organisée\n", encoding="utf-8")
    terms = Terminology(glossary.load_all([mine]))
    (e,) = terms.expectations("civil society", "en", "fr")
    assert e.concept_id == "mine_cs" and e.preferred == "société civile organisée"
