"""Read a speech from .txt, .md or .docx into a normalised :class:`~workbench.model.Document`.

Everything that can go wrong with a user's file ends here as one :class:`InputError` naming the file
and the cause, before anything touches the store.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from . import langs, limits
from .errors import InputError
from .model import Document, Paragraph
from .segment import segment_document

if TYPE_CHECKING:
    from .store import Store

SUPPORTED = (".txt", ".md", ".docx")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# ---------------------------------------------------------------- decoding


def decode(data: bytes, path: str | Path = "<input>") -> str:
    """Decode text bytes: BOM first, then UTF-16 by its NUL pattern, UTF-8, then cp1252."""
    if not data.strip():
        raise InputError(path, "the file is empty")
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return _strict(data, codec, path)
    if b"\x00" in data:
        sample = data[:4096]
        odd_nuls = sample[1::2].count(0) / max(1, len(sample[1::2]))
        even_nuls = sample[0::2].count(0) / max(1, len(sample[0::2]))
        if odd_nuls > 0.3 and even_nuls < 0.05:
            return _strict(data, "utf-16-le", path)
        if even_nuls > 0.3 and odd_nuls < 0.05:
            return _strict(data, "utf-16-be", path)
        raise InputError(path, "this is a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _strict(data, "cp1252", path)
    _refuse_binary(text, path)
    return text


def _strict(data: bytes, codec: str, path: str | Path) -> str:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            path, f"cannot decode the text as {codec} (byte {exc.start}); save it as UTF-8"
        ) from None
    _refuse_binary(text, path)
    return text


def _refuse_binary(text: str, path: str | Path) -> None:
    controls = sum(1 for ch in text[:65536] if ch < " " and ch not in "\t\n\r\f")
    if controls > max(2, len(text[:65536]) // 100):
        raise InputError(path, "this is a binary file, not text")
    if not text.strip():
        raise InputError(path, "the file is empty")


# ---------------------------------------------------------------- normalising

_PARA_SPLIT = re.compile(r"\n[ \t\u00a0]*\n\s*")
_STRONG = re.compile(r"\*\*|__")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])|(?<=[^\s*])\*(?![\w*])")
_MD_LINE_PREFIX = re.compile(r"^(#{1,6}[ \t]+|>[ \t]?)", re.MULTILINE)
_SPACE_RUN = re.compile(r"[ \t\n\r\\]*\n[ \t\n]*|[ \t]{2,}")


def _normalise_block(raw: str, offset: int, markdown: bool) -> tuple[str, list[int]]:
    """Clean one paragraph of raw text, returning it with the raw offset of every kept character.

    Removes Markdown emphasis markers (and heading/quote prefixes in .md), turns hard and soft line
    breaks into one space and collapses runs of spaces; NBSP and U+202F (French typography) stay.
    """
    drop = bytearray(len(raw))  # 1 = dropped, 2 = replaced by one space
    # ** and __ are stripped from .txt too: speeches are often pasted from Markdown sources.
    patterns = [_STRONG, _EMPHASIS, _MD_LINE_PREFIX] if markdown else [_STRONG]
    for pattern in patterns:
        for m in pattern.finditer(raw):
            drop[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    for m in _SPACE_RUN.finditer(raw):
        drop[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
        drop[m.start()] = 2
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(raw):
        if drop[i] == 1:
            continue
        out.append(" " if drop[i] == 2 else ch)
        where.append(offset + i)
    # strip edges (a dropped marker may leave a space at either end)
    while out and out[0].isspace():
        out.pop(0)
        where.pop(0)
    while out and out[-1].isspace():
        out.pop()
        where.pop()
    return "".join(out), where


def paragraphs_from_text(raw: str, markdown: bool = False) -> tuple[str, list[Paragraph], list[int]]:
    """Split decoded text into paragraphs at blank lines and normalise each.

    Returns the normalised document text (paragraphs joined by a blank line), the paragraphs with
    offsets into it and into ``raw``, and the raw offset of every character of the normalised text.
    """
    text_parts: list[str] = []
    where_all: list[int] = []
    paragraphs: list[Paragraph] = []
    pos = 0
    bounds = [m.span() for m in _PARA_SPLIT.finditer(raw)]
    starts = [0] + [e for _, e in bounds]
    ends = [s for s, _ in bounds] + [len(raw)]
    for rs, re_ in zip(starts, ends, strict=True):
        clean, where = _normalise_block(raw[rs:re_], rs, markdown)
        if not clean:
            continue
        if paragraphs:
            text_parts.append("\n\n")
            where_all.extend([where_all[-1] + 1] * 2)
            pos += 2
        paragraphs.append(Paragraph(len(paragraphs), pos, pos + len(clean), where[0], where[-1] + 1))
        text_parts.append(clean)
        where_all.extend(where)
        pos += len(clean)
    return "".join(text_parts), paragraphs, where_all


def prepare_text(text: str) -> str:
    """NFC, Unix newlines, no BOM: the form every later offset refers to."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------- language detection

