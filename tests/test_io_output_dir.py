"""Atomic output folders (issue 15): never half-written, never written through links."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from _handmade import handmade_tables
from typer.testing import CliRunner

from mining import schema
from mining.cli import app
from mining.config import Settings
from mining.errors import InputError
from mining.io import output_dir
from mining.io.exports import read_tags
from mining.pipeline import RunResult, write_outputs
from mining.reports import run_reports


@pytest.fixture(scope="module")
def result():
    t = handmade_tables(12, seed=5)
    return RunResult(
        tags=t["tags"], themes=t["themes"], reports=run_reports(t["tags"], t["outcomes"]),
        rejects=schema.empty("rejects"), messages=t["tags"], events=t["events"],
        outcomes=t["outcomes"],
    )


@pytest.fixture()
def fast_html(monkeypatch):
    """The page itself is tested elsewhere; here only where files go matters."""
    monkeypatch.setattr(output_dir, "write_report_html",
                        lambda path, **kw: path.write_text("<html></html>", encoding="utf-8"))


def _status(out) -> str:
    return json.loads((out / "run.json").read_text())["status"]


def _leftovers(parent) -> list[str]:
    return [p.name for p in parent.iterdir() if output_dir.STAGING_MARK in p.name]


def test_io_output_dir_run_json_is_written_last_and_complete(result, tmp_path):
    out = tmp_path / "out"
    files = write_outputs(result, out, settings=Settings(), inputs=["a.jsonl"])
    assert files[-1] == "run.json" and _status(out) == "complete"
    assert json.loads((out / "run.json").read_text())["files"] == files
    assert not _leftovers(tmp_path)
    assert len(read_tags(out / "tags.parquet")) == len(result.tags)


def test_io_output_dir_interrupt_while_writing_keeps_the_previous_run(result, tmp_path,
                                                                      monkeypatch, fast_html):
    out = tmp_path / "out"
    write_outputs(result, out, settings=Settings())
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(output_dir, "write_report_html", interrupted)
    smaller = RunResult(**{**result.__dict__, "tags": result.tags.head(3), "files": []})
    with pytest.raises(KeyboardInterrupt):
        write_outputs(smaller, out, settings=Settings())
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # the old, complete run is untouched: no half-new tags.csv
    assert not _leftovers(tmp_path)
    fresh = tmp_path / "fresh"
    with pytest.raises(KeyboardInterrupt):
        write_outputs(smaller, fresh, settings=Settings())
    assert not fresh.exists() or not any(fresh.iterdir())


def test_io_output_dir_interrupt_while_moving_never_looks_complete(result, tmp_path,
                                                                   monkeypatch, fast_html):
    out = tmp_path / "out"
    write_outputs(result, out, settings=Settings())
    real_replace, calls = os.replace, []

    def replace(src, dst):
        if str(dst).startswith(str(out) + os.sep):  # moving into place (not staging writes)
            calls.append(dst)
        if len(calls) == 6:  # the marker, then a few files: killed half-way through the move
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(output_dir.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(result, out, settings=Settings())
    monkeypatch.setattr(output_dir.os, "replace", real_replace)
    assert _status(out) == "incomplete"
    with pytest.raises(InputError, match="E156"):
        read_tags(out / "tags.parquet")
    runner = CliRunner()
    res = runner.invoke(app, ["export", "tags", "--tags", str(out / "tags.csv"),
                              "-o", str(tmp_path / "t.jsonl"), "-f", "jsonl"])
    assert res.exit_code == 2 and "E156" in res.output
    res = runner.invoke(app, ["report", "funnel", "--tags", str(out)])
    assert res.exit_code == 2 and "E156" in res.output
    write_outputs(result, out, settings=Settings())  # the next run repairs it
    assert _status(out) == "complete" and len(read_tags(out / "tags.csv")) == len(result.tags)


def test_io_output_dir_links_inside_the_folder_are_replaced_not_followed(result, tmp_path,
                                                                        fast_html):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "models").mkdir(parents=True)
    (elsewhere / "precious.csv").write_text("keep me\n")
    out = tmp_path / "out"
    (out / "reports").mkdir(parents=True)
    (out / "tags.csv").symlink_to(elsewhere / "precious.csv")
    (out / "reports" / "funnel.csv").symlink_to(elsewhere / "precious.csv")
    (out / "model").symlink_to(elsewhere / "models", target_is_directory=True)
    (out / "run.json").symlink_to(elsewhere / "precious.csv")
    linked_reports = tmp_path / "out2"
    linked_reports.mkdir()
    (linked_reports / "reports").symlink_to(elsewhere / "models", target_is_directory=True)

    class Fitted:
        def save_models(self, folder):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "config.json").write_text("{}")

    res = RunResult(**{**result.__dict__, "tag_result": Fitted(), "files": []})
    write_outputs(res, out, settings=Settings())
    write_outputs(res, linked_reports, settings=Settings())
    assert (elsewhere / "precious.csv").read_text() == "keep me\n"
    assert not any((elsewhere / "models").iterdir())
    for rel in ("tags.csv", "reports/funnel.csv", "model", "run.json"):
        assert not (out / rel).is_symlink(), rel
    assert (out / "model" / "config.json").is_file() and _status(out) == "complete"
    assert not (linked_reports / "reports").is_symlink()
    assert len(pd.read_csv(out / "tags.csv")) == len(result.tags)


def test_io_output_dir_write_table_replaces_a_link(tmp_path):
    from mining.io.writers import write_table

    target = tmp_path / "target.csv"
    target.write_text("keep\n")
    link = tmp_path / "x.csv"
    link.symlink_to(target)
    write_table(pd.DataFrame({"a": [1]}), link)
    assert target.read_text() == "keep\n" and not link.is_symlink()


def test_io_output_dir_stale_staging_of_a_dead_run_is_cleared(result, tmp_path, fast_html):
    stale = tmp_path / f".out{output_dir.STAGING_MARK}999999999-abcd"
    stale.mkdir()
    (stale / "tags.csv").write_text("half")
    write_outputs(result, tmp_path / "out", settings=Settings())
    assert not stale.exists()


def test_io_output_dir_stages_inside_when_the_parent_is_read_only(result, tmp_path, monkeypatch,
                                                                   fast_html):
    monkeypatch.setattr(output_dir.os, "access", lambda path, mode: Path(path) != tmp_path)
    out = tmp_path / "out"
    write_outputs(result, out, settings=Settings())
    assert _status(out) == "complete" and not _leftovers(out) and not _leftovers(tmp_path)


_KILLED_RUN = """
import sys, time
sys.path.insert(0, sys.argv[2])
from _handmade import handmade_tables
import mining.io.output_dir
from mining import schema
from mining.config import Settings
from mining.pipeline import RunResult, write_outputs
from mining.reports import run_reports

def slow_page(path, **kw):
    path.write_text("<html>", encoding="utf-8")
    print("writing", flush=True)
    time.sleep(60)

mining.io.output_dir.write_report_html = slow_page
t = handmade_tables(3, seed=2)
res = RunResult(tags=t["tags"].head(5), themes=t["themes"], reports={},
                rejects=schema.empty("rejects"), messages=t["tags"], events=t["events"],
                outcomes=t["outcomes"])
write_outputs(res, sys.argv[1], settings=Settings())
"""


def test_io_output_dir_killed_rerun_leaves_the_finished_run_whole(result, tmp_path, fast_html):
    import signal
    import subprocess
    import sys

    out = tmp_path / "out"
    write_outputs(result, out, settings=Settings())
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    tests = Path(__file__).parent
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(out), str(tests)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"  # tables staged, page half-written
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(60)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before and _status(out) == "complete"
    assert len(read_tags(out / "tags.parquet")) == len(result.tags)
    assert _leftovers(tmp_path)  # the killed run's staging folder, hidden, never read
    write_outputs(result, out, settings=Settings())  # the next run clears it
    assert not _leftovers(tmp_path)
