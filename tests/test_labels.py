from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mining.cli import app
from mining.errors import InputError
from mining.labels import LABEL_COLUMNS, read_labels, select_uncertain_diverse


def _write(path, rows, header="message_id,is_objection,category"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_labels_read_accepts_yes_no_words_and_counts_blank_rows(tmp_path):
    f = _write(tmp_path / "l.csv", ["m1,yes,price", "m2,NO,", "m3,,", "m4,1,other", "m5,false,"])
    labels, blank = read_labels(f, known_ids=["m1", "m2", "m3", "m4", "m5"],
                                categories=["price", "timing"])
    assert blank == 1
    assert labels["message_id"].tolist() == ["m1", "m2", "m4", "m5"]
    assert labels["is_objection"].tolist() == [True, False, True, False]
    assert labels["category"].tolist() == ["price", "", "other", ""]


@pytest.mark.parametrize(("rows", "header", "code"), [
    (["m1,yes"], "message_id,label", "E511"),
    (["m1,yes,", "m9,no,", "m8,yes,"], None, "E512"),
    (["m1,maybe,", "m2,no,"], None, "E513"),
    (["m1,yes,pricing", "m2,no,"], None, "E514"),
    (["m1,,", "m2,,"], None, "E515"),
    (["m1,yes,", "m2,yes,"], None, "E515"),
])
def test_labels_bad_files_give_numbered_errors(tmp_path, rows, header, code):
    f = _write(tmp_path / "l.csv", rows, header or "message_id,is_objection,category")
    with pytest.raises(InputError, match=rf"\[{code}\]") as err:
        read_labels(f, known_ids=["m1", "m2"], categories=["price", "timing"])
    if code in ("E512", "E513", "E514"):
        assert "rows 2" in str(err.value) or "rows 3" in str(err.value)


def test_labels_missing_file_is_a_numbered_error(tmp_path):
    with pytest.raises(InputError, match=r"\[E511\]"):
        read_labels(tmp_path / "nope.csv")


def test_labels_selection_is_one_uncertain_typical_row_per_kind_of_message():
    rng = np.random.default_rng(0)
    centers = 10 * rng.normal(size=(4, 8))
    vectors = np.vstack([c + 0.01 * rng.normal(size=(25, 8)) for c in centers])
    prob = np.r_[np.linspace(0.0, 0.3, 25), np.linspace(0.9, 1.0, 25),
                 np.linspace(0.2, 0.6, 25), np.full(25, 0.99)]
    picks = select_uncertain_diverse(prob, vectors, 4)
    assert sorted(int(p) // 25 for p in picks) == [0, 1, 2, 3]  # one from each kind, even
    # the confident one; within a kind, the most uncertain of its typical half
    unc = 1 - np.abs(2 * prob - 1)
    for pick in picks:
        group = np.arange(25) + 25 * (int(pick) // 25)
        d = ((vectors[group] - vectors[group].mean(axis=0)) ** 2).sum(axis=1)
        near = group[np.argsort(d)[:12]]
        assert unc[pick] == unc[near].max()
    assert unc[picks].tolist() == sorted(unc[picks].tolist(), reverse=True)  # most unsure first
    again = select_uncertain_diverse(prob, vectors, 4)
    assert picks.tolist() == again.tolist()  # seeded: the same file twice
    assert len(select_uncertain_diverse(prob[:3], vectors[:3], 5)) == 3

CHAT = []
for i, colour in enumerate(["red", "blue", "green", "oak", "pine", "white", "black", "grey",
                            "teal", "navy", "plum", "sand"]):
    CHAT += [(f"c{i}", "agent", f"Here are the photos of the {colour} table."),
             (f"c{i}", "customer", f"the {colour} one has a wobbly leg"),
             (f"c{i}", "agent", "It's 80, can pick up any day."),
             (f"c{i}", "customer", f"the {colour} one arrived today, thanks")]


@pytest.fixture(scope="module")
def chats(tmp_path_factory):
    d = tmp_path_factory.mktemp("label_in")
    t0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    lines = [json.dumps({"message_id": f"m{i}", "conversation_id": conv, "role": role,
                         "timestamp": (t0 + pd.Timedelta(minutes=i)).isoformat(), "text": text})
             for i, (conv, role, text) in enumerate(CHAT)]
    (d / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d / "chats.jsonl"


def test_labels_round_trip_label_fill_tag_changes_the_labelled_kind(chats, tmp_path):
    runner = CliRunner()
    out = tmp_path / "labels.csv"
    res = runner.invoke(app, ["--no-progress", "label", str(chats), "-n", "10", "-o", str(out),
                              "--embedder", "hash"])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == list(LABEL_COLUMNS) and len(table) == 10
    assert (table["is_objection"] == "").all() and table["agent_turn_before"].ne("").all()
    # a person fills it in: a wobbly leg is an objection to this table, an arrival is not
    wobbly = table["text"].str.contains("wobbly")
    table["is_objection"] = np.where(wobbly, "yes", "no")
    table.loc[wobbly, "category"] = "feature"
    table.loc[table.index[-1], "is_objection"] = ""  # one left blank
    table.to_csv(out, index=False)
    assert wobbly.sum() >= 2 and (~wobbly).sum() >= 2

    plain, taught = tmp_path / "plain", tmp_path / "taught"
    for folder, extra in ((plain, []), (taught, ["--labels", str(out)])):
        res = runner.invoke(app, ["--no-progress", "tag", str(chats), "-o", str(folder),
                                  "--embedder", "hash", "--reducer", "pca", *extra])
        assert res.exit_code == 0, res.output
    assert "taught with" in res.output and "1 blank row" in res.output
    # the corpus's other customer messages were given to self-train on
    config = json.loads((taught / "model" / "objections" / "config.json").read_text())
    n_customer = sum(role == "customer" for _, role, _ in CHAT)
    assert config["labels"]["unlabelled"] == n_customer - 9  # 9 filled rows, 1 blank
    assert f"self-trained on {n_customer - 9} unlabelled" in res.output
    before = pd.read_parquet(plain / "tags.parquet").set_index("message_id")
    after = pd.read_parquet(taught / "tags.parquet").set_index("message_id")
    kind = [f"m{i}" for i, (_, role, text) in enumerate(CHAT) if "wobbly" in text]
    assert (after.loc[kind, "objection_probability"]
            > before.loc[kind, "objection_probability"]).all()
    assert after.loc[kind, "is_objection"].all()

    # the model saved with labels reloads and gives the same tags
    again = tmp_path / "again"
    res = runner.invoke(app, ["--no-progress", "tag", str(chats), "-o", str(again),
                              "--embedder", "hash", "--reducer", "pca",
                              "--model", str(taught / "model")])
    assert res.exit_code == 0, res.output
    reloaded = pd.read_parquet(again / "tags.parquet").set_index("message_id")
    pd.testing.assert_series_equal(reloaded["is_objection"], after["is_objection"])
    np.testing.assert_allclose(reloaded["objection_probability"].astype(float),
                               after["objection_probability"].astype(float), rtol=1e-9)


def test_labels_cli_bad_label_file_is_one_line_with_exit_code_2(chats, tmp_path):
    bad = _write(tmp_path / "bad.csv", ["m1,perhaps,"])
    res = CliRunner().invoke(app, ["--no-progress", "tag", str(chats), "-o", str(tmp_path / "o"),
                                   "--embedder", "hash", "--labels", str(bad)])
    assert res.exit_code == 2 and "[E513]" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["--no-progress", "label", str(chats), "-n", "0", "-o",
                                   str(tmp_path / "x.csv"), "--embedder", "hash"])
    assert res.exit_code == 2 and "[E516]" in res.output