_SCRIPT_RANGES = {
    "ar": ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "zh": ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF)),
    "ru": ((0x0400, 0x04FF),),
}
_STOPWORDS = {
    "en": [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "with",
        "on",
        "are",
        "this",
        "be",
        "as",
        "by",
        "we",
        "our",
        "it",
        "have",
        "will",
        "from",
    ],
    "fr": [
        "le",
        "la",
        "les",
        "des",
        "de",
        "du",
        "et",
        "à",
        "en",
        "est",
        "que",
        "pour",
        "dans",
        "une",
        "un",
        "sur",
        "nous",
        "au",
        "par",
        "qui",
        "avec",
    ],
    "es": [
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "y",
        "en",
        "que",
        "por",
        "para",
        "con",
        "una",
        "un",
        "es",
        "se",
        "su",
        "al",
        "como",
        "nuestra",
    ],
}
# Letters found in one of the three Latin-script languages and not the others.
_MARKS = {"fr": "èêëàâçœùûîïÿ", "es": "ñ¿¡áíóú"}
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str | None:
    """Guess which of the six languages ``text`` is in, or None when it is none of them.

    The script settles Arabic, Chinese and Russian; common function words settle English, French
    and Spanish, which share the Latin script.
    """
    sample = text[:20000]
    counts: Counter[str] = Counter()
    latin = 0
    for ch in sample:
        cp = ord(ch)
        if ch.isascii():
            latin += ch.isalpha()
            continue
        for code, ranges in _SCRIPT_RANGES.items():
            if any(lo <= cp <= hi for lo, hi in ranges):
                counts[code] += 1
                break
        else:
            if ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"):
                latin += 1
    counts["latin"] = latin
    best, n = counts.most_common(1)[0]
    letters = sum(1 for ch in sample if ch.isalpha())
    if n == 0 or n < 0.5 * letters:
        return None
    if best != "latin":
        return best
    words = Counter(w.lower() for w in _WORD.findall(sample))
    scores = {code: sum(words[w] for w in stop) for code, stop in _STOPWORDS.items()}
    lowered = sample.lower()
    for code, marks in _MARKS.items():
        scores[code] += sum(lowered.count(ch) for ch in marks)
    code, score = max(scores.items(), key=lambda kv: kv[1])
    return code if score > 0 else None


# ---------------------------------------------------------------- files


def language_mismatch(text: str, declared: str) -> str | None:
    """Why ``text`` cannot be ``declared``'s (it reads as another of the six languages), or None."""
    found = detect_language(text)
    if found is not None and found != declared:
        return f"the text reads as {langs.get(found).name}, not {langs.get(declared).name}"
    return None


