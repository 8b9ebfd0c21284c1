import pytest

from workbench import langs


def test_six_languages_with_their_codes():
    assert langs.CODES == ("ar", "zh", "en", "fr", "ru", "es")
    assert [langs.LANGUAGES[c].tmx for c in langs.CODES] == ["ar", "zh-CN", "en", "fr", "ru", "es"]
    assert langs.get("ar").rtl and not langs.get("en").rtl
    assert langs.get("zh").nllb == "zho_Hans" and not langs.get("zh").spaced


@pytest.mark.parametrize("code", ["zh", "zh-Hans", "zh-CN", "ZH-CN", "zh_CN", "zho_Hans", "cmn"])
def test_chinese_spellings_read_as_zh(code):
    assert langs.normalize(code) == "zh"


@pytest.mark.parametrize(
    "code,short", [("en-US", "en"), ("fr_FR", "fr"), ("ES", "es"), ("arb_Arab", "ar"), ("rus_Cyrl", "ru")]
)
def test_variants(code, short):
    assert langs.normalize(code) == short


@pytest.mark.parametrize("code", ["de", "zh-TW", "zh-Hant", "", "english"])
def test_unknown_or_traditional_refused(code):
    with pytest.raises(langs.UnknownLanguageError):
        langs.normalize(code)


def test_parse_list():
    assert langs.parse_list("all", exclude="en") == ["ar", "zh", "fr", "ru", "es"]
    assert langs.parse_list("ru,fr,zh-CN") == ["zh", "fr", "ru"]
