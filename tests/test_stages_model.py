"""The stage classifier as a scikit-learn estimator, the stage order, the flat-stage warning,
single-session chats with the real model, and a whole run with a renamed four-stage taxonomy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mining.errors import ConfigError, NotFittedError
from mining.journeys import build_journeys
from mining.schema import conform
from mining.stage_sequence import fit_transitions
from mining.stages import StageTagger, stage_warnings, training_examples
from mining.taxonomy import load_taxonomy, stage_order

RENAMED = ("discover", "evaluate", "buy", "use")


@pytest.fixture(scope="module")
def hash_tagger():
    return StageTagger(embedder="hash").fit()


def _chat(texts_roles, journey="c1", step_s=40):
    t0 = pd.Timestamp("2026-02-01 10:00", tz="UTC")
    rows = [dict(message_id=f"{journey}-{i}", conversation_id=journey, journey_id=journey,
                 timestamp=t0 + pd.Timedelta(seconds=step_s * i), channel="chat", role=r,
                 author=r, text=t, clean_text=t, source="test")
            for i, (r, t) in enumerate(texts_roles)]
    return conform(pd.DataFrame(rows), "messages")


def test_stages_model_is_a_sklearn_estimator(hash_tagger):
    from sklearn.base import clone

    params = hash_tagger.get_params()
    assert params["embedder"] == "hash" and params["C"] == 4.0
    fresh = clone(hash_tagger)
    assert fresh.get_params() == params
    assert not hasattr(fresh, "coef_")
    with pytest.raises(NotFittedError):
        fresh.predict_proba(["How much is it?"])
    proba = hash_tagger.predict_proba(["How much is it?", "ok", "I'll take it"])
    assert proba.shape == (3, len(hash_tagger.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(hash_tagger.classes_) == load_taxonomy().stages.names
    assert hash_tagger.predict(["hello"]).shape == (1,)
    tuned = clone(hash_tagger).set_params(C=0.5).fit()
    assert tuned.C == 0.5 and tuned.coef_.shape == hash_tagger.coef_.shape


def test_stages_model_fits_the_users_labels_too(hash_tagger):
    text = "zorblax quindle frobnicate"
    before = hash_tagger.predict([text])[0]
    target = "retention" if before != "retention" else "awareness"
    tuned = StageTagger(embedder="hash").fit([text] * 5, [target] * 5)
    assert tuned.predict([text])[0] == target
    with pytest.raises(ConfigError, match="E530"):
        StageTagger(embedder="hash").fit(["hi"], ["nope"])


def test_stages_model_training_examples_cover_customer_agent_and_neutral():
    tf = load_taxonomy().stages
    texts, labels, is_cust = training_examples(tf)
    k = len(tf.names)
    for i in range(k):
        assert np.sum((labels == i) & is_cust) >= 50
        assert np.sum((labels == i) & ~is_cust) >= 10
    assert np.sum(labels == k) >= 40  # neutral
    assert len(texts) == len(set(zip(texts, is_cust.tolist(), strict=True)))


def test_stages_model_neutral_messages_do_not_pick_a_stage(hash_tagger):
    proba = hash_tagger.predict_proba(["ok", "Thanks!"])
    assert proba.max() < 0.5


def test_stages_fit_transitions_counts_moves_by_kind():
    msgs = _chat([("customer", "a"), ("agent", "b"), ("customer", "c"), ("customer", "d")])
    j = build_journeys(msgs)
    est = fit_transitions(j, ["awareness", "awareness", "consideration", "consideration"],
                          list(stage_order().names), min_move=0.01)
    assert est["counts"] == {"same_session": 2, "new_session": 0, "other_roles": 1}
    assert est["forward"] > est["skip"] and est["stay"] > est["back"]
    assert max(est["start"], key=est["start"].get) == "awareness"
    assert abs(sum(est["start"].values()) - 1.0) < 0.01


def test_stages_warning_when_one_stage_holds_nearly_everything():
    flat = pd.DataFrame({"stage": ["awareness"] * 95 + ["decision"] * 5,
                         "stage_confidence": [0.9] * 100})
    notes = stage_warnings(flat, list(stage_order().names))
    assert len(notes) == 1 and "[W510]" in notes[0] and "95%" in notes[0]
    assert "--events" in notes[0] and "converted_at" in notes[0] and "--taxonomy" in notes[0]
    spread = pd.DataFrame({"stage": ["awareness", "consideration", "decision", "purchase"] * 25,
                           "stage_confidence": [0.9] * 100})
    assert stage_warnings(spread) == []
    assert stage_warnings(flat.head(10)) == []  # too few messages to say


def test_stages_warning_when_a_stage_is_unsure():
    tags = pd.DataFrame({"stage": ["awareness", "consideration"] * 50,
                         "stage_confidence": [0.9, 0.3] * 50})
    notes = stage_warnings(tags)
    assert len(notes) == 1 and "[W511]" in notes[0] and "'consideration'" in notes[0]


def test_stages_report_notice_says_so_at_the_top():
    from mining.reports.html import build_report_html

    tags = pd.DataFrame({"message_id": [f"m{i}" for i in range(40)],
                         "journey_id": [f"j{i // 4}" for i in range(40)],
                         "timestamp": pd.Timestamp("2026-01-01", tz="UTC"),
                         "role": "customer", "stage": "awareness", "stage_confidence": 0.8,
                         "is_objection": False})
    page = build_report_html(conform(tags, "tags"), None, {})
    notice = page.index('class="notice"')
    assert notice < page.index('class="kpis"') and "[W510]" in page


def _renamed_taxonomy(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cats = {
        "discover": ["Hi, I just found your site, what do you do?",
                     "Hello, a friend told me about you.", "Who are you exactly?"],
        "evaluate": ["How much does it cost?", "Does it work with our accounting tool?",
                     "What's the difference between the plans?"],
        "buy": ["I'll take it, send the invoice.", "We signed the contract.",
                "Payment sent, thanks."],
        "use": ["How do I add a user to my account?", "The app crashed after the update.",
                "I want to renew for another year."],
    }
    doc = {"kind": "stages", "description": "A four-stage journey.", "conversion_stage": "buy",
           "post_conversion_stage": "use",
           "categories": {k: {"description": f"The {k} stage.", "examples": v}
                          for k, v in cats.items()}}
    (folder / "stages.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return folder


def test_stages_order_comes_from_the_taxonomy(tmp_path):
    from mining.config import Settings
    from mining.reports import _data
    from mining.reports.journey_views import stage_order as view_order

    folder = _renamed_taxonomy(tmp_path / "tax")
    order = stage_order(folder)
    assert order.names == RENAMED and order.conversion == "buy" and order.post_conversion == "use"
    assert order.rank("evaluate") == 1 and order.rank("awareness") == -1
    settings = Settings()
    settings.tagging.taxonomy_dir = folder
    labels = pd.Series(["use", "discover", "buy", "evaluate"])
    assert _data.stage_order(labels, settings) == list(RENAMED)
    assert _data.post_conversion_stage(settings) == "use"
    tags = pd.DataFrame({"journey_id": ["j"] * 4, "stage": ["use", "buy", "evaluate", "discover"]})
    assert view_order(tags, list(RENAMED)) == list(RENAMED)


# ------------------------------------------------------------------ slow: the real model

@pytest.fixture(scope="module")
def st_tagger(st_embedder):
    return StageTagger(embedder=st_embedder).fit()


NEGOTIATION = [
    ("customer", "Hi there, I saw your listing for the road bike."),
    ("agent", "Hello! Yes, it's still available."),
    ("customer", "How much are you asking for it, and what condition is it in?"),
    ("agent", "It's 450, in great condition, serviced last month."),
    ("customer", "Hmm, that's more than I wanted to spend. Would you take 350?"),
    ("agent", "I could do 400 if you pick it up yourself."),
    ("customer", "OK, deal, I'll take it at 400. I can pay cash tomorrow."),
    ("agent", "Great, see you tomorrow at 6."),
]


@pytest.mark.slow
def test_stages_a_single_session_chat_moves_through_the_stages():
    """On the fp32 (torch) vectors, which are the same on every CPU: int8 arithmetic differs
    between CPUs with and without VNNI, and this chat's price question sits at the boundary of
    consideration and decision. The int8 backend's stage quality on real data is measured by
    ``benchmarks/embed_backend_quality.py``."""
    from mining.embed import embed_texts, get_embedder

    fp32 = get_embedder("all-MiniLM-L6-v2", "torch")
    tagger = StageTagger(embedder=fp32).fit()
    j = build_journeys(_chat(NEGOTIATION))
    out = tagger.transform(j, embed_texts(j["clean_text"].tolist(), model=fp32, progress=False,
                                          cache=False))
    ranks = [tagger.stages_.index(s) for s in out["stage"]]
    assert len(set(ranks)) >= 3, out["stage"].tolist()
    assert ranks == sorted(ranks), out["stage"].tolist()
    assert out["stage"].iloc[0] == "awareness"
    assert ranks[-1] >= tagger.stages_.index("decision")


@pytest.mark.slow
def test_stages_text_alone_tells_support_from_buying(st_tagger):
    pred = st_tagger.predict(["Where can I find a local agent near me?",
                              "How much would it cost to insure my van?",
                              "I'd like to sign up for the family plan today.",
                              "I need to report a claim for a broken window."])
    assert pred.tolist() == ["awareness", "consideration", "purchase", "retention"]


@pytest.mark.slow
def test_stages_whole_run_with_a_renamed_four_stage_taxonomy(tmp_path, st_embedder):
    from mining.config import Settings
    from mining.io.corpus import corpus_from_frames
    from mining.io.eventlog import to_event_log
    from mining.pipeline import run

    folder = _renamed_taxonomy(tmp_path / "tax")
    frames = []
    for n in range(2):  # few messages: no themes are fitted (UMAP is not what this tests)
        frames.append(_chat(NEGOTIATION, journey=f"c{n}"))
    msgs = pd.concat(frames, ignore_index=True)
    outcomes = pd.DataFrame({"journey_id": ["c0", "c1"], "converted": [True, False]})
    corpus = corpus_from_frames(msgs[["message_id", "conversation_id", "journey_id",
                                      "timestamp", "channel", "role", "text"]],
                                outcomes=outcomes)
    settings = Settings()
    settings.embed.model = "all-MiniLM-L6-v2"
    res = run(corpus, tmp_path / "out", settings=settings, taxonomy_dir=folder, progress=False)
    names = list(RENAMED)
    used = set(res.tags["stage"].dropna())
    assert used and used <= set(names)
    assert len(used) >= 2
    funnel = pd.read_csv(tmp_path / "out" / "reports" / "funnel.csv")
    assert [s for s in funnel["stage"] if not str(s).startswith("(")] == names
    for name in ("objections", "paths"):
        df = pd.read_csv(tmp_path / "out" / "reports" / f"{name}.csv")
        text = df.to_string()
        for old in ("awareness", "consideration", "retention"):
            assert old not in text
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    heads = [page.index(f"<h3>{s}</h3>") for s in names if f"<h3>{s}</h3>" in page]
    assert heads == sorted(heads) and len(heads) == len(used)
    assert "<h3>awareness</h3>" not in page
    log = to_event_log(res.tags)
    assert set(log["stage"].dropna()) <= set(names)
    saved = pd.read_parquet(tmp_path / "out" / "tags.parquet")
    assert set(saved["stage"].dropna()) <= set(names)


def test_stages_reports_without_the_taxonomy_order_foreign_labels_by_position():
    from mining.reports import _data

    tags = pd.DataFrame({"journey_id": ["a"] * 4 + ["b"] * 3,
                         "stage": ["discover", "evaluate", "buy", "use",
                                   "discover", "evaluate", "buy"]})
    assert _data.stage_order(tags) == list(RENAMED)
    mixed = pd.DataFrame({"journey_id": ["a", "a"], "stage": ["awareness", "custom"]})
    assert _data.stage_order(mixed)[:5] == list(stage_order().names)
    assert _data.stage_order(mixed)[-1] == "custom"