def _read_docx(path: Path) -> str:
    if not zipfile.is_zipfile(path):
        raise InputError(path, "not a Word .docx file (it is not a ZIP package)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            unpacked = sum(i.file_size for i in infos)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(path, f"not a readable .docx ({exc})") from None
    cap = limits.LIMITS.docx_unpacked_bytes
    if unpacked > cap:
        raise InputError(
            path, f"refused: the .docx would unpack to {unpacked // 2**20} MB (limit {cap // 2**20} MB)"
        )
    if "word/document.xml" not in names:
        raise InputError(path, "a ZIP file but not a Word document (no word/document.xml)")
    _measure_docx(path)
    import docx  # python-docx; imported here so text-only use does not pay for it

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many types for damaged packages
        raise InputError(path, f"damaged Word document ({type(exc).__name__}: {exc})") from None
    return "\n\n".join(p.text for p in document.paragraphs if p.text.strip())


def _measure_docx(path: Path) -> None:
    """Refuse a .docx whose text or paragraph count is over the limits, reading its XML as a stream
    and stopping at the first limit crossed: python-docx builds the whole tree and an object per
    paragraph, minutes for a small file that unpacks to millions of tiny paragraphs."""
    from lxml import etree

    text_cap, paragraph_cap = limits.LIMITS.text_bytes, limits.LIMITS.paragraphs
    size = paragraphs = 0
    try:
        with zipfile.ZipFile(path) as zf, zf.open("word/document.xml") as xml:
            events = etree.iterparse(xml, events=("end",), tag=(f"{W}t", f"{W}p"), resolve_entities=False,
                                     no_network=True, load_dtd=False)  # fmt: skip
            for _, element in events:
                if element.tag == f"{W}t":
                    size += len((element.text or "").encode("utf-8"))
                    if size > text_cap:
                        raise InputError(path, f"refused: more than {text_cap:,} bytes of text")
                else:
                    paragraphs += len(element) > 0
                    if paragraphs > paragraph_cap:
                        raise InputError(path, f"refused: more than {paragraph_cap:,} paragraphs")
                    element.clear(keep_tail=True)
                    while element.getprevious() is not None:  # the parsed siblings: memory stays flat
                        del element.getparent()[0]
    except (zipfile.BadZipFile, OSError, etree.XMLSyntaxError) as exc:
        raise InputError(path, f"damaged Word document ({type(exc).__name__}: {exc})") from None


def read_text(path: str | Path) -> str:
    """The decoded, NFC text of a .txt/.md/.docx file (paragraphs separated by blank lines)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(
            path, f"unsupported file type '{suffix or '(none)'}' (supported: {', '.join(SUPPORTED)})"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot be read") from None
    if not path.is_file():
        raise InputError(path, "not a regular file")
    if suffix == ".docx":
        text = _read_docx(path)
        if not text.strip():
            raise InputError(path, "the document has no text")
        return prepare_text(text)
    cap = limits.LIMITS.text_bytes
    if size > cap:
        raise InputError(path, f"the file is {size / 2**20:.0f} MB; the limit is {cap // 2**20} MB")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, exc.strerror or "cannot be read") from None
    return prepare_text(decode(data, path))


def build_document(
    raw: str,
    *,
    name: str,
    lang: str | None = None,
    markdown: bool = False,
    source_path: str | None = None,
    origin: str | Path = "<input>",
    exceptions: str | Path | None = None,
) -> Document:
    """Turn decoded text into a segmented Document, resolving its language."""
    text, paragraphs, raw_map = paragraphs_from_text(raw, markdown=markdown)
    if not text:
        raise InputError(origin, "the file has no text")
    if lang is None:
        lang = detect_language(text)
        if lang is None:
            raise InputError(
                origin, f"cannot tell which UN language this is; pass --lang ({', '.join(langs.CODES)})"
            )
    else:
        lang = langs.normalize(lang)
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    document = Document(
        name=name, lang=lang, text=text, paragraphs=paragraphs, sha256=digest, source_path=source_path
    )
    return segment_document(document, exceptions, raw_map)


def load(path: str | Path, lang: str | None = None, exceptions: str | Path | None = None) -> Document:
    """Read a .txt/.md/.docx file into a segmented Document."""
    path = Path(path)
    raw = read_text(path)
    return build_document(
        raw,
        name=path.name,
        lang=lang,
        markdown=path.suffix.lower() == ".md",
        source_path=str(path.resolve()),
        origin=path,
        exceptions=exceptions,
    )


def store_document(store: Store, document: Document) -> bool:
    """Store a read document unless the same text in the same language is there already.

    Sets ``document.id`` either way and returns whether it was newly stored.
    """
    existing = store.find_document(document.sha256, document.lang)
    if existing is not None:
        document.id = existing
        return False
    store.add_document(document)
    return True


def ingest_file(store: Store, path: str | Path, lang: str | None = None) -> Document:
    """Read, segment and store a file (see :func:`store_document`); returns it with its id.

    The file is read and checked completely before the store is touched, so bad input never leaves
    a partial write.
    """
    document = load(path, lang)
    store_document(store, document)
    return document
