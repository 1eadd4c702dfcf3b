"""ThemeModel: fit/transform agreement, determinism, persistence, granularity, outliers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mining.errors import InputError, NotFittedError
from mining.themes import ThemeModel
from mining.themes.cluster import assign, auto_min_size, merge_closest
from mining.themes.focus import focus_text
from mining.themes.represent import class_tfidf, short_label

TOPICS = {
    "refund": "refund money return order",
    "password": "password reset login account",
    "delivery": "parcel delivery courier late",
    "invoice": "invoice billing vat receipt",
    "cancel": "cancel subscription contract end",
    "upgrade": "upgrade premium plan features",
}


def blobs(n_topics: int = 4, per: int = 20, dim: int = 24, noise: float = 0.08, seed: int = 0):
    """Well separated unit-vector clusters with texts that name their topic."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_topics, dim))
    names = list(TOPICS)[:n_topics]
    X, texts, y = [], [], []
    for t in range(n_topics):
        words = TOPICS[names[t]].split()
        for i in range(per):
            X.append(centres[t] + rng.normal(scale=noise * np.sqrt(dim), size=dim) * 0.3)
            texts.append(f"I have a question about the {words[i % 4]} and the {words[(i + 1) % 4]}")
            y.append(t)
    X = np.asarray(X, dtype=np.float32)
    return texts, X / np.linalg.norm(X, axis=1, keepdims=True), np.asarray(y)


def fit(texts, X, **kw):
    kw.setdefault("reducer", "pca")
    return ThemeModel(**kw).fit(texts, vectors=X)


def test_themes_fit_finds_separated_topics_and_transform_agrees():
    texts, X, y = blobs()
    m = fit(texts, X)
    assert len(m.themes_) == 4
    # every topic maps to exactly one theme
    assert all(len(set(m.labels_[y == t])) == 1 for t in range(4))
    ids, probs = m.assign(texts, X)
    np.testing.assert_array_equal(ids, m.labels_)
    np.testing.assert_allclose(probs, m.probabilities_)
    assert ((probs > 0) & (probs <= 1)).all()
    assert list(m.themes_.columns) == ["theme_id", "kind", "label", "taxonomy_category",
                                       "keywords", "size", "examples", "parent_theme_id",
                                       "parent_label"]
    assert m.themes_["size"].sum() == (m.labels_ >= 0).sum()


def test_themes_deterministic_for_a_seed():
    texts, X, _ = blobs(noise=0.3)
    a, b = fit(texts, X, seed=7), fit(texts, X, seed=7)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.themes_.equals(b.themes_)


def test_themes_save_load_round_trip(tmp_path):
    texts, X, _ = blobs()
    m = fit(texts, X, kind="objection", min_theme_size=6)
    m.save(tmp_path / "model")
    files = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert files == ["centroids.npy", "coarse_themes.json", "config.json", "mean.npy",
                     "meta.json", "themes.json"]
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert meta["library"] == "journeymine" and meta["version"]
    loaded = ThemeModel.load(tmp_path / "model")
    assert loaded.get_params() == m.get_params()
    assert loaded.themes_.equals(m.themes_)
    assert loaded.coarse_themes_.equals(m.coarse_themes_)
    ids, probs = loaded.assign(texts, X)
    np.testing.assert_array_equal(ids, m.labels_)
    np.testing.assert_allclose(probs, m.probabilities_)
    # no training text is stored beyond the themes' examples
    stored = (tmp_path / "model" / "config.json").read_text()
    assert not any(t in stored for t in texts)


def test_themes_load_rejects_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(InputError, match=r"\[E301\]"):
        ThemeModel.load(tmp_path)


def test_themes_unfitted_model_refuses_to_transform():
    with pytest.raises(NotFittedError, match=r"\[E300\]"):
        ThemeModel().transform(["hello"], np.ones((1, 4)))
    with pytest.raises(NotFittedError, match=r"\[E300\]"):
        ThemeModel().save("unused")


def test_themes_too_few_texts_and_mismatched_vectors():
    with pytest.raises(InputError, match=r"\[E302\]"):
        ThemeModel(reducer="pca").fit(["a b", ""], vectors=np.ones((2, 4)))
    with pytest.raises(InputError, match=r"\[E304\]"):
        ThemeModel(reducer="pca").fit(["a", "b", "c"], vectors=np.ones((2, 4)))


@pytest.mark.parametrize("target", [2, 3, 6])
def test_themes_n_themes_target_is_respected(target):
    texts, X, _ = blobs(n_topics=6, per=15)
    m = fit(texts, X, n_themes=target)
    assert len(m.themes_) == target


def test_themes_outlier_threshold_leaves_far_items_unassigned():
    texts, X, _ = blobs()
    rng = np.random.default_rng(3)
    far = rng.normal(size=(1, X.shape[1])).astype(np.float32)
    strict = fit(texts, X, threshold=0.9)
    ids, probs = strict.assign(["something else entirely"], far)
    assert ids[0] == -1 and probs[0] == 0.0
    lenient = fit(texts, X, threshold=-1.0)
    ids, _ = lenient.assign(["something else entirely"], far)
    assert ids[0] >= 0


