"""No raw e-mail address or phone number in any output or export by default (issue 15).

Every command that writes a file is run on e-mail input (the ``.eml``/mbox fixtures, whose
Message-IDs look like addresses) beside a chat corpus keyed by addresses and phone numbers, and
the sample transcripts' full run (``demo_run``) is exported in every format; then every file
written is scanned for anything shaped like an e-mail address or a phone number: text files as
text, Parquet through pandas, ``.npy`` arrays when they hold strings, report.html without the
plotly.js library it embeds (whose licence comments name its authors' addresses).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _handmade import write_mini_corpus
from typer.testing import CliRunner

from mining.cli import app
from mining.text import pseudonyms
from mining.text.redact import redaction_counts

EMAIL_DIR = Path(__file__).parent / "data" / "email"
# Wider than the redactor's own pattern on purpose: any "x@host.tld", also inside <…> or ids.
_ANY_EMAIL = re.compile(r"[^\s@<>\"',;:()\[\]{}|=]+@[^\s@<>\"',;:()\[\]{}|=]+\.[^\W\d_]{2,}")
_PLUS_PHONE = re.compile(r"\+\d[\d \-().]{6,}\d")  # "+1 415 555 0101", "+4915112345678"
_EXPORTS = [("eventlog", "log", ("csv", "parquet", "jsonl")), ("xes", "log", ("xes",)),
            ("tags", "tags", ("csv", "parquet", "jsonl"))]


@pytest.fixture()
def key_home(tmp_path, monkeypatch):
    """A fresh cache folder, so the key is made here and not in the user's home."""
    monkeypatch.setenv("JOURNEYMINE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pseudonyms, "_key_cache", {})
    return tmp_path / "cache"


def _chunks(path: Path) -> set[str]:
    """The distinct text pieces of one output file (cells, lines), for scanning."""
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        return {str(v) for c in df.columns for v in df[c].dropna().unique().tolist()} | \
            set(map(str, df.columns))
    if path.suffix == ".npy":
        arr = np.load(path, allow_pickle=False)
        return set(map(str, arr.ravel().tolist())) if arr.dtype.kind in "US" else set()
    text = path.read_bytes().decode("utf-8", "replace")
    if path.suffix == ".html":
        import plotly.offline

        library = plotly.offline.get_plotlyjs()
        assert library in text or "cdn.plot.ly" in text
        text = text.replace(library, "")
    return set(text.splitlines())


def _leaks(folders: list[Path]) -> tuple[int, list[tuple[str, str]]]:
    """Scan every file under ``folders``; return (files scanned, (file, leaked piece) pairs)."""
    files = [p for d in folders for p in sorted(d.rglob("*")) if p.is_file()]
    found = []
    for p in files:
        pieces = _chunks(p)
        for piece in pieces:
            hit = _ANY_EMAIL.search(piece) or _PLUS_PHONE.search(piece)
            if hit:
                found.append((str(p), hit.group()))
        counts = redaction_counts("\n".join(pieces))
        if counts["<EMAIL>"] or counts["<PHONE>"]:
            found.append((str(p), f"redactor finds {counts}"))
    return len(files), found


def _plant_contacts(data: dict) -> set[str]:
    """Key the mini corpus by addresses and phone numbers, and quote them in the text."""
    rows = [json.loads(x) for x in data["chats"].read_text().splitlines()]
    secrets = set()
    for r in rows:
        j = int(r["conversation_id"][1:])
        email, phone = f"buyer{j}@mail.example", f"+1 415 555 01{j:02d}"
        secrets |= {email, phone}
        r["journey_id"], r["conversation_id"] = email, phone
        r["message_id"] = f"<{r['message_id']}.{phone.replace(' ', '')}@chat.example>"
        if r["role"] == "customer":
            r["text"] += f" Reach me at {email} or {phone}."
    data["chats"].write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name in ("outcomes", "events"):
        table = pd.read_csv(data[name], dtype=str, keep_default_na=False)
        table["journey_id"] = [f"buyer{int(j[1:])}@mail.example" for j in table["journey_id"]]
        table.to_csv(data[name], index=False)
    return secrets


def _invoke(runner: CliRunner, *args: str) -> None:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, (args[:2], res.output)


@pytest.mark.slow  # a run, themes and labels with the hash embedder, then every export: ~60 s
def test_privacy_outputs_email_input_every_command_and_export(key_home, tmp_path):
    data = write_mini_corpus(tmp_path / "in", n_journeys=12)
    secrets = _plant_contacts(data)
    inputs = [str(data["chats"]), str(EMAIL_DIR / "thread"), str(EMAIL_DIR / "samples")]
    fast = ["--embedder", "hash", "--reducer", "pca"]
    side = ["--outcomes", str(data["outcomes"]), "--events", str(data["events"])]
    out, w = tmp_path / "out", tmp_path / "written"
    runner = CliRunner()
    _invoke(runner, "run", *inputs, *side, *fast, "--agent-domain", "acme-tools.com",
            "--agent-address", "support@acme-tools.com",
            "-o", str(out))
    run = json.loads((out / "run.json").read_text())
    assert run["counts"]["converted_journeys"] > 0 and not (out / "pseudonyms.csv").exists()
    tags = pd.read_parquet(out / "tags.parquet")
    assert tags["message_id"].str.match(r"^msg-[0-9a-f]{16}$").any()
    answered = tags["replies_to"].dropna()  # reply links still point at messages of the run
    assert len(answered) and answered.isin(set(tags["message_id"])).all()
    for kind, stem, fmts in _EXPORTS:
        for fmt in fmts:
            _invoke(runner, "export", kind, "--tags", str(out / "tags.parquet"), *side, "-f", fmt,
                    "-o", str(w / f"{kind}-{stem}.{fmt}"))
    _invoke(runner, "report", "all", "--tags", str(out / "tags.parquet"), *side,
            *[a for i in inputs for a in ("--messages", i)], "-o", str(w / "reports"))
    _invoke(runner, "predict", "--tags", str(out), *side, "-o", str(w / "scores.csv"))
    _invoke(runner, "validate", *inputs, str(EMAIL_DIR / "rejects"),
            "--rejects-out", str(w / "rejects.csv"))
    _invoke(runner, "themes", *inputs, *fast, "--min-theme-size", "3", "-o", str(w / "themes"))
    _invoke(runner, "label", *inputs, *fast, "-n", "20", "-o", str(w / "labels.csv"))
    n_files, leaks = _leaks([out, w])
    assert n_files > 40, n_files
    assert not leaks, leaks[:5]
    assert not any(s in (w / "labels.csv").read_text() for s in secrets)


@pytest.mark.slow  # the shared demo_run (real model) plus every export of its tags
def test_privacy_outputs_sample_run_and_exports(demo_run, tmp_path):
    from mining.demo import demo_inputs

    out = demo_run.out_dir
    d = demo_inputs(Path(__file__).resolve().parent.parent / "sample_transcripts")
    side = [a for p in d.outcomes for a in ("--outcomes", str(p))] + \
        [a for p in d.events for a in ("--events", str(p))]
    runner = CliRunner()
    for kind, stem, fmts in _EXPORTS:
        for fmt in fmts:
            _invoke(runner, "export", kind, "--tags", str(out / "tags.parquet"), *side, "-f", fmt,
                    "-o", str(tmp_path / f"{kind}-{stem}.{fmt}"))
    n_files, leaks = _leaks([out, tmp_path])
    assert n_files > 30, n_files
    assert not leaks, leaks[:5]
