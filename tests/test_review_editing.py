"""The library under the segment editor: guarded approval, context, restore, split, find & replace."""

from __future__ import annotations

import pytest
from test_align import EN, FR

from workbench import checks, ingest, review, translations
from workbench.cli import main
from workbench.errors import ConflictError
from workbench.glossary import load_all
from workbench.model import Origin, Status
from workbench.store import Store
from workbench.termmatch import Terminology

TERMS = Terminology(load_all())
SOURCE = "The United Nations Office of Counter-Terrorism will report to the General Assembly on item 4."
GOOD = "Le Bureau de lutte contre le terrorisme fera rapport à l'Assemblée générale sur le point 4."


@pytest.fixture
def store(tmp_path):
    raw = f"{SOURCE} The meeting rose at 1 p.m., said the Chair.\n"  # one paragraph, two segments
    document = ingest.build_document(raw, name="s.txt", lang="en")
    with Store(tmp_path / "wb.db") as s:
        ingest.store_document(s, document)
        for segment in document.segments:
            flags = checks.check(segment.text, "Le Bureau fera rapport.", "en", "fr", TERMS)
            s.put_translation(segment.id, "fr", "Le Bureau fera rapport.", origin=Origin.MT,
                              status=Status.TRANSLATED, flags=flags)  # fmt: skip
        yield s


def ids(store: Store) -> list[int]:
    return [s.id for s in store.document(1).segments]


def test_approving_over_a_missing_term_or_number_needs_an_override_which_is_recorded(store):
    sid = ids(store)[0]
    with pytest.raises(review.NeedsOverride) as refused:
        review.confirm(store, sid, "fr", 1, who="anna", terminology=TERMS)
    reasons = refused.value.reasons
    assert (
        "missing term: United Nations Office of Counter-Terrorism → Bureau de lutte contre le terrorisme"
        in reasons
    )
    assert any(r.startswith("numbers differ") for r in reasons)
    assert store.translation(sid, "fr").status == Status.TRANSLATED and store.comments(sid, "fr") == []
    review.confirm(store, sid, "fr", 1, who="anna", terminology=TERMS, override=True)
    assert store.translation(sid, "fr").status == Status.APPROVED
    (comment,) = store.comments(sid, "fr")
    assert comment[0] == "anna" and comment[2].startswith("approved over: missing term:")
    t = review.approve(store, sid, "fr", GOOD, 2, who="anna", terminology=TERMS)  # clean: no override needed
    assert (t.text, t.status, t.version) == (GOOD, Status.APPROVED, 3)


def test_a_text_changed_meanwhile_is_a_conflict_before_any_warning(store):
    sid = ids(store)[0]
    review.save(store, sid, "fr", GOOD, who="boris", expected_version=1, terminology=TERMS)
    with pytest.raises(ConflictError):
        review.approve(store, sid, "fr", "Autre chose.", 1, who="anna", terminology=TERMS)


def test_context_gives_renderings_flags_in_words_and_history(store):
    sid = ids(store)[0]
    c = review.context(store, sid, "fr", TERMS)
    assert [r["target"] for r in c["renderings"]] == [
        "Bureau de lutte contre le terrorisme",
        "Assemblée générale",
    ]
    assert (
        "missing term: United Nations Office of Counter-Terrorism → Bureau de lutte contre le terrorisme"
        in [f["text"] for f in c["flags"]]
    )
    assert '<mark class="term' in c["source_html"] and [h["version"] for h in c["history"]] == [1]


def test_restore_makes_an_old_text_current_as_a_new_version(store):
    sid = ids(store)[0]
    review.save(store, sid, "fr", GOOD, who="anna", expected_version=1, terminology=TERMS)
    t = review.restore(store, sid, "fr", 1, 2, who="anna", terminology=TERMS)
    assert (t.text, t.version, t.status) == ("Le Bureau fera rapport.", 3, Status.REVIEWED)
    with pytest.raises(ConflictError):
        review.restore(store, sid, "fr", 2, 2, who="anna", terminology=TERMS)


