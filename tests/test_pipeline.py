from __future__ import annotations

import json

import pandas as pd
import pytest
from _handmade import handmade_tables

from mining import schema
from mining.config import Settings
from mining.pipeline import RunResult, write_outputs
from mining.reports import REPORTS, run_reports


@pytest.fixture(scope="module")
def handmade_result():
    t = handmade_tables(20, seed=3)
    rejects = schema.conform(
        pd.DataFrame(
            {"source": ["chats.jsonl"], "record": ["7"], "code": ["E110"], "reason": ["=1+1"]}
        ),
        "rejects",
    )
    return RunResult(
        tags=t["tags"],
        themes=t["themes"],
        reports=run_reports(t["tags"], t["outcomes"], t["events"]),
        rejects=rejects,
        messages=t["tags"],
        events=t["events"],
        outcomes=t["outcomes"],
    )


def test_pipeline_write_outputs_layout(handmade_result, tmp_path):
    files = write_outputs(
        handmade_result, tmp_path / "out", settings=Settings(), inputs=["a.jsonl"]
    )
    out = tmp_path / "out"
    expected = {"tags.csv", "tags.parquet", "themes.csv", "rejects.csv", "report.html"}
    expected |= {f"reports/{name}.csv" for name in REPORTS}
    assert expected <= set(files)
    for rel in expected:
        assert (out / rel).is_file(), rel
    # tags survive the round trip through Parquet with the schema's dtypes
    back = pd.read_parquet(out / "tags.parquet")
    assert back["message_id"].tolist() == handmade_result.tags["message_id"].tolist()
    assert len(pd.read_csv(out / "tags.csv")) == len(handmade_result.tags)
    # each report is traceable: its settings and inputs are written beside it
    meta = json.loads((out / "reports" / "funnel.meta.json").read_text())
    assert meta["inputs"] == ["a.jsonl"]
    assert meta["settings"]["reports"]["cold_after_days"] == 14.0
    # the page says what it was made from
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "About this run" in page and "a.jsonl" in page and "cold after 14 days" in page
    # CSV outputs are safe to open in a spreadsheet
    assert "'=1+1" in (out / "rejects.csv").read_text()


def test_pipeline_write_outputs_refuses_unwritable_folder(handmade_result, tmp_path):
    from mining.errors import InputError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match=r"\[E700\]"):
        write_outputs(handmade_result, blocker / "out")


@pytest.mark.slow
def test_pipeline_demo_run_writes_everything(demo_run):
    out = demo_run.out_dir
    counts = demo_run.counts
    # every message read is tagged; the sample's main files load without rejects
    assert counts["rejects"] == 0
    assert counts["tagged_messages"] == counts["messages"] > 10_000
    assert counts["journeys"] == 860
    assert counts["themes"] > 0 and counts["objection_messages"] > 0
    run_json = json.loads((out / "run.json").read_text())
    assert {"ingest", "tag", "reports", "write", "total"} <= set(run_json["timings_seconds"])
    # the process's peak memory at the end of each step: never falls, ends at the run's peak
    peaks = run_json["scale"]["peak_rss_mb_by_step"]
    assert {"ingest", "tag.embed_units", "tag", "reports", "write"} <= set(peaks)
    order = ["ingest", "tag.embed_units", "tag.fit_or_assign_themes", "tag", "reports", "write"]
    assert [peaks[k] for k in order] == sorted(peaks[k] for k in order)
    assert 0 < peaks["write"] <= run_json["scale"]["peak_rss_mb"]
    assert run_json["counts"] == counts
    assert any((out / "model").iterdir())
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Not enough data for this chart." not in page  # every chart has data on the demo
    for stage in ("awareness", "consideration", "decision", "purchase"):
        assert f"<h3>{stage}</h3>" in page


def test_pipeline_run_on_a_corpus_object_writes_nothing_without_out_dir(tmp_path):
    from _handmade import write_mini_corpus

    import mining

    data = write_mini_corpus(tmp_path / "in", n_journeys=15)
    corpus = mining.load_corpus([data["chats"]], outcomes=data["outcomes"])
    settings = Settings()
    settings.embed.model = "hash"
    settings.themes.reducer = "pca"
    result = mining.run(corpus, settings=settings, progress=False)
    assert result.out_dir is None and result.files == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    assert len(result.tags) == data["n_messages"] == result.counts["messages"]
    assert schema.check(result.tags, "tags") == []
    assert set(result.reports) == set(REPORTS)
    assert "ingest" not in result.timings  # a Corpus was given: nothing to read
    assert {"tag", "reports", "total"} <= set(result.timings)


def test_pipeline_run_with_every_record_rejected_raises_e705_after_writing_rejects(tmp_path):
    import mining
    from mining.errors import InputError

    bad = tmp_path / "chats.jsonl"
    bad.write_text('{not json\n{"conversation_id": "c1", "role": "customer", "text": ""}\n',
                   encoding="utf-8")
    settings = Settings()
    settings.embed.model = "hash"
    with pytest.raises(InputError, match=r"\[E705\].*2 input record"):
        mining.run([bad], tmp_path / "out", settings=settings, progress=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "rejects.csv", "rejects.meta.json"]
    assert len(pd.read_csv(tmp_path / "out" / "rejects.csv")) == 2
    corpus = mining.load_corpus([bad])
    with pytest.raises(InputError, match="E705"):  # a Corpus in memory, nothing written
        mining.run(corpus, settings=settings, progress=False)
