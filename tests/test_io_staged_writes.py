"""Every command that writes a file or folder writes it whole or not at all (issue 15).

An interrupt (KeyboardInterrupt) is raised in the middle of writing, after part of a file is
on disk; the previous output must stay byte for byte, with no temporary or staging file left
beside it. Folder outputs (``themes -o``, ``report all -o``) are interrupted at a later file, so
an earlier file of the new output was already complete: it must not have replaced the old one.
Links inside an output are replaced by regular files, never written through.
"""

from __future__ import annotations

import pandas as pd
import pytest
from _handmade import handmade_tables, write_mini_corpus
from typer.testing import CliRunner

import mining.io.eventlog
from mining.cli import app

FAST = ["--embedder", "hash", "--reducer", "pca"]


@pytest.fixture()
def interrupt_csv(monkeypatch):
    """Make the ``n``-th ``DataFrame.to_csv`` call (1-based) write half a file and be interrupted
    (once: later calls write normally)."""
    real = pd.DataFrame.to_csv

    def arm(n: int = 1) -> None:
        calls = {"n": 0}

        def to_csv(self, path_or_buf=None, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] < n:
                return real(self, path_or_buf, *args, **kwargs)
            half = real(self.head(max(len(self) // 2, 1)), None, *args, **kwargs)
            if hasattr(path_or_buf, "write"):
                path_or_buf.write(half)
            else:
                with open(path_or_buf, "w", encoding="utf-8") as fh:
                    fh.write(half)
            monkeypatch.setattr(pd.DataFrame, "to_csv", real)  # once
            raise KeyboardInterrupt

        monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)

    return arm


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _no_leftovers(*folders):
    for folder in folders:
        names = [p.name for p in folder.iterdir()]
        assert not [n for n in names if n.startswith(".")], names


def _invoke(*args):
    return CliRunner().invoke(app, ["--no-progress", *args])


def _interrupted(*args):
    res = _invoke(*args)
    assert res.exit_code == 130, res.output  # Ctrl-C: README "Exit codes"


@pytest.fixture()
def tables(tmp_path):
    t = handmade_tables(30, seed=3)
    t["tags"].to_parquet(tmp_path / "tags.parquet", index=False)
    t["outcomes"].to_csv(tmp_path / "outcomes.csv", index=False)
    return tmp_path / "tags.parquet", tmp_path / "outcomes.csv"


def test_io_staged_writes_validate_rejects_out(tmp_path, interrupt_csv):
    src = tmp_path / "in.jsonl"
    src.write_text('{"message_id": "a", "text": "fine"}\n' + "not json\n" * 40)
    out = tmp_path / "res" / "rejects.csv"
    out.parent.mkdir()
    assert _invoke("validate", str(src), "--rejects-out", str(out)).exit_code == 0
    before = out.read_bytes()
    interrupt_csv(1)
    _interrupted("validate", str(src), "--rejects-out", str(out))
    assert out.read_bytes() == before
    _no_leftovers(out.parent)


def test_io_staged_writes_validate_rejects_out_replaces_a_link(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("not json\n")
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("keep me\n")
    (tmp_path / "out").mkdir()
    link = tmp_path / "out" / "rejects.csv"
    link.symlink_to(elsewhere)
    assert _invoke("validate", str(src), "--rejects-out", str(link)).exit_code == 0
    assert elsewhere.read_text() == "keep me\n"
    assert not link.is_symlink() and "E110" in link.read_text()


def test_io_staged_writes_themes_folder(tmp_path, interrupt_csv):
    data = write_mini_corpus(tmp_path / "in", n_journeys=8)
    out = tmp_path / "themes"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("keep me\n")
    (out / "themes.csv").symlink_to(elsewhere)
    args = ["themes", str(data["chats"]), *FAST, "--min-theme-size", "3", "-o", str(out)]
    res = _invoke(*args)
    assert res.exit_code == 0, res.output  # the link is replaced, its target untouched
    assert not (out / "themes.csv").is_symlink() and elsewhere.read_text() == "keep me\n"
    before = _snapshot(out)
    assert {"themes.csv", "assignments.csv", "model/config.json"} <= set(before)
    interrupt_csv(2)  # the new themes.csv is complete, assignments.csv is interrupted
    _interrupted(*args[:-4], "--min-theme-size", "4", "-o", str(out))
    assert _snapshot(out) == before
    _no_leftovers(out, tmp_path)


def test_io_staged_writes_report_all_folder_and_one_report(tables, tmp_path, interrupt_csv):
    tags, outcomes = tables
    out = tmp_path / "reports"
    res = _invoke("report", "all", "--tags", str(tags), "--outcomes", str(outcomes),
                  "-o", str(out))
    assert res.exit_code == 0, res.output
    before = _snapshot(out)
    assert len([n for n in before if n.endswith(".csv")]) >= 5
    interrupt_csv(3)  # two new reports complete, the third interrupted
    _interrupted("report", "all", "--tags", str(tags), "--outcomes", str(outcomes),
                 "-o", str(out))
    assert _snapshot(out) == before
    _no_leftovers(out, tmp_path)
    one = tmp_path / "funnel.csv"
    assert _invoke("report", "funnel", "--tags", str(tags), "--outcomes", str(outcomes),
                   "-o", str(one)).exit_code == 0
    first = one.read_bytes()
    interrupt_csv(1)
    _interrupted("report", "funnel", "--tags", str(tags), "--outcomes", str(outcomes),
                 "-o", str(one))
    assert one.read_bytes() == first
    _no_leftovers(tmp_path)


@pytest.mark.parametrize(("kind", "fmt"), [("eventlog", "csv"), ("tags", "csv"), ("xes", "xes")])
def test_io_staged_writes_export(tables, tmp_path, interrupt_csv, monkeypatch, kind, fmt):
    tags, outcomes = tables
    out = tmp_path / "exp" / f"x.{fmt}"
    args = ["export", kind, "--tags", str(tags), "--outcomes", str(outcomes), "-f", fmt,
            "-o", str(out)]
    assert _invoke(*args).exit_code == 0
    before = out.read_bytes()
    if fmt == "xes":  # interrupt after a few traces were written
        real, calls = mining.io.eventlog._xes_attr, {"n": 0}

        def attr(*a, **k):
            calls["n"] += 1
            if calls["n"] > 50:
                raise KeyboardInterrupt
            return real(*a, **k)

        monkeypatch.setattr(mining.io.eventlog, "_xes_attr", attr)
    else:
        interrupt_csv(1)
    _interrupted(*args)
    assert out.read_bytes() == before
    _no_leftovers(out.parent)


def _assert_interrupt_keeps_file(args, out, interrupt_csv):
    """Run once, then interrupt a rerun while writing: the first run's file stays byte for byte."""
    res = _invoke(*args)
    assert res.exit_code == 0, res.output
    before = out.read_bytes()
    interrupt_csv(1)
    _interrupted(*args)
    assert out.read_bytes() == before
    _no_leftovers(out.parent)


def test_io_staged_writes_predict(tables, tmp_path, interrupt_csv):
    tags, outcomes = tables
    out = tmp_path / "scores" / "scores.csv"
    args = ["predict", "--tags", str(tags), "--outcomes", str(outcomes), "-o", str(out)]
    _assert_interrupt_keeps_file(args, out, interrupt_csv)


def test_io_staged_writes_label(tmp_path, interrupt_csv):
    data = write_mini_corpus(tmp_path / "in", n_journeys=8)
    out = tmp_path / "lab" / "labels.csv"
    args = ["label", str(data["chats"]), *FAST, "-n", "10", "-o", str(out)]
    _assert_interrupt_keeps_file(args, out, interrupt_csv)