def test_split_cuts_the_target_where_told_and_sends_other_languages_back(store):
    first = ids(store)[1]
    french = "La séance est levée à 13 heures, dit la Présidente."
    store.put_translation(first, "fr", french, origin=Origin.MT, status=Status.TRANSLATED, expected_version=1)
    store.put_translation(first, "es", "Se levanta la sesión a la 1, dijo la Presidenta.", origin=Origin.MT,
                          status=Status.TRANSLATED)  # fmt: skip
    source = store.segment_source(first)[0]
    cut = len("La séance est levée à 13 heures,")
    at = source.index(" said") + 1
    a, b = review.split(store, first, at, lang="fr", target_cut=cut, expected_version=2, who="anna",
                        terminology=TERMS)  # fmt: skip
    assert (store.translation(a, "fr").text, store.translation(b, "fr").text) == (
        "La séance est levée à 13 heures,", "dit la Présidente.")  # fmt: skip
    assert {f.code for f in store.flags(store.translation(b, "fr").id)} <= {"length", "punctuation"}
    es = store.translation(a, "es")
    assert es.status == Status.DRAFT and "split" in {f.code for f in store.flags(es.id)}
    assert store.translation(b, "es") is None


def test_find_and_replace_ignores_accents_and_case_and_undoes_as_one_operation(store):
    assert (
        review.replace_in("Le BUREAU et le bureau, l'Été.", "bureau", "Bureau")
        == "Le Bureau et le Bureau, l'Été."
    )
    assert review.replace_in("l'Été et l'ete", "ETE", "hiver") == "l'hiver et l'hiver"
    changes = review.replace_preview(store, 1, "fr", "BUREAU", "Bureau de lutte contre le terrorisme")
    assert [c.number for c in changes] == [1, 2]
    undo, report = review.replace_apply(store, "fr", [(c.segment_id, c.version, c.new) for c in changes],
                                        who="anna", terminology=TERMS)  # fmt: skip
    assert report.saved == ids(store) and all(
        store.translation(i, "fr").text == "Le Bureau de lutte contre le terrorisme fera rapport."
        for i in ids(store)
    )
    review.replace_apply(store, "fr", undo, who="anna", terminology=TERMS)
    assert all(store.translation(i, "fr").text == "Le Bureau fera rapport." for i in ids(store))


def test_aligned_human_translations_are_not_listed_as_sources(tmp_path):
    files = {}
    for lang, text in (("en", EN), ("fr", FR)):
        files[lang] = tmp_path / f"speech.{lang}.txt"
        files[lang].write_text(text, encoding="utf-8")
    db = tmp_path / "wb.db"
    assert (
        main(["align", str(files["en"]), str(files["fr"]), "--lang", "fr", "--no-mt", "--store", str(db)])
        == 0
    )
    other = tmp_path / "other.fr.txt"
    other.write_text("Merci, Monsieur le Président.\n", encoding="utf-8")
    with Store(db) as store:
        ingest.ingest_file(store, other, "fr")
        names = [d["name"] for d in review.source_documents(store)]
    assert names == ["speech.en.txt", "other.fr.txt"]


def test_merge_checks_the_joined_translations_again(store):
    first = ids(store)[0]
    review.save(store, first, "fr", GOOD, who="anna", expected_version=1, terminology=TERMS)
    assert "numbers" not in {f.code for f in store.flags(store.translation(first, "fr").id)}
    translations.merge(store, first, who="anna", terminology=TERMS)
    t = store.translation(first, "fr")
    assert t.status == Status.DRAFT and t.text == GOOD + " Le Bureau fera rapport."
    assert "numbers" in {f.code for f in store.flags(t.id)}  # the source's "1 p.m." is missing now


def test_editor_errors_reach_the_page_as_messages_and_bad_payloads_reach_the_log(tmp_path, caplog):
    from types import SimpleNamespace

    from ui.editor import Editor

    Store(tmp_path / "wb.db").close()
    editor = Editor(SimpleNamespace(store_path=tmp_path / "wb.db", terminology=None))
    assert editor.call({"op": "nope"}, None) == {"error": "unknown action 'nope'"}
    with caplog.at_level("ERROR", logger="workbench.editor"):
        assert "not one of the six" in editor.call({"op": "load", "doc": 1, "lang": "de"}, None)["error"]
        assert "no document" in editor.call({"op": "load", "doc": 99, "lang": "fr"}, None)["error"]
        assert not caplog.records  # a user's mistake is a message, not a server error
        bad = editor.call({"op": "load", "doc": "first", "lang": "fr"}, None)
    assert bad == {"error": "the server could not carry out 'load' (ValueError); see its log"}
    assert [r.exc_info[0] for r in caplog.records] == [ValueError]
