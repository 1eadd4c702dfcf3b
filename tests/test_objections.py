from __future__ import annotations

import numpy as np
import pytest

from mining.embed import embed_texts
from mining.errors import NotFittedError
from mining.objections import FEATURES, ObjectionDetector


def _score(det, texts, model="hash"):
    return det.transform(texts, embed_texts(texts, model=model, progress=False))


@pytest.mark.parametrize("text", [
    "It's not too expensive.",
    "The price isn't an issue for us.",
    "Budget is fine, the cost isn't too much.",
    "We're not worried about the migration.",
])
def test_objections_negated_and_hedged_cues_do_not_count(hash_detector, text):
    row = _score(hash_detector, [text]).iloc[0]
    assert not row["cue"]
    assert all(c["negated"] for c in row["evidence"]["cues"])
    assert not row["is_objection"]


@pytest.mark.parametrize(("text", "category"), [
    ("Honestly, it's too expensive for a shop our size.", "price"),
    ("We can't afford it this year.", "price"),
    ("I need to check with my business partner first.", "authority"),
    ("We already use another provider.", "competitor"),
    ("Please stop emailing me, not interested.", "not_interested"),
    ("A two-year contract is too long, we don't want to be locked in.", "contract"),
])
def test_objections_cue_sentences_are_objections_of_their_category(hash_detector, text, category):
    row = _score(hash_detector, [text]).iloc[0]
    assert row["cue"] and row["is_objection"]
    assert row["category"] == category
    assert row["probability"] > 0.8


def test_objections_plain_questions_are_not_objections(hash_detector):
    rows = _score(hash_detector, ["Can we book a demo on Tuesday?", "Thanks, that helps!"])
    assert not rows["is_objection"].any()


def test_objections_probability_is_monotone_in_the_evidence(hash_detector):
    det = hash_detector
    cue, negated, sim, margin, semantic, _question = (FEATURES.index(f) for f in FEATURES)
    assert min(det.coef_[cue], det.coef_[sim], det.coef_[margin], det.coef_[semantic]) >= 0
    assert det.coef_[negated] <= -3.0
    base = np.array([[0.0, 0.0, 0.3, 0.0, 0.0, 0.0]])
    grid = np.repeat(base, 5, axis=0)
    grid[:, sim] = np.linspace(0.1, 0.9, 5)
    grid[:, margin] = np.linspace(-0.2, 0.4, 5)
    grid[:, semantic] = np.linspace(-2.0, 2.0, 5)
    p = det._proba(grid)
    assert np.all(np.diff(p) >= 0)
    with_cue, negated_only = base.copy(), base.copy()
    with_cue[0, cue] = 1.0
    negated_only[0, negated] = 1.0
    assert det._proba(with_cue)[0] > det._proba(base)[0] > det._proba(negated_only)[0]
    assert 0.0 < p.min() and p.max() < 1.0


def test_objections_fit_is_honest_about_held_out_examples(hash_detector):
    tr = hash_detector.training_
    assert tr["n_positive"] >= 12 * 15 and tr["n_negative"] >= 40
    assert 0.0 <= tr["false_positive_rate_loo"] < 0.5 and 0.3 < tr["recall_loo"] <= 1.0


def test_objections_refuse_to_transform_unfitted():
    with pytest.raises(NotFittedError):
        ObjectionDetector(embedder="hash").transform(["x"], np.zeros((1, 256), np.float32))


def test_objections_save_load_roundtrip(hash_detector, tmp_path):
    texts = ["That's way over our budget.", "Sounds good, see you then."]
    before = _score(hash_detector, texts)
    hash_detector.save(tmp_path / "det")
    assert (tmp_path / "det" / "meta.json").is_file()
    assert not list((tmp_path / "det").glob("*.pkl"))
    loaded = ObjectionDetector.load(tmp_path / "det")
    after = _score(loaded, texts)
    np.testing.assert_allclose(after["probability"], before["probability"], rtol=1e-6)
    assert after["category"].tolist() == before["category"].tolist()


@pytest.mark.slow
def test_objections_real_model_finds_objections_without_cues(st_detector, st_embedder):
    objections = ["Honestly that is a lot more money than we hoped to put into this.",
                  "We'd rather not commit to anything until the summer."]
    fine = ["Could you tell me which plan includes the calendar app?",
            "Money isn't really the problem for us."]
    rows = st_detector.transform(objections + fine, embed_texts(objections + fine,
                                                                model=st_embedder))
    assert rows["is_objection"].tolist() == [True, True, False, False]
    assert rows["category"].tolist()[:2] == ["price", "timing"]


@pytest.mark.parametrize(("text", "expected"), [
    ("how long does it take", True),
    ("Can I pay later?", True),
    ("It's too expensive.", False),
    ("can't afford it right now", False),
])
def test_objections_question_feature_sees_casual_questions(text, expected):
    from mining.objections import is_question

    assert is_question(text) is expected


@pytest.mark.parametrize("text", [
    "Can you tell me your opening hours?",
    "Please send the signed order form to our accounts team.",
    "We'd like to start with the smaller package.",
])
def test_objections_requests_for_information_are_not_objections(hash_detector, text):
    row = _score(hash_detector, [text]).iloc[0]
    assert not row["cue"]
    assert not row["is_objection"]


@pytest.mark.parametrize(("text", "category"), [
    ("That's more than we budgeted.", "price"),
    ("Why should I pay that much for a check-up?", "price"),
    ("We don't want to be locked into a long contract.", "contract"),
    ("The price is fine, but the setup looks complicated.", "implementation"),
])
def test_objections_stated_concerns_count_even_as_questions(hash_detector, text, category):
    row = _score(hash_detector, [text]).iloc[0]
    assert row["cue"] and row["is_objection"]
    assert row["category"] == category


def test_objections_reassurance_does_not_count_another_clauses_cue(hash_detector):
    rows = _score(hash_detector, [
        "Security isn't a blocker, we just need the certificate for our files.",
        "Budget is fine, we only need the data protection form.",
    ])
    assert not rows["cue"].any()
    assert not rows["is_objection"].any()


def test_objections_asking_weight_only_lowers_the_probability(hash_detector):
    q = FEATURES.index("question")
    assert hash_detector.coef_[q] <= 0


@pytest.mark.parametrize(("text", "expected"), [
    ("Please send the contract", True),
    ("We'd like to start a trial.", True),
    ("kindly confirm the booking", True),
    ("It's too expensive.", False),
    ("We never asked for this.", False),
])
def test_objections_is_request_sees_questions_requests_and_wishes(text, expected):
    from mining.objections import is_request

    assert is_request(text) is expected


@pytest.mark.slow
def test_objections_real_model_questions_and_closes_are_not_objections(st_detector,
                                                                       st_embedder):
    fine = ["Can you tell me your opening hours?", "I'll think about it and get back to you.",
            "Okay, that puts my mind at ease.", "My bike chain keeps slipping on hills."]
    concerns = ["That's more than we budgeted.",
                "I need more information before I can commit to anything."]
    rows = st_detector.transform(fine + concerns, embed_texts(fine + concerns,
                                                              model=st_embedder))
    assert rows["is_objection"].tolist() == [False] * 4 + [True] * 2
    assert rows["category"].tolist()[4:] == ["price", "information"]
