"""Hostile and broken input, fuzzed: every reader ends with its own clear error or a result.

No traceback of another kind, no hang (a deadline per example), no partial write (the store is
compared before and after every refused import). A short run here; ``benchmarks/fuzz_inputs.sh``
runs the same properties longer, with fresh random inputs.
"""

from __future__ import annotations

import io
import os
import sqlite3
import zipfile
from pathlib import Path

import docx
from conftest import shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import glossary, ingest, langs, tm, xliff
from workbench.errors import InputError
from workbench.model import Origin, Status
from workbench.mt.registry import ModelMapError, load_map
from workbench.segment import RulesError
from workbench.store import Store

# CI: 200 reproducible examples per reader; benchmarks/fuzz_inputs.sh sets a larger, random run.
EXAMPLES = int(os.environ.get("WORKBENCH_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=10_000, derandomize="WORKBENCH_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """``seed`` with random bytes flipped, cut, duplicated or inserted."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "dup", "insert"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("The Secretary-General thanked the Member States. The UNOCT supports them.")
    document.add_paragraph("Thank you.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


SEEDS = {
    ".txt": b"The Secretary-General spoke.\n\nThank you.",
    ".md": b"# Title\n\n**Remarks** by the *Secretary-General*.\n\n> Thank you.",
    ".docx": _docx_bytes(),
}


@FUZZ
@given(data=st.data())
def test_ingest_of_any_bytes(tmp_path_factory, data):
    suffix = data.draw(st.sampled_from(sorted(SEEDS)))
    raw = data.draw(st.one_of(mutated(SEEDS[suffix]), st.binary(max_size=2048)))
    path = tmp_path_factory.mktemp("ingest") / f"input{suffix}"
    path.write_bytes(raw)
    try:
        document = ingest.load(path)
    except (InputError, langs.UnknownLanguageError, RulesError) as exc:
        assert str(path) in str(exc) or isinstance(exc, langs.UnknownLanguageError)
        return
    assert document.segments and all(s.text.strip() for s in document.segments)


def test_a_docx_whose_parts_are_not_xml_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "not xml at all <<<")
    path = tmp_path / "broken.docx"
    path.write_bytes(buffer.getvalue())
    try:
        ingest.load(path)
    except InputError as exc:
        assert str(path) in str(exc)
    else:
        raise AssertionError("a broken docx was read")


TBX = shared("tmx", "un3lang.tmx").parent.parent / "terms" / "un_terms.tsv"


@FUZZ
@given(data=st.data())
def test_glossary_import_of_any_bytes(tmp_path_factory, data):
    root = Path(__file__).resolve().parent.parent
    seeds = {
        ".tbx": (root / "glossaries" / "un-counter-terrorism.tbx").read_bytes()[:6000]
        + b"</langSet></termEntry>",
        ".tsv": TBX.read_bytes()[:3000],
        ".csv": b"id,en,fr,confidence\nx,civil society,societe civile,high\n",
    }
    suffix = data.draw(st.sampled_from(sorted(seeds)))
    raw = data.draw(mutated(seeds[suffix]))
    path = tmp_path_factory.mktemp("glossary") / f"g{suffix}"
    path.write_bytes(raw)
    try:
        glossary.load(path)
    except InputError as exc:
        assert str(path) in str(exc)


def _snapshot(db_path: Path) -> list:
    db = sqlite3.connect(db_path)
    tables = ["memories", "tm_units", "tm_variants", "translations", "history", "flags"]
    return [db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in tables]


@FUZZ
@given(data=st.data())
def test_tmx_import_of_any_bytes_is_all_or_nothing(tmp_path_factory, data):
    work = tmp_path_factory.mktemp("tmx")
    raw = data.draw(mutated(shared("tmx", "un3lang.tmx").read_bytes()))
    path = work / "memory.tmx"
    path.write_bytes(raw)
    with Store(work / "wb.db") as store:
        before = _snapshot(store.path)
        try:
            result = tm.import_tmx(store, path)
        except InputError as exc:
            assert str(path) in str(exc)
            assert _snapshot(store.path) == before
            return
        assert result.units >= 0


@FUZZ
@given(data=st.data())
def test_xliff_import_of_any_bytes_is_refused_before_any_write(tmp_path_factory, data):
    work = tmp_path_factory.mktemp("xliff")
    with Store(work / "wb.db") as store:
        document = ingest.build_document(
            "The Secretary-General spoke.\n\nThank you.", name="s.txt", lang="en"
        )
        ingest.store_document(store, document)
        for segment in store.document(1).segments:
            store.put_translation(segment.id, "fr", "Texte.", origin=Origin.MT, status=Status.TRANSLATED)
        xliff.export(store, 1, "fr", work / "seed.xlf", data.draw(st.sampled_from(["2.1", "1.2"])))
        path = work / "edited.xlf"
        path.write_bytes(data.draw(mutated((work / "seed.xlf").read_bytes())))
        before = _snapshot(store.path)
        try:
            xliff.read(path, store)
        except InputError as exc:
            assert str(path) in str(exc)
            assert _snapshot(store.path) == before


@FUZZ
@given(text=st.one_of(
    st.text(max_size=400),
    st.builds(lambda a, b: f'[pairs.{a}]\nmodel = "{b}"\n', st.text(max_size=12), st.text(max_size=30)),
    st.builds(lambda k, v: f"{k} = {v}\n", st.sampled_from(["defaults", "engine", "[pairs]", "x"]),
              st.sampled_from(["true", "1", '"marian"', "[", "{}", '"nllb"'])),
))  # fmt: skip
def test_model_map_of_any_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("map") / "models.toml"
    path.write_text(
        text, encoding="utf-8", errors="surrogatepass"
    ) if "\ud800" not in text else path.write_text("")
    try:
        load_map(path)
    except ModelMapError as exc:
        assert str(path) in str(exc)
