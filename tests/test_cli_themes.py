"""``journeymine themes``: the output contract, ids, empty rows, saved models, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from mining.cli import app

FAST = ["--embedder", "hash", "--reducer", "pca"]

ROWS = [
    *[(f"r{i}", f"I want a refund for my order, the {w} arrived broken") for i, w in
      enumerate(["lamp", "chair", "blender", "kettle", "desk", "phone", "radio", "fan"])],
    *[(f"p{i}", f"I forgot my password and the reset link for my {w} login fails")
      for i, w in enumerate(["shop", "app", "web", "mobile", "admin", "email", "store", "main"])],
    *[(f"d{i}", f"Where is my parcel? The delivery to {w} is late")
      for i, w in enumerate(["Paris", "Rome", "Oslo", "Lima", "Kyiv", "Quito", "Hanoi", "Bern"])],
]


@pytest.fixture()
def table(tmp_path):
    df = pd.DataFrame(ROWS, columns=["ticket", "body"])
    extra = pd.DataFrame([("e1", ""), ROWS[0]], columns=["ticket", "body"])
    path = tmp_path / "tickets.csv"
    pd.concat([df, extra]).to_csv(path, index=False)
    return path


def run(*args: str):
    return CliRunner().invoke(app, ["--no-progress", "themes", *args])


def test_cli_themes_writes_the_output_contract(table, tmp_path):
    out = tmp_path / "out"
    res = run(str(table), "--text-column", "body", "--id-column", "ticket", "-o", str(out), *FAST)
    assert res.exit_code == 0, res.output
    a = pd.read_csv(out / "assignments.csv", keep_default_na=False)
    assert list(a.columns) == ["message_id", "theme_id", "theme_label", "probability", "note"]
    assert len(a) == len(ROWS) + 2  # one row per input row, duplicates and empty text included
    assert a["message_id"].tolist() == [r[0] for r in ROWS] + ["e1", "r0"]
    empty = a[a["message_id"] == "e1"].iloc[0]
    assert empty["theme_id"] == -1 and "empty" in empty["note"]
    dups = a[a["message_id"] == "r0"]
    assert len(dups) == 2 and dups["theme_id"].nunique() == 1
    assert dups["note"].str.contains("duplicate").all()
    t = pd.read_csv(out / "themes.csv")
    assert list(t.columns)[:5] == ["theme_id", "label", "size", "keywords", "examples"]
    assert len(t) == 3 and t["size"].sum() == (a["theme_id"] >= 0).sum()
    # each hand-made topic lands in one theme
    for prefix in "rpd":
        assert a[a["message_id"].str.startswith(prefix)]["theme_id"].nunique() == 1
    assert (out / "model" / "config.json").is_file()
    assert "themes" in res.stdout and "refund" in res.stdout


def test_cli_themes_without_id_column_numbers_rows(table, tmp_path):
    out = tmp_path / "out"
    res = run(str(table), "--text-column", "body", "-o", str(out), *FAST)
    assert res.exit_code == 0, res.output
    a = pd.read_csv(out / "assignments.csv", dtype={"message_id": str})
    assert a["message_id"].tolist() == [str(i) for i in range(len(ROWS) + 2)]


def test_cli_themes_jsonl_and_saved_model_reassign_the_same_themes(tmp_path):
    path = tmp_path / "utterances.jsonl"
    path.write_text("\n".join(json.dumps({"utterance_id": i, "utterance": t}) for i, t in ROWS))
    out = tmp_path / "fit"
    res = run(str(path), "--text-column", "utterance", "--id-column", "utterance_id",
              "-o", str(out), *FAST)
    assert res.exit_code == 0, res.output
    again = tmp_path / "again"
    res = run(str(path), "--text-column", "utterance", "--id-column", "utterance_id",
              "--model", str(out / "model"), "-o", str(again))
    assert res.exit_code == 0, res.output
    first = pd.read_csv(out / "assignments.csv")
    second = pd.read_csv(again / "assignments.csv")
    pd.testing.assert_series_equal(first["theme_id"], second["theme_id"])
    assert not (again / "model").exists()


def test_cli_themes_themes_option_sets_the_number_of_themes(table, tmp_path):
    out = tmp_path / "out"
    res = run(str(table), "--text-column", "body", "--themes", "2", "-o", str(out), *FAST)
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out / "themes.csv")) == 2


@pytest.mark.parametrize(("args", "code"), [
    (["--text-column", "nope"], "E306"),
    (["--id-column", "ticket"], "E307"),
    (["--text-column", "body", "--kind", "mood"], "E002"),
])
def test_cli_themes_errors_are_one_line_with_exit_code_2(table, tmp_path, args, code):
    res = run(str(table), *args, "-o", str(tmp_path / "out"), *FAST)
    assert res.exit_code == 2
    assert code in res.output and "Traceback" not in res.output


def test_cli_themes_missing_model_folder(table, tmp_path):
    res = run(str(table), "--text-column", "body", "--model", str(tmp_path), "-o",
              str(tmp_path / "o"))
    assert res.exit_code == 2 and "E301" in res.output


def test_cli_themes_objection_kind_themes_objection_units(tmp_path):
    texts = ["Hi. It is too expensive for us.", "The price is way too high.",
             "Honestly it costs too much.", "We can't afford it right now, too expensive.",
             "That is more than our budget allows.", "Too expensive, sorry.",
             "What are your opening hours?", "Can you send me the invoice?"]
    path = tmp_path / "in.csv"
    pd.DataFrame({"text": texts}).to_csv(path, index=False)
    out = tmp_path / "out"
    res = run(str(path), "--text-column", "text", "--kind", "objection",
              "--min-theme-size", "3", "-o", str(out), *FAST)
    assert res.exit_code == 0, res.output
    a = pd.read_csv(out / "assignments.csv", keep_default_na=False)
    assert len(a) == len(texts)
    assert ((a["theme_id"] >= 0) | (a["note"] != "")).all()
    assert (a["theme_id"] >= 0).sum() >= 2
    assert pd.read_csv(out / "themes.csv")["kind"].eq("objection").all()
