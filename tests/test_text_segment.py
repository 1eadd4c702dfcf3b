from __future__ import annotations

import pandas as pd
import pytest

from mining.errors import ConfigError
from mining.schema import check
from mining.text.segment import get_nlp, lemmatize, segment


def _messages(texts, roles=None):
    n = len(texts)
    return pd.DataFrame({
        "message_id": [f"m{i}" for i in range(n)],
        "role": roles or ["customer"] * n,
        "clean_text": pd.array(texts, dtype="string"),
    })


def test_text_segment_offsets_point_into_clean_text():
    msgs = _messages(["  Hi!  I'm not sure the pricing works for us.\n\nWe were charged twice. ",
                      "Can you call me back? My number is <PHONE>."])
    units = segment(msgs)
    assert check(units, "units") == []
    assert units["unit_id"].tolist() == ["m0:0", "m0:1", "m0:2", "m1:0", "m1:1"]
    assert units["text"].tolist()[:3] == ["Hi!", "I'm not sure the pricing works for us.",
                                         "We were charged twice."]
    source = dict(zip(msgs["message_id"], msgs["clean_text"], strict=True))
    for u in units.itertuples():
        assert source[u.message_id][u.start:u.end] == u.text


def test_text_segment_skips_empty_and_whitespace_messages():
    msgs = _messages(["", "   \n\t ", None, "Real question here?"])
    units = segment(msgs)
    assert units["message_id"].tolist() == ["m3"]
    assert units["unit_id"].tolist() == ["m3:0"]


def test_text_segment_no_messages_gives_empty_units_table():
    units = segment(_messages([]))
    assert len(units) == 0
    assert check(units, "units") == []


def test_text_segment_filters_roles():
    msgs = _messages(["Too expensive.", "We can offer a discount.", "OK then."],
                     roles=["customer", "agent", "customer"])
    units = segment(msgs, roles=["customer"])
    assert units["message_id"].tolist() == ["m0", "m2"]


def test_text_segment_role_filter_needs_role_column():
    msgs = _messages(["Hello."]).drop(columns=["role"])
    with pytest.raises(ConfigError, match="E203"):
        segment(msgs, roles=["customer"])


def test_text_segment_falls_back_to_text_column():
    msgs = pd.DataFrame({"message_id": ["a"], "text": ["One. Two."]})
    assert segment(msgs)["text"].tolist() == ["One.", "Two."]


def test_text_segment_without_text_column_names_the_columns():
    with pytest.raises(ConfigError, match="E202.*body"):
        segment(pd.DataFrame({"message_id": ["a"], "body": ["x"]}))


def test_text_segment_unknown_spacy_pipeline_is_a_config_error():
    with pytest.raises(ConfigError, match="E201.*no_such_pipeline_xyz"):
        get_nlp("no_such_pipeline_xyz")


def test_text_segment_pipeline_is_cached_per_process():
    assert get_nlp() is get_nlp("")
    assert {"sentencizer", "lemmatizer"} <= set(get_nlp().pipe_names)


def test_text_segment_lemmatize_removes_stop_words_numbers_and_placeholders():
    out = lemmatize(["We were charged TWICE for 3 cards, mail me at <EMAIL>!", None, "!!! 42"])
    assert out[0] == ["charge", "twice", "card", "mail"]
    assert out[1] == [] and out[2] == []


def test_text_segment_lemmatize_keeps_one_list_per_text_in_order():
    texts = ["The prices are too high", "Shipping takes weeks"] * 300
    out = lemmatize(texts)
    assert len(out) == len(texts)
    assert out[0] == ["price", "high"] and out[1] == ["ship", "week"]
    assert out[-1] == out[1]