def test_themes_empty_texts_are_unassigned():
    texts, X, _ = blobs()
    texts = ["", *texts[1:]]
    m = fit(texts, X)
    assert m.labels_[0] == -1 and m.probabilities_[0] == 0.0
    ids, _ = m.assign(["   "], X[:1])
    assert ids[0] == -1


def test_themes_keywords_exclude_stop_words():
    from spacy.lang.en.stop_words import STOP_WORDS

    texts, X, y = blobs()
    m = fit(texts, X)
    for kws in m.themes_["keywords"]:
        words = {w for kw in kws.split(", ") for w in kw.split()}
        assert words and not words & STOP_WORDS
    # the keywords of a theme name its topic
    first = m.themes_.iloc[0]
    members = y[m.labels_ == first["theme_id"]]
    topic_words = set(TOPICS[list(TOPICS)[int(np.bincount(members).argmax())]].split())
    assert set(first["keywords"].split(", ")[0].split()) <= topic_words


def test_themes_class_tfidf_prefers_distinctive_terms():
    lemmas = [["refund", "order"], ["refund", "order"], ["password", "order"], ["password"]]
    kws = class_tfidf(lemmas, np.array([0, 0, 1, 1]), [0, 1], top_n=3)
    assert kws[0][0] in ("refund", "refund order") and kws[1][0] == "password"
    assert "refund order" in kws[0]  # bigram seen in two items of the theme


def test_themes_short_label_joins_bigrams():
    assert short_label(["password", "reset", "reset password", "account"]) == \
        "reset password / account"
    assert short_label([]) == ""


def test_themes_merge_closest_and_assign():
    X = np.eye(3, dtype=np.float32)[[0, 0, 1, 1, 2, 2]]
    X[4:] = [0.9, 0.1, 0.0]
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    merged = merge_closest(X, np.array([0, 0, 1, 1, 2, 2]), until=2)
    assert len(set(merged)) == 2 and merged[0] == merged[4]
    ids, probs = assign(X, np.eye(3, dtype=np.float32)[:2], threshold=0.5)
    assert list(ids) == [0, 0, 1, 1, 0, 0] and probs.max() <= 1.0


def test_themes_auto_min_size_grows_slowly():
    assert auto_min_size(100) == 9 and auto_min_size(1000) == 14 and auto_min_size(100_000) == 23
    assert auto_min_size(10) == 5


@pytest.mark.parametrize(("text", "expected"), [
    ("Hi, my name is Ann Lee. Thanks for taking my call. I need to change my address.",
     "I need to change my address."),
    ("Hello there! I want to cancel my plan, thanks!", "I want to cancel my plan!"),
    ("There was a fee when I paid.  Why?", "There was a fee when I paid. Why?"),
    ("this is about my bill", "this is about my bill"),
    ("I'm looking for a cheaper plan", "I'm looking for a cheaper plan"),
    ("hi", "hi"),
])
def test_themes_focus_text_drops_conversational_filler(text, expected):
    assert focus_text(text) == expected


@pytest.mark.slow
def test_themes_real_model_recovers_hand_written_intents(themes_real_fit):
    from sklearn.metrics import adjusted_rand_score

    texts, intents, vectors, model = themes_real_fit
    assert 3 <= len(model.themes_) <= 6
    assigned = model.labels_ >= 0
    assert assigned.mean() >= 0.9
    ari = adjusted_rand_score(np.asarray(intents)[assigned], model.labels_[assigned])
    assert ari >= 0.6
    ids, _ = model.assign(texts, vectors)
    np.testing.assert_array_equal(ids, model.labels_)
    # a new message lands in the theme of its intent
    new_ids, _ = model.assign(["my refund has still not arrived, I want my money back"])
    refund_theme = np.bincount(model.labels_[np.asarray(intents) == "refund"] + 1).argmax() - 1
    assert new_ids[0] == refund_theme
    labels = " ".join(model.themes_["label"])
    assert "password" in labels and "refund" in labels


def _greeting_corpus():
    """Topic blobs whose first topic's customers all greet or thank an agent by name."""
    texts, X, y = blobs()
    greet = ["Hi Jordan, ", "Thanks Jordan! ", "Jordan, ", "hi jordan ", "Dear Sam, "]
    texts = [greet[i % len(greet)] + t + " as Jordan said" if y[i] == 0 else t
             for i, t in enumerate(texts)]
    return texts, X, y


def test_themes_names_never_in_keywords_labels_or_examples():
    texts, X, y = _greeting_corpus()
    m = fit(texts, X)  # no author list: names are found from how texts address people
    for col in ("keywords", "label", "examples"):
        shown = " ".join(m.themes_[col]).lower()
        assert "jordan" not in shown and "sam" not in shown, col
    # the greeted theme still names its topic, and its examples show a placeholder
    row = m.themes_[m.themes_["theme_id"] == int(np.bincount(m.labels_[y == 0]).argmax())].iloc[0]
    assert set(row["label"].replace(" / ", " ").split()) <= set(TOPICS["refund"].split())
    assert "<NAME>" in row["examples"]


