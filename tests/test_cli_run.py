from __future__ import annotations

import json

import pandas as pd
import pytest
from _handmade import write_mini_corpus
from typer.testing import CliRunner

from mining.cli import app

FAST = ["--embedder", "hash", "--reducer", "pca"]


def _tagger_available() -> bool:
    try:
        import mining.tagger  # noqa: F401
    except ImportError:
        return False
    return True


needs_tagger = pytest.mark.skipif(not _tagger_available(), reason="mining.tagger not there yet")


def test_cli_run_registers_one_demo_command():
    import typer.main

    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert names.count("demo") == 1
    assert "run" in names and "export" in names
    group = typer.main.get_command(app)
    assert group.commands["demo"].callback.__module__ == "mining.cli.run"


def test_cli_run_demo_explains_missing_sample_data(monkeypatch, tmp_path):
    import mining.demo

    monkeypatch.setattr(mining.demo, "candidate_dirs", lambda: [tmp_path / "nowhere"])
    res = CliRunner().invoke(app, ["demo", "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "[E701]" in res.output and "git clone" in res.output
    assert "Traceback" not in res.output


def test_cli_run_missing_input_is_one_line_and_exit_2(tmp_path):
    res = CliRunner().invoke(app, ["run", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "[E100]" in res.output
    assert len(res.output.strip().splitlines()) == 1


@needs_tagger
def test_cli_run_end_to_end_and_model_reuse(tmp_path):
    data = write_mini_corpus(tmp_path / "in")
    out = tmp_path / "out"
    runner = CliRunner()
    args = [
        "run",
        str(data["chats"]),
        "--events",
        str(data["events"]),
        "--outcomes",
        str(data["outcomes"]),
        *FAST,
    ]
    res = runner.invoke(app, [*args, "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines()[-1] == str(out / "report.html")
    for rel in (
        "tags.csv",
        "tags.parquet",
        "themes.csv",
        "rejects.csv",
        "report.html",
        "run.json",
        "reports/funnel.csv",
        "reports/replies.csv",
    ):
        assert (out / rel).is_file(), rel
    assert (out / "model").is_dir() and any((out / "model").iterdir())
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["counts"]["messages"] == data["n_messages"]
    assert run_json["counts"]["journeys"] == 40
    assert {"ingest", "tag", "reports", "write", "total"} <= set(run_json["timings_seconds"])
    # peak memory at the end of each step (ru_maxrss never falls): which step set the peak
    peaks = run_json["scale"]["peak_rss_mb_by_step"]
    order = ["ingest", "tag.embed_units", "tag.fit_or_assign_themes", "tag", "reports", "write"]
    assert set(order) <= set(peaks)
    assert [peaks[k] for k in order] == sorted(peaks[k] for k in order)
    assert 0 < peaks["write"] <= run_json["scale"]["peak_rss_mb"]
    assert run_json["settings"]["embed"]["model"] == "hash"
    assert run_json["versions"]["journeymine"]
    tags = pd.read_parquet(out / "tags.parquet")
    assert len(tags) == data["n_messages"]

    # new data tagged against the saved model keeps the theme ids of the first run
    new = write_mini_corpus(tmp_path / "new", n_journeys=10, seed=7, prefix="n")
    out2 = tmp_path / "out2"
    res = runner.invoke(
        app, ["run", str(new["chats"]), "--model", str(out / "model"), *FAST, "-o", str(out2)]
    )
    assert res.exit_code == 0, res.output
    themes1 = pd.read_csv(out / "themes.csv")
    themes2 = pd.read_csv(out2 / "themes.csv")
    key = ["theme_id", "kind", "label"]
    assert (
        themes2[key]
        .sort_values(key)
        .reset_index(drop=True)
        .equals(themes1[key].sort_values(key).reset_index(drop=True))
    )


@needs_tagger
def test_cli_run_strict_exits_1_on_rejects(tmp_path):
    data = write_mini_corpus(tmp_path / "in", n_journeys=12)
    with data["chats"].open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    res = CliRunner().invoke(
        app, ["run", str(data["chats"]), *FAST, "--strict", "-o", str(tmp_path / "out")]
    )
    assert res.exit_code == 1, res.output
    assert "[E005]" in res.output
    rejects = pd.read_csv(tmp_path / "out" / "rejects.csv")
    assert len(rejects) == 1


def test_cli_run_demo_inputs_are_the_businesses_not_bad_or_truth(samples_dir):
    from mining.demo import business_dirs, demo_inputs

    if not business_dirs(samples_dir):
        pytest.skip("sample_transcripts/ is not there")
    d = demo_inputs(samples_dir)
    names = {p.parent.name for p in [*d.messages, *d.events, *d.outcomes]}
    assert names and not names & {"bad", "ground_truth", "_gen"}
    assert {p.name for p in d.messages} == {"chat.jsonl", "inbox.mbox"}
    assert len(d.outcomes) == len(names)
    # the staff domains the demo uses are the ones the sample data documents
    readme = (samples_dir / "README.md").read_text(encoding="utf-8")
    for domain in d.agent_domains:
        assert f"`{domain}`" in readme


@needs_tagger
def test_cli_run_redacts_quotes_by_default_and_keeps_them_with_no_redact(tmp_path):
    data = write_mini_corpus(tmp_path / "in", n_journeys=15)
    lines = data["chats"].read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    for r in rows:
        if r["role"] == "customer":
            r["text"] += " Write to me at dana.lee@example.com or call +1 415 555 0134."
    data["chats"].write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    runner = CliRunner()
    for flag, out in (([], tmp_path / "red"), (["--no-redact"], tmp_path / "raw")):
        res = runner.invoke(app, ["run", str(data["chats"]), *FAST, *flag, "-o", str(out)])
        assert res.exit_code == 0, res.output
    for name in ("themes.csv", "report.html"):
        assert "dana.lee@example.com" not in (tmp_path / "red" / name).read_text(encoding="utf-8")
    raw = (tmp_path / "raw" / "themes.csv").read_text(encoding="utf-8")
    assert "dana.lee@example.com" in raw


def test_cli_run_all_records_rejected_is_one_line_exit_2_and_writes_rejects(tmp_path):
    bad = tmp_path / "chats.jsonl"
    bad.write_text(
        '{not json\n'
        '{"conversation_id": "c1", "role": "customer", "text": ""}\n'
        '{"conversation_id": "c1", "role": "customer", "text": "hi", "timestamp": "soon"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(bad), *FAST, "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert "[E705]" in res.output and "rejects.csv" in res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    rejects = pd.read_csv(out / "rejects.csv")
    assert len(rejects) == 3 and rejects["code"].notna().all()
    assert not (out / "report.html").exists()
