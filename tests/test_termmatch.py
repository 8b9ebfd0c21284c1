"""Source matching rules (issue 4, point 3), each in the language it belongs to."""

from __future__ import annotations

import pytest

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
    # and as vocabularies that normalise to NFKC spell it (full-width parentheses become ASCII)
    assert zh.forms == ("反恐怖主义委员会执行局（反恐执行局）", "反恐怖主义委员会执行局(反恐执行局)")
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


@pytest.fixture(scope="module")
def un_terms() -> Terminology:
    """Both shipped glossaries, as the workbench loads them by default."""
    return Terminology(glossary.load_all())


def forms_for(terms, text, src, tgt, concept):
    (e,) = [e for e in terms.expectations(text, src, tgt) if e.concept_id == concept]
    return e


@pytest.mark.parametrize(
    ("text", "fr", "es"),
    [
        ("Remarks by Mr. Vladimir Voronkov, Under-Secretary-General of the Office",
         "Secrétaire général adjoint", "Secretario General Adjunto"),
        ("Ms. Rosemary DiCarlo, Under-Secretary-General for Political Affairs",
         "Secrétaire générale adjointe", "Secretaria General Adjunta"),
        ("the Under-Secretary-General, Mrs. Ray, said", "Secrétaire générale adjointe",
         "Secretaria General Adjunta"),
        ("Ms. Ray thanked Mr. Voronkov, Under-Secretary-General", "Secrétaire général adjoint",
         "Secretario General Adjunto"),  # the nearest honorific names the referent
    ],
)  # fmt: skip
def test_the_source_gender_marker_forces_the_matching_title(un_terms, text, fr, es):
    for tgt, wanted in (("fr", fr), ("es", es)):
        e = forms_for(un_terms, text, "en", tgt, "usg")
        assert e.enforced and e.forms == (wanted,), e.forms
        assert un_terms.constraints([e]) == [("usg", [wanted])]
        if tgt == "fr":
            other = ({"Secrétaire général adjoint", "Secrétaire générale adjointe"} - {wanted}).pop()
            assert un_terms.present(e, f"le {wanted}") and not un_terms.present(e, f"le {other}")


USG_ES = ("usg", "es", {"Secretario General Adjunto", "Secretaria General Adjunta"})
SRSG_FR = (
    "special_representative",
    "fr",
    {"Représentant spécial du Secrétaire général", "Représentante spéciale du Secrétaire général"},
)


@pytest.mark.parametrize(
    ("text", "src", "wanted"),
    [
        ("The Under-Secretary-General said", "en", USG_ES),
        ("The Under-Secretary-General thanked Ms. Ray", "en", USG_ES),  # another person
        # a salutation names no referent, and the Spanish title does not vary
        ("Señoras y señores, el Representante Especial del Secretario General", "es", SRSG_FR),
    ],
)  # fmt: skip
def test_without_a_marker_the_model_may_choose_either_gender(un_terms, text, src, wanted):
    concept, tgt, forms = wanted
    e = forms_for(un_terms, text, src, tgt, concept)
    assert set(e.forms) >= forms and e.gender == ""
    assert all(un_terms.present(e, f"… {form} …") for form in forms)


@pytest.mark.parametrize(
    ("text", "src", "concept", "tgt", "wanted"),
    [
        ("M. Guterres, Secrétaire général", "fr", "secretary_general", "es", "Secretario General"),
        ("Mme Bachelet, Haute-Commissaire des Nations Unies aux droits de l'homme", "fr",
         "high_commissioner_human_rights", "es",
         "Alta Comisionada de las Naciones Unidas para los Derechos Humanos"),
        ("Sra. DiCarlo, Secretaria General Adjunta", "es", "usg", "fr", "Secrétaire générale adjointe"),
        ("г-жа ДиКарло, заместитель Генерального секретаря", "ru", "usg", "fr",
         "Secrétaire générale adjointe"),
        ("Г–н Воронков, заместитель Генерального секретаря", "ru", "usg", "fr",
         "Secrétaire général adjoint"),  # as UN Russian texts write it, with an en dash
        ("السيدة ديكارلو، وكيلة الأمين العام", "ar", "usg", "fr", "Secrétaire générale adjointe"),
        ("السيد فورونكوف، وكيل الأمين العام", "ar", "usg", "es", "Secretario General Adjunto"),
        ("Secrétaire générale adjointe", "fr", "usg", "es", "Secretaria General Adjunta"),  # the form itself
        ("沃龙科夫先生，副秘书长", "zh", "usg", "fr", "Secrétaire général adjoint"),
    ],
)  # fmt: skip
def test_gender_markers_of_each_source_language(un_terms, text, src, concept, tgt, wanted):
    assert forms_for(un_terms, text, src, tgt, concept).forms[0] == wanted


def test_a_name_with_two_official_wordings_accepts_both(un_terms):
    e = forms_for(un_terms, "the fight against climate change", "en", "fr", "climate_change")
    assert {"changements climatiques", "changement climatique"} <= set(e.forms)
    assert un_terms.present(e, "face aux changements climatiques")
    assert un_terms.present(e, "la lutte contre le changement climatique")
    nam = forms_for(un_terms, "the Non-Aligned Movement", "en", "fr", "nam")
    assert {"Mouvement des pays non alignés", "Mouvement des non-alignés"} <= set(nam.forms)
    # both wordings seen on one UN Arabic page, and forced as a set: the model picks either
    wfp = forms_for(un_terms, "the World Food Programme", "en", "ar", "wfp")
    assert wfp.enforced and {"برنامج الأغذية العالمي", "برنامج الغذاء العالمي"} <= set(wfp.forms)
    assert un_terms.constraints([wfp])[0][1] == list(wfp.forms)
    assert un_terms.present(wfp, "قال برنامج الغذاء العالمي")
    assert un_terms.present(wfp, "ولبرنامج الأغذية العالمي")


def test_un_capitals_are_kept(un_terms):
    e = forms_for(un_terms, "all Member States", "en", "fr", "member_states")
    assert "États Membres" in e.forms and "États membres" not in e.forms
    assert un_terms.present(e, "tous les États Membres")
    assert not un_terms.present(e, "tous les États membres")
    assert un_terms.present(e, "États Membres et observateurs")  # sentence-initial capital is fine
    assert forms_for(un_terms, "member states", "en", "fr", "member_states").forms[0] == "États Membres"


def test_a_form_forbidden_for_one_title_is_the_name_of_another(un_terms):
    from workbench.checks import term_flags

    target = "le Sous-Secrétaire général"
    ok = term_flags("the Assistant Secretary-General", target, "en", "fr", un_terms, set())
    assert not [f for f in ok if f.code == "forbidden"]
    wrong = term_flags("the Under-Secretary-General", target, "en", "fr", un_terms, set())
    assert [f.mark for f in wrong] == ["missing", "forbidden"]


def test_chinese_punctuation_inside_a_term_is_one_term_whatever_its_width(un_terms):
    e = forms_for(un_terms, "Excellencies, ladies and gentlemen,", "en", "zh", "ladies_and_gentlemen")
    assert e.enforced and e.forms == ("女士们，先生们", "女士们,先生们")
    assert un_terms.present(e, "各位阁下，女士们，先生们：") and un_terms.present(e, "女士们,先生们")
    assert not un_terms.present(e, "女士们")
