"""The six official UN languages: the single place that knows their codes and scripts.

Every other module asks this one; none keeps its own language list. TMX is written with
``zh-CN`` (OmegaT 3.6 matches only the first two letters of a code and would also take
``zh-TW``), but ``zh``, ``zh-Hans`` and ``zh-CN`` in any case are all read as Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UsageError


@dataclass(frozen=True)
class Language:
    """One UN language: its short code (the key everywhere in the workbench) and its peers."""

    code: str  # short code used in the store, the CLI and file names: ar zh en fr ru es
    name: str
    tmx: str  # BCP-47 code written to TMX/XLIFF/TBX
    nllb: str  # FLORES-200 code used by NLLB-200
    script: str  # Unicode script name
    rtl: bool = False
    spaced: bool = True  # False for scripts written without spaces between words


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("ar", "Arabic", "ar", "arb_Arab", "Arabic", rtl=True),
        Language("zh", "Chinese", "zh-CN", "zho_Hans", "Han", spaced=False),
        Language("en", "English", "en", "eng_Latn", "Latin"),
        Language("fr", "French", "fr", "fra_Latn", "Latin"),
        Language("ru", "Russian", "ru", "rus_Cyrl", "Cyrillic"),
        Language("es", "Spanish", "es", "spa_Latn", "Latin"),
    )
}

CODES: tuple[str, ...] = tuple(LANGUAGES)

# Spellings accepted on input besides the short code and the TMX code (compared case-insensitively,
# with "_" read as "-").
_ALIASES = {
    "zh-hans": "zh",
    "zh-hans-cn": "zh",
    "zh-sg": "zh",
    "cmn": "zh",
    "cmn-hans": "zh",
    "ara": "ar",
    "arb": "ar",
    "eng": "en",
    "fra": "fr",
    "fre": "fr",
    "rus": "ru",
    "spa": "es",
    "zho": "zh",
    "chi": "zh",
}


class UnknownLanguageError(UsageError):
    """A language code that is not one of the six UN languages."""


def normalize(code: str) -> str:
    """Return the short code (``ar zh en fr ru es``) for any accepted spelling of a UN language.

    Accepts the short code, the TMX code, the NLLB code and common variants (``zh-Hans``, ``ZH-CN``,
    ``en-US``, ``fr_FR``). Traditional Chinese (``zh-TW``, ``zh-Hant``) is refused rather than
    silently read as Simplified.
    """
    key = code.strip().replace("_", "-").lower()
    if key in LANGUAGES:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    for lang in LANGUAGES.values():
        if key in (lang.tmx.lower(), lang.nllb.lower().replace("_", "-")):
            return lang.code
    base, _, region = key.partition("-")
    if base == "zh":
        if region in ("tw", "hk", "mo", "hant"):
            raise UnknownLanguageError(
                f"'{code}' is Traditional Chinese; the UN writes Chinese in Simplified script (zh-CN)"
            )
        if region in ("cn", "hans", "sg"):
            return "zh"
    if base in LANGUAGES and region:
        return base
    raise UnknownLanguageError(f"'{code}' is not one of the six UN languages ({', '.join(CODES)})")


def get(code: str) -> Language:
    """The :class:`Language` for any accepted spelling of its code."""
    return LANGUAGES[normalize(code)]


def parse_list(value: str, *, exclude: str | None = None) -> list[str]:
    """Parse ``fr,es,ru`` or ``all`` into short codes, in the canonical order, without ``exclude``."""
    if value.strip().lower() == "all":
        codes = list(CODES)
    else:
        wanted = {normalize(part) for part in value.split(",") if part.strip()}
        codes = [c for c in CODES if c in wanted]
    return [c for c in codes if c != exclude]
