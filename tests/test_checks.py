"""QA checks: each finding on a text that has it, and silence on one that does not."""

from __future__ import annotations

from workbench.checks import check, end_class, inconsistent, numbers


def codes(flags):
    return sorted({f.code for f in flags if f.severity != "info"})


def test_a_good_translation_has_no_warnings(terms):
    flags = check(
        "UNOCT thanks the Member States for their support in 2019.",
        "Le BLT remercie les États Membres de leur appui en 2019.",
        "en", "fr", terms,
    )  # fmt: skip
    assert codes(flags) == []
    assert {f.concept: f.mark for f in flags if f.code == "term"} == {
        "unoct": "present",
        "member_states": "present",
    }


def test_term_marks_present_forced_missing_suggested(terms):
    source = "CTED and UNICRI met in the Republic of Belarus."
    flags = check(source, "La DECT et l'UNICRI se sont réunis.", "en", "fr", terms, forced={"cted"})
    marks = {f.concept: f.mark for f in flags if f.code == "term"}
    # République du Bélarus: the fr rating is low (only the short name Bélarus was seen on a UN page)
    assert marks == {"cted": "forced", "unicri": "present", "belarus": "suggested"}
    missing = check(source, "Le comité s'est réuni à Vienne.", "en", "fr", terms)
    assert {f.concept: f.mark for f in missing if f.code == "term"}["cted"] == "missing"
    assert next(f for f in missing if f.concept == "cted").severity == "error"


def test_inflected_russian_and_arabic_clitic_forms_count_as_present(terms):
    ru = check("UNOCT thanked Member States.", "КТУ ООН поблагодарило государства-члены.", "en", "ru", terms)
    assert {f.mark for f in ru if f.code == "term"} == {"present"}
    ru2 = check(
        "Support for the United Nations Office of Counter-Terrorism.",
        "Поддержка Контртеррористического управления Организации Объединенных Наций.",
        "en", "ru", terms,
    )  # fmt: skip
    assert {f.mark for f in ru2 if f.code == "term"} == {"present"}
    ar = check("Thanks to Member States.", "شكرا للدول الأعضاء.", "en", "ar", terms)
    assert {f.mark for f in ar if f.code == "term"} == {"present"}


def test_forbidden_rendering(terms):
    flags = check("the Under-Secretary-General", "le Sous-Secrétaire général", "en", "fr", terms)
    assert "forbidden" in codes(flags)
    assert {f.mark for f in flags if f.code == "term"} == {"missing"}


def test_numbers():
    assert numbers("1,000 and 1 000 and 1.000,5 and ٢٠١٩") == {"1000": 2, "1000.5": 1, "2019": 1}
    assert codes(check("In 2019, 55 countries.", "En 2018, 55 pays.", "en", "fr")) == ["numbers"]
    assert codes(check("It cost 2.5 million.", "Cela a coûté 2,5 millions.", "en", "fr")) == []


def test_untranslated_and_wrong_script():
    assert codes(check("Thank you very much.", "Thank you very much.", "en", "fr")) == ["untranslated"]
    assert codes(check("Thank you very much.", "Thank you very much indeed.", "en", "ru")) == ["untranslated"]
    assert codes(check("Thank you very much.", "Большое спасибо.", "en", "ru")) == []


def test_empty_translation():
    (flag,) = check("Thank you.", "  ", "en", "fr")
    assert flag.code == "empty" and flag.severity == "error"


def test_end_punctuation_across_scripts():
    assert end_class("谢谢。") == end_class("Merci.") == "stop"
    assert end_class("هل؟") == end_class("¿Qué?") == "question"
    assert end_class("« Merci ! »") == "exclamation"
    assert codes(check("Thank you.", "谢谢。", "en", "zh")) == []
    assert codes(check("Thank you.", "Merci", "en", "fr")) == ["punctuation"]


def test_length_ratio_is_calibrated_per_language():
    source = "The Conference underscored the need to enhance cooperation in practical areas."
    assert "length" not in codes(check(source, "会议强调需要加强实际领域的合作。", "en", "zh"))
    assert "length" in codes(check(source, "Oui.", "en", "fr"))
    assert "length" in codes(check(source, source.upper() * 4 + ".", "en", "fr"))


def test_inconsistency_within_a_document():
    flagged = inconsistent(
        [(1, "Thank you.", "Merci."), (2, "Thank you.", "Je vous remercie."), (3, "Hi.", "Salut.")]
    )
    assert set(flagged) == {1, 2}
    assert inconsistent([(1, "Thank you.", "Merci."), (2, "Thank you.", "Merci.")]) == {}


def test_a_salutation_may_end_with_a_colon_in_spanish_and_chinese():
    source = "Excellencies, ladies and gentlemen,"
    assert "punctuation" not in codes(check(source, "Excelencias, señoras y señores:", "en", "es"))
    assert "punctuation" not in codes(check(source, "各位阁下，女士们、先生们：", "en", "zh"))
    assert "punctuation" in codes(check(source, "Excelencias, señoras y señores.", "en", "es"))


def test_a_line_break_in_a_translation_is_an_error():
    flags = check("Thank you.", "Merci\nbeaucoup.", "en", "fr")
    assert [(f.code, f.severity) for f in flags if f.code == "linebreak"] == [("linebreak", "error")]