def test_themes_author_names_and_emails_are_excluded():
    texts, X, y = blobs()
    texts = [t + (" Priya approved it" if i % 2 else " ask novak") for i, t in enumerate(texts)]
    m = ThemeModel(reducer="pca").fit(texts, vectors=X, authors=["Priya Novak <p.novak@x.example>",
                                                                 "Will Smith"])
    shown = " ".join(m.themes_["keywords"]).lower() + " " + " ".join(m.themes_["label"]).lower()
    assert "priya" not in shown and "novak" not in shown
    assert "approved" in shown  # the other words of those sentences remain


def test_themes_find_names_rules():
    from mining.themes.names import find_names, mask_names

    names = find_names(["Hi Jordan, the price is high", "thanks sam", "I met Sam today",
                        "hi team, thanks again", "sorry gonig quiet", "Best, Priya",
                        "Marta Nowak here", "We use NetSuite and Xero",
                        "Which is best, Xero or Sage?", "Hi Acme team, a question",
                        "Priya has Tuesday 11am free", "my colleague Dana will check"],
                       ["Marta <marta@ledger.example>", "Will Irwin"])
    assert {"jordan", "sam", "priya", "marta", "nowak", "dana"} <= names
    # common words, typos never written capitalised and product names are not names
    assert not names & {"team", "again", "gonig", "netsuite", "xero", "will", "price", "acme"}
    assert mask_names("Will, I will call Jordan", names, {"will"}) == \
        "<NAME>, I will call <NAME>"


def test_themes_corpus_rows_carry_people_not_bots(tmp_path):
    from mining.themes.run import read_corpus_rows

    rows = [{"message_id": f"m{i}", "conversation_id": "c1", "journey_id": "ann@x.example",
             "timestamp": f"2025-09-01T14:{i:02d}:00+00:00", "channel": "chat", "role": role,
             "author": author, "text": text}
            for i, (role, author, text) in enumerate([
                ("bot", "Acme Bot", "Someone will reply soon."),
                ("customer", "Ann Lee", "Hi Jordan, is there a discount?"),
                ("agent", "Jordan Ellis", "Hi Ann, yes for annual plans.")])]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    got, _ = read_corpus_rows([path], "intent")
    assert got["message_id"].tolist() == ["m1"]
    assert sorted(got.attrs["authors"]) == ["Ann Lee", "Jordan Ellis"]


def test_themes_vectors_are_rounded_so_float_noise_does_not_matter():
    from mining.themes.cluster import VECTOR_DECIMALS, canonical

    texts, X, _ = blobs(noise=0.3)
    noisy = X + np.random.default_rng(1).uniform(-1e-7, 1e-7, X.shape).astype(np.float32)
    a, b = canonical(X), canonical(noisy)
    assert a.dtype == np.float32 and np.allclose(a, X, atol=10.0 ** -VECTOR_DECIMALS)
    assert (a != b).any(axis=1).mean() < 0.05  # only components on a rounding boundary move
    m1, m2 = fit(texts, X), fit(texts, noisy)
    np.testing.assert_array_equal(m1.labels_, m2.labels_)
    assert m1.themes_.equals(m2.themes_)


def test_canonical_in_blocks_equals_the_whole_array_at_once(monkeypatch):
    """canonical() works a block of rows at a time to save memory; the numbers must be those
    of scaling and rounding the whole array in float64 in one go."""
    from mining.themes import cluster

    X = np.random.default_rng(3).normal(size=(1000, 24)).astype(np.float32)
    X[7] = 0.0  # a zero row stays zero
    whole = cluster.unit(X.astype(np.float64))
    whole = np.round(whole, cluster.VECTOR_DECIMALS).astype(np.float32)
    monkeypatch.setattr(cluster, "CANONICAL_BLOCK", 37)  # blocks that do not divide 1,000
    got = cluster.canonical(X)
    assert got.dtype == np.float32 and got.shape == X.shape
    np.testing.assert_array_equal(got, whole)
    assert not got[7].any()


@pytest.mark.slow
def test_themes_same_texts_same_themes_whatever_the_batching(st_embedder, themes_real_fit):
    """On torch the real model embeds a text slightly differently in another batch (padding);
    the int8 ONNX backend runs each text alone, so its vectors do not move at all. Either way
    the cache history must not change the themes."""
    texts, _, vectors, model = themes_real_fit
    other = np.asarray(st_embedder.encode(model.focus(texts)[::-1], batch_size=7))[::-1]
    if st_embedder.backend == "torch":
        assert not np.array_equal(other, vectors)  # the batching does change the last bits
    else:
        np.testing.assert_array_equal(other, vectors)
    refit = ThemeModel(min_theme_size=5).fit(texts, vectors=other)
    np.testing.assert_array_equal(refit.labels_, model.labels_)
    assert refit.themes_.equals(model.themes_)
