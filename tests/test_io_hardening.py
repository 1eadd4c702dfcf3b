"""Regression tests for hostile inputs (issue 15): each failed on main before the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mining.cli import app
from mining.errors import InputError
from mining.io.corpus import corpus_from_frames, load_corpus
from mining.io.writers import neutralise_cell, write_table

runner = CliRunner()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def codes(corpus) -> list[str]:
    return corpus.rejects["code"].tolist()


def test_io_hardening_deep_jsonl_line_is_one_reject(tmp_path):
    deep = '{"text": ' + "[" * 1000 + "]" * 1000 + "}"
    path = write(tmp_path / "deep.jsonl", '{"text": "fine"}\n' + deep + "\n")
    corpus = load_corpus(path)
    assert len(corpus.messages) == 1 and codes(corpus) == ["E110"]
    assert corpus.reconciles()


def test_io_hardening_deep_json_array_element_is_one_reject(tmp_path):
    deep = '{"text": ' + "[" * 1000 + "]" * 1000 + "}"
    path = write(tmp_path / "deep.json", f'[{{"text": "a, b"}}, {deep}, {{"text": "c ]"}}]')
    corpus = load_corpus(path)
    assert corpus.messages["text"].tolist() == ["a, b", "c ]"]
    assert corpus.rejects[["record", "code"]].values.tolist() == [["2", "E110"]]


def test_io_hardening_deep_json_document_is_a_file_error(tmp_path):
    path = write(tmp_path / "deep.json", "{" + '"a":{' * 1000 + "}" * 1001)
    with pytest.raises(InputError, match="E102"):
        load_corpus(path)


def test_io_hardening_moderately_deep_record_is_rejected(tmp_path):
    nested = "[" * 80 + "]" * 80  # parses, but deeper than any message: never reaches the writers
    path = write(tmp_path / "n.jsonl", f'{{"text": "hi", "extra": {nested}}}\n')
    assert codes(load_corpus(path)) == ["E110"]


@pytest.mark.parametrize("field", ["text", "author", "conversation_id"])
def test_io_hardening_lone_surrogate_is_rejected(tmp_path, field):
    value = '"hi \\ud800"'
    rec = f'{{"text": {value}}}' if field == "text" else f'{{"text": "ok", "{field}": {value}}}'
    path = write(tmp_path / "s.jsonl", '{"text": "fine"}\n' + rec + "\n")
    corpus = load_corpus(path)
    assert codes(corpus) == ["E123"] and len(corpus.messages) == 1


def test_io_hardening_lone_surrogate_validate_exits_cleanly(tmp_path):
    path = write(tmp_path / "s.jsonl", '{"text": "hi \\ud800", "author": "a\\udc00"}\n')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "E123" in result.output


def test_io_hardening_unclosed_csv_quote_loses_one_row_only(tmp_path):
    rows = ["text,role"] + [
        (f'"row {i} never closed,customer' if i == 0 else f"row {i},customer") for i in range(51)
    ]
    path = write(tmp_path / "q.csv", "\n".join(rows) + "\n")
    corpus = load_corpus(path)
    assert corpus.n_read == 51 and len(corpus.messages) == 50
    assert corpus.rejects[["record", "code"]].values.tolist() == [["2", "E124"]]
    assert corpus.messages["text"].iloc[0] == "row 1"


def test_io_hardening_closed_multiline_quote_still_reads(tmp_path):
    path = write(tmp_path / "m.csv", 'text,role\n"line one\nline two",customer\nlast,agent\n')
    corpus = load_corpus(path)
    assert corpus.messages["text"].tolist() == ["line one\nline two", "last"]
    assert corpus.rejects.empty


def test_io_hardening_hidden_files_are_noted(tmp_path):
    write(tmp_path / "in" / "a.jsonl", '{"text": "hello there"}\n')
    write(tmp_path / "in" / ".x.jsonl", '{"text": "hidden"}\n')
    corpus = load_corpus(tmp_path / "in")
    assert len(corpus.messages) == 1
    assert any("W101" in n and ".x.jsonl" in n for n in corpus.notes)


def test_io_hardening_output_folder_inside_input_is_not_read_back(tmp_path):
    write(tmp_path / "in" / "a.jsonl", '{"text": "hello there"}\n')
    write(tmp_path / "in" / "out" / "tags.csv", "message_id,text\nm1,hello there\n")
    write(tmp_path / "in" / "out" / "run.json", json.dumps({"journeymine_run": 1}))
    corpus = load_corpus(tmp_path / "in")
    assert len(corpus.messages) == 1
    assert any("W102" in n for n in corpus.notes)


@pytest.mark.parametrize("ts", ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "1850-06-01"])
def test_io_hardening_far_years_are_out_of_range_not_malformed(tmp_path, ts):
    path = write(tmp_path / "y.jsonl", json.dumps({"text": "a", "timestamp": ts}) + "\n")
    corpus = load_corpus(path, timezone="Europe/Berlin")
    assert codes(corpus) == ["E126"]
    assert "outside the supported range" in corpus.rejects["reason"].iloc[0]


def test_io_hardening_far_years_in_events_and_outcomes(tmp_path):
    msgs = write(tmp_path / "m.jsonl", '{"text": "hi", "journey_id": "j1"}\n')
    ev = write(tmp_path / "events.csv", "journey_id,event_type,timestamp\nj1,visit,9999-01-01\n")
    oc = write(tmp_path / "outcomes.csv", "journey_id,converted,converted_at\nj1,yes,0001-01-01\n")
    assert codes(load_corpus(msgs, events=ev, outcomes=oc)) == ["E126", "E126"]


def test_io_hardening_json_null_is_noted(tmp_path):
    corpus = load_corpus(write(tmp_path / "n.json", "null"))
    assert corpus.n_read == 0 and any("W103" in n for n in corpus.notes)


def test_io_hardening_map_to_a_missing_column_is_noted(tmp_path):
    path = write(tmp_path / "m.csv", "text,role\nhello,customer\n")
    corpus = load_corpus(path, column_map={"text": "missing_col"})
    assert any("W104" in n and "missing_col" in n for n in corpus.notes)


@pytest.mark.parametrize("value", [["a", "b"], {"a": 1}, True])
def test_io_hardening_non_text_in_text_is_rejected(tmp_path, value):
    path = write(tmp_path / "t.jsonl", json.dumps({"text": value}) + "\n")
    corpus = load_corpus(path)
    assert codes(corpus) == ["E125"] and corpus.reconciles()


def test_io_hardening_frames_with_surrogates_and_lists(tmp_path):
    df = pd.DataFrame({"text": ["fine", "bad \ud800", ["x"]]})
    corpus = corpus_from_frames(df)
    assert sorted(codes(corpus)) == ["E123", "E125"] and corpus.reconciles()


@pytest.mark.parametrize("cell", ["\ufeff=1+1", "\u200b=HYPERLINK(\"x\")", " @SUM(A1)"])
def test_io_hardening_invisible_prefix_before_formula_is_neutralised(tmp_path, cell):
    assert neutralise_cell(cell).startswith("'")
    path = write_table(pd.DataFrame({"c": [cell]}), tmp_path / "x.csv", side_file=False)
    assert path.read_text(encoding="utf-8").splitlines()[1].lstrip('"').startswith("'")


def test_io_hardening_verbose_keeps_exit_code_3(tmp_path, monkeypatch):
    import mining.io.corpus

    def boom(*args, **kwargs):
        raise RuntimeError("planted bug")

    monkeypatch.setattr(mining.io.corpus, "load_corpus", boom)
    path = write(tmp_path / "a.jsonl", '{"text": "hi"}\n')
    plain = runner.invoke(app, ["validate", str(path)])
    verbose = runner.invoke(app, ["--verbose", "validate", str(path)])
    assert plain.exit_code == 3 and verbose.exit_code == 3
