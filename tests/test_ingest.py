"""Reading speeches: encodings, formats, normalisation, language detection, bad input."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import EXAMPLE

from workbench import ingest, limits
from workbench.errors import InputError

SPEECHES = {
    "en": "The Security Council met today. It adopted a resolution.",
    "fr": "Le Conseil de sécurité s’est réuni aujourd’hui. Il a adopté une résolution.",
    "es": "El Consejo de Seguridad se reunió hoy. Aprobó una resolución.",
    "ru": "Совет Безопасности собрался сегодня. Он принял резолюцию.",
    "zh": "安全理事会今天举行了会议。安理会通过了一项决议。",
    "ar": "اجتمع مجلس الأمن اليوم. واتخذ قرارا.",
}


@pytest.mark.parametrize("lang", sorted(SPEECHES))
def test_language_detected(tmp_path: Path, lang: str):
    path = tmp_path / f"speech.{lang}.txt"
    path.write_text(SPEECHES[lang], encoding="utf-8")
    document = ingest.load(path)
    assert document.lang == lang
    assert len(document.segments) == 2


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
def test_encodings(tmp_path: Path, encoding: str):
    text = "Le Conseil a adopté la résolution « historique ». C’est un succès."
    path = tmp_path / "fr.txt"
    path.write_bytes(text.encode(encoding))
    document = ingest.load(path)
    assert document.text == text
    assert document.lang == "fr"


def test_nfc_normalisation(tmp_path: Path):
    path = tmp_path / "nfd.txt"
    path.write_text("Le Conseil a adopte\u0301 la re\u0301solution.", encoding="utf-8")
    assert "adopté la résolution" in ingest.load(path, "fr").text


def test_markdown_emphasis_headings_and_hard_breaks(tmp_path: Path):
    path = tmp_path / "speech.md"
    path.write_text(
        "# **Opening** remarks\n\nThank you, *Mr. President*,  \nExcellencies.\r\n\r\n> Quoted text.\n",
        encoding="utf-8",
    )
    document = ingest.load(path, "en")
    assert [p.segments[0].text for p in document.paragraphs] == [
        "Opening remarks",
        "Thank you, Mr. President, Excellencies.",
        "Quoted text.",
    ]


def test_docx_paragraphs(tmp_path: Path):
    path = tmp_path / "speech.docx"
    d = docx.Document()
    d.add_paragraph("Remarks by the Secretary-General")
    d.add_paragraph("")
    d.add_paragraph("Excellencies. Thank you.")
    d.save(path)
    document = ingest.load(path)
    assert [s.text for s in document.segments] == [
        "Remarks by the Secretary-General",
        "Excellencies.",
        "Thank you.",
    ]
    assert len(document.paragraphs) == 2


def _expect_error(path: Path, pattern: str, lang: str | None = None) -> None:
    with pytest.raises(InputError, match=pattern) as info:
        ingest.load(path, lang)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_empty_file(tmp_path: Path):
    (tmp_path / "e.txt").write_bytes(b"")
    _expect_error(tmp_path / "e.txt", "empty")
    (tmp_path / "w.txt").write_bytes(b"  \n\n \t")
    _expect_error(tmp_path / "w.txt", "empty")


def test_binary_file(tmp_path: Path):
    (tmp_path / "b.txt").write_bytes(bytes(range(256)) * 40)
    _expect_error(tmp_path / "b.txt", "binary")
    (tmp_path / "c.txt").write_bytes(b"\x01\x02\x03\x04\x05abc\x06\x07\x08\x0e\x0f" * 50)
    _expect_error(tmp_path / "c.txt", "binary")


def test_undecodable_file(tmp_path: Path):
    # 0x81 and 0x9d are undefined in cp1252 and invalid in UTF-8
    (tmp_path / "u.txt").write_bytes(b"The Council \x81\x9d met.")
    _expect_error(tmp_path / "u.txt", "cannot decode")


def test_too_large_file(tmp_path: Path):
    path = tmp_path / "big.txt"
    with path.open("wb") as fh:
        fh.write(b"The Council met. " * (50 * 2**20 // 17 + 1))
    _expect_error(path, "limit is 20 MB")


def test_unsupported_type(tmp_path: Path):
    (tmp_path / "s.pdf").write_bytes(b"%PDF-1.4")
    _expect_error(tmp_path / "s.pdf", "unsupported file type '.pdf'")


def test_docx_that_is_not_a_zip(tmp_path: Path):
    (tmp_path / "s.docx").write_text("plain text, not a package", encoding="utf-8")
    _expect_error(tmp_path / "s.docx", "not a ZIP package")


def test_docx_that_is_a_zip_of_something_else(tmp_path: Path):
    path = tmp_path / "s.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    _expect_error(path, "not a Word document")


def test_docx_zip_bomb_refused_before_unpacking(tmp_path: Path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"\0" * (limits.LIMITS.docx_unpacked_bytes + 1))
    assert path.stat().st_size < 2**20
    _expect_error(path, "would unpack to")


def _docx_with_body(path: Path, tmp_path: Path, body: bytes) -> Path:
    """A real .docx (python-docx's package) whose document body is ``body``."""
    template = tmp_path / "template.docx"
    docx.Document().save(str(template))
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                w = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
                dst.writestr(info.filename, b"<w:document %s><w:body>%s</w:body></w:document>" % (w, body))
            else:
                dst.writestr(info, src.read(info))
    return path


def test_docx_bomb_of_tiny_paragraphs_refused_after_reading_a_small_part(tmp_path: Path, monkeypatch):
    paragraph = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>"
    path = _docx_with_body(tmp_path / "bomb.docx", tmp_path, paragraph * (40 * 2**20 // len(paragraph)))
    assert path.stat().st_size < 2**20  # a small upload …
    read = [0]
    original = zipfile.ZipExtFile.read

    def counting(self, n=-1):
        data = original(self, n)
        read[0] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    monkeypatch.setattr(docx, "Document", lambda *a: pytest.fail("python-docx was given the bomb"))
    _expect_error(path, "more than 100,000 paragraphs")
    assert read[0] < 10 * 2**20  # … refused after reading a quarter of its 40 MB, not all of it


def test_docx_text_over_the_text_limit_is_refused(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(limits, "LIMITS", dataclasses.replace(limits.LIMITS, text_bytes=1000))
    body = b"<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % (b"The Council met. " * 100)
    _expect_error(_docx_with_body(tmp_path / "long.docx", tmp_path, body), "more than 1,000 bytes of text")
    small = b"<w:p><w:r><w:t>The Council met today. It adopted a resolution.</w:t></w:r></w:p>"
    document = ingest.load(_docx_with_body(tmp_path / "short.docx", tmp_path, small))
    assert document.text == "The Council met today. It adopted a resolution."


def test_undetectable_language(tmp_path: Path):
    (tmp_path / "de.txt").write_text("Der Rat hat heute getagt. Er hat beschlossen.", encoding="utf-8")
    _expect_error(tmp_path / "de.txt", "pass --lang")


def test_missing_file(tmp_path: Path):
    _expect_error(tmp_path / "nope.txt", "No such file")


def test_example_is_the_seed_speech():
    from conftest import shared

    assert EXAMPLE.read_bytes() == shared("corpus", "unoct-2019-09-26.en.txt").read_bytes()
