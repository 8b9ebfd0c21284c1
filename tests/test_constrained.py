"""Constrained decoding: every enforced term in every output, for any model, in batches, with beams."""

from __future__ import annotations

import pytest
import regex
import torch
from conftest import training_sentences
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import langs
from workbench.mt.constrained import DONE, Automaton, Report, constrained_beam_search
from workbench.mt.engine import load
from workbench.mt.registry import ModelSpec
from workbench.mt.synthetic import build_m2m100, build_marian

# Terms with several words, overlapping each other, sharing prefixes; per target language.
POOL = {
    "fr": ["BLT", "DECT", "Comité contre le terrorisme", "Direction exécutive du Comité contre le terrorisme",
           "Nations Unies", "Organisation des Nations Unies", "États Membres", "État Membre",
           "société civile", "Société civile", "droits de l'homme", "Secrétaire général",
           "Secrétaire général adjoint"],
    "ru": ["КТУ ООН", "Организации Объединенных Наций", "государства-члены", "государств-членов",
           "Генеральный секретарь", "Генерального секретаря", "Интерпол", "Интерпола"],
    "zh": ["反恐办", "联合国", "联合国反恐怖主义办公室", "会员国", "秘书长", "副秘书长", "反恐执行局"],
    "ar": ["الأمم المتحدة", "مكتب الأمم المتحدة لمكافحة الإرهاب", "لمكتب الأمم المتحدة لمكافحة الإرهاب",
           "الدول الأعضاء", "للدول الأعضاء", "الأمين العام"],
    "es": ["DECT", "UNOCT", "Estados Miembros", "Naciones Unidas", "sociedad civil", "Secretario General"],
}  # fmt: skip
MARIAN_TOKEN = {"zh": ">>cmn_Hans<<", "ar": ">>ara<<"}


def _models(tmp_path_factory):
    root = tmp_path_factory.mktemp("constrained")
    sentences = training_sentences(core_terms=True)
    return [
        ("marian", build_marian(root / "m1", sentences, target_tokens=list(MARIAN_TOKEN.values()), seed=3)),
        ("marian", build_marian(root / "m2", sentences, vocab_size=360, d_model=16, heads=2,
                                target_tokens=list(MARIAN_TOKEN.values()), seed=4)),
        ("m2m100", build_m2m100(root / "m3", sentences, seed=5)),
        ("m2m100", build_m2m100(root / "m4", sentences, vocab_size=360, d_model=16, seed=6)),
    ]  # fmt: skip


_LOADED: list = []


def loaded(tmp_path_factory):
    if not _LOADED:
        for kind, folder in _models(tmp_path_factory):
            _LOADED.append(load(ModelSpec(str(folder), kind)))
    return _LOADED


def contains(text: str, form: str, lang: str) -> bool:
    """The form as text, as whole words in spaced scripts (no word piece glued on either side)."""
    if not langs.get(lang).spaced:
        return form in text
    return bool(regex.search(rf"(?<!\w){regex.escape(form)}(?!\w)", text))


def test_automaton_tracks_alternatives_and_false_starts():
    auto = Automaton([[1, 2, 3], [1, 2, 4, 5], [7]])
    assert auto.min_len == 1
    node = auto.step(0, 1)
    node = auto.step(node, 2)
    assert auto.togo[node] == 1
    node = auto.step(node, 1)  # false start: "1 2 1" falls back to having read "1"
    assert auto.depth[node] == 1
    assert auto.step(auto.step(node, 2), 3) == DONE
    assert auto.step(0, 7) == DONE
    overlapping = Automaton([[5, 5, 6]])
    node = 0
    for tok in (5, 5, 5):
        node = overlapping.step(node, tok)
    assert overlapping.step(node, 6) == DONE  # "5 5 5 6" contains "5 5 6"


def test_a_short_form_on_the_failure_chain_is_the_quicker_way_to_finish():
    # "Direction exécutive du…" begun, yet "▁BLT" (its first piece shared) still finishes sooner
    auto = Automaton([[7, 8, 9, 10, 11, 12], [8, 13]])
    node = auto.step(auto.step(0, 7), 8)
    assert auto.depth[node] == 2  # the longest match: two tokens into the long form
    assert (auto.togo[node], auto.plan[node]) == (1, 13)
    assert auto.step(node, 13) == DONE
    assert all(auto.togo[n] <= auto.min_len for n in range(len(auto.togo)))  # a restart is never worse


