import csv
import json

import pandas as pd
import pytest

from mining.errors import ConfigError
from mining.io.writers import csv_safe, meta_path, neutralise_cell, write_table


@pytest.mark.parametrize("cell, expected", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+1 555 0100", "'+1 555 0100"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-12.5", "-12.5"),  # a plain number: the spreadsheet reads a number, no formula possible
    ("+3", "+3"),
    ("1e-4", "1e-4"),
    ("price > value", "price > value"),
    ("Zoë says = fine", "Zoë says = fine"),
    (None, None),
    (3.5, 3.5),
])
def test_io_writers_neutralise_cell(cell, expected):
    assert neutralise_cell(cell) == expected


def test_io_writers_csv_injection_and_numbers_stay_numbers(tmp_path):
    df = pd.DataFrame({
        "quote": pd.Series(["=cmd|' /C calc'!A0", "ok", "-5", None], dtype="string"),
        "obj": ["@x", ["a", "b"], "+", "fine"],
        "lift": [-1.5, 2.0, float("nan"), 0.25],
        "n": [-3, 1, 2, 4],
        "flag": [True, False, True, False],
    })
    path = write_table(df, tmp_path / "r.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["quote", "obj", "lift", "n", "flag"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "'@x", "-1.5", "-3", "True"]
    assert rows[2][1] == '["a", "b"]'
    assert rows[3][:2] == ["-5", "'+"]
    back = pd.read_csv(path)
    assert back["lift"].dtype.kind == "f" and back["n"].dtype.kind == "i"
    assert back["lift"].iloc[0] == -1.5 and pd.isna(back["lift"].iloc[2])
    # the frame itself is not changed
    assert df["quote"].iloc[0].startswith("=")


def test_io_writers_header_cells_are_neutralised_too():
    df = pd.DataFrame({"=bad": [1]})
    assert list(csv_safe(df).columns) == ["'=bad"]


def test_io_writers_meta_side_file_traces_inputs(tmp_path):
    df = pd.DataFrame({"a": [1, 2]})
    df.attrs["as_of"] = "2024-03-01"
    p = write_table(df, tmp_path / "sub" / "funnel.csv",
                    metadata={"report": "funnel", "inputs": {"tags": "out/tags.parquet"},
                              "settings": {"cold_after_days": 14.0}})
    meta = json.loads(meta_path(p).read_text(encoding="utf-8"))
    assert meta_path(p).name == "funnel.meta.json"
    assert meta["rows"] == 2 and meta["columns"] == ["a"] and meta["format"] == "csv"
    assert meta["inputs"] == {"tags": "out/tags.parquet"} and meta["as_of"] == "2024-03-01"
    assert meta["settings"]["cold_after_days"] == 14.0 and meta["journeymine"]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "json"])
def test_io_writers_other_formats_round_trip(tmp_path, fmt):
    df = pd.DataFrame({"s": ["=x", "é"], "v": [1.5, -2.0],
                       "t": pd.to_datetime(["2024-01-01", None], utc=True)})
    p = write_table(df, tmp_path / f"x.{fmt}")
    if fmt == "parquet":
        back = pd.read_parquet(p)
        assert back["t"].iloc[0] == df["t"].iloc[0]
    else:
        back = pd.read_json(p, lines=fmt == "jsonl")
    # only CSV is neutralised: other formats carry data, not spreadsheet cells
    assert back["s"].tolist() == ["=x", "é"] and back["v"].tolist() == [1.5, -2.0]


def test_io_writers_unknown_format_and_bom(tmp_path):
    with pytest.raises(ConfigError, match="E603"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.xlsx")
    p = write_table(pd.DataFrame({"a": ["é"]}), tmp_path / "b.csv", bom=True, side_file=False)
    assert p.read_bytes().startswith(b"\xef\xbb\xbf")
    assert not meta_path(p).exists()


def test_io_writers_csv_in_pieces_is_the_same_file(tmp_path, monkeypatch):
    """Issue 14: large tables are written a piece at a time; the bytes do not change."""
    import pandas as pd

    from mining.io import writers

    df = pd.DataFrame({"id": [f"m{i}" for i in range(10)], "text": ["=SUM(A1)", "ok"] * 5,
                       "n": range(10),
                       "ts": pd.to_datetime(["2026-03-01T10:00:00Z"] * 9 + [None], utc=True)})
    writers.write_table(df, tmp_path / "one.csv", bom=True, side_file=False)
    monkeypatch.setattr(writers, "CSV_CHUNK_ROWS", 3)
    writers.write_table(df, tmp_path / "pieces.csv", bom=True, side_file=False)
    writers.write_table(df.iloc[:0], tmp_path / "empty.csv", side_file=False)
    assert (tmp_path / "pieces.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "one.csv").read_bytes().startswith(b"\xef\xbb\xbfid,text,n,ts\n")
    assert (tmp_path / "empty.csv").read_text() == "id,text,n,ts\n"