@pytest.mark.slow  # 300 cases: half an hour on a busy 2-core machine
@settings(
    max_examples=300, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(data=st.data())
def test_every_enforced_term_is_in_every_output(tmp_path_factory, data):
    models = loaded(tmp_path_factory)
    sentences = training_sentences(core_terms=True)
    model = data.draw(st.sampled_from(models), label="model")
    tgt = data.draw(st.sampled_from(sorted(POOL)), label="tgt")
    if model.spec.kind == "marian":
        model.spec = ModelSpec(model.spec.model, "marian", MARIAN_TOKEN.get(tgt))
    size = data.draw(st.integers(1, 8), label="batch")
    texts = data.draw(st.lists(st.sampled_from(sentences), min_size=size, max_size=size), label="texts")
    pool = POOL[tgt]
    constraints = [
        data.draw(
            st.lists(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True), max_size=4),
            label=f"terms {i}",
        )
        for i in range(size)
    ]
    if data.draw(st.booleans(), label="repeat a term"):
        constraints[0] = constraints[0] + constraints[0][:1]
    beam = data.draw(st.integers(1, 5), label="beam")
    max_length = data.draw(st.integers(3, 40), label="max_length")
    outputs = {}
    for batch in model.translate(texts, "en", tgt, beam=beam, max_length=max_length, batch_size=size,
                                 constraints=constraints):  # fmt: skip
        for i, text, dropped in zip(batch.indices, batch.texts, batch.dropped, strict=True):
            assert not dropped, "every pool term can be spelled by the tiny vocabularies"
            outputs[i] = text
    assert sorted(outputs) == list(range(size))
    for i, terms in enumerate(constraints):
        for forms in terms:
            assert any(contains(outputs[i], f, tgt) for f in forms), (outputs[i], forms)


def test_target_language_token_is_never_displaced(tmp_path_factory):
    model = next(m for m in loaded(tmp_path_factory) if m.spec.kind == "m2m100")
    texts = ["Member States and civil society.", "Thank you."]
    prepared, kwargs = model.prepare(texts, "en", "ru")
    enc = model.tokenizer(prepared, return_tensors="pt", padding=True)
    ids = [[model.term_ids(["государства-члены"], "ru")], [model.term_ids(["КТУ ООН"], "ru")]]
    report = Report()
    out = model.model.generate(
        **enc, num_beams=3, max_new_tokens=20, custom_generate=constrained_beam_search,
        constraints=ids, glued_tokens=model.glued_tokens, report=report, **kwargs,
    )  # fmt: skip
    ru = model.tokenizer.get_lang_id("ru")
    assert out[:, 1].tolist() == [ru, ru]  # position 0: decoder start, 1: the forced language token
    assert len(report.forced) == 2


def test_forms_the_vocabulary_cannot_spell_are_dropped_and_reported(tmp_path_factory):
    model = loaded(tmp_path_factory)[0]
    model.spec = ModelSpec(model.spec.model, "marian", None)
    assert model.term_ids(["ΩΨΦ"], "fr") == []  # unknown characters would come back as <unk>
    (batch,) = model.translate(["Thank you."], "en", "fr", constraints=[[["ΩΨΦ"], ["BLT"]]], max_length=10)
    assert batch.dropped == [{0}]
    assert contains(batch.texts[0], "BLT", "fr")


def test_unconstrained_inputs_decode_as_plain_beam_search(tmp_path_factory):
    model = loaded(tmp_path_factory)[0]
    model.spec = ModelSpec(model.spec.model, "marian", None)
    texts = ["Thank you.", "Member States."]
    batches = model.translate(texts, "en", "fr", max_length=12)
    plain = {i: t for b in batches for i, t in zip(b.indices, b.texts, strict=True)}
    enc = model.tokenizer(texts, return_tensors="pt", padding=True)
    ours = model.model.generate(
        **enc, num_beams=4, max_new_tokens=12, custom_generate=constrained_beam_search,
        constraints=[[], []], glued_tokens=None,
    )  # fmt: skip
    decoded = [model.tokenizer.decode(r, skip_special_tokens=True) for r in ours]
    assert torch.equal(torch.tensor([len(d) > 0 for d in decoded]), torch.tensor([True, True]))
    assert [" ".join(d.split()) for d in decoded] == [plain[0], plain[1]]


def test_the_referent_gender_decides_which_title_form_is_forced(tmp_path_factory):
    from workbench.glossary import load_all
    from workbench.termmatch import Terminology

    terms = Terminology(load_all())
    model = loaded(tmp_path_factory)[0]
    model.spec = ModelSpec(model.spec.model, "marian", None)
    masculine, feminine = "Secrétaire général adjoint", "Secrétaire générale adjointe"
    sources = [
        "Remarks by Mr. Vladimir Voronkov, Under-Secretary-General.",
        "Remarks by Ms. Rosemary DiCarlo, Under-Secretary-General.",
        "Remarks by the Under-Secretary-General.",
    ]
    constraints = [
        [forms for _, forms in terms.constraints(terms.expectations(s, "en", "fr"))] for s in sources
    ]
    assert constraints[0] == [[masculine]] and constraints[1] == [[feminine]]
    assert {masculine, feminine} <= set(constraints[2][0])  # no marker: the model chooses
    (batch,) = model.translate(sources, "en", "fr", beam=3, max_length=24, constraints=constraints)
    out = dict(zip(batch.indices, batch.texts, strict=True))
    assert contains(out[0], masculine, "fr") and not contains(out[0], feminine, "fr"), out[0]
    assert contains(out[1], feminine, "fr") and not contains(out[1], masculine, "fr"), out[1]
    assert contains(out[2], masculine, "fr") or contains(out[2], feminine, "fr"), out[2]
