"""Report commands: ``journeymine report objections|replies|funnel|channels|cadence|paths|all``.

Each command reads the tags written by ``journeymine tag`` (or ``run``), the outcomes and events
files, computes one report with ``mining.reports`` and prints it as a table, or writes it with
``-o`` (CSV safe for spreadsheets, Parquet, JSONL or JSON, plus a ``.meta.json`` side file).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import typer

from mining.cli._app import STATE, app, handle_errors
from mining.cli._options import ConfigOpt, build_settings
from mining.config import default
from mining.errors import ConfigError, Errors, InputError, Warnings

report_app = typer.Typer(help="Join tags to outcomes: objections, replies, funnel, channels, "
                              "cadence, paths, sequences, playbook, leads.", no_args_is_help=True)
app.add_typer(report_app, name="report")

#: What the terminal table shows per report: a column, or (label, rate, lo, hi) for a rate with
#: its interval. ``-o`` writes every column.
DISPLAY: dict[str, list[Any]] = {
    "objections": ["level", "objection", "stage", "journeys", "share_of_stage",
                   ("converted (raised)", "conv_with", "conv_with_lo", "conv_with_hi"),
                   ("converted (not)", "conv_without", "conv_without_lo", "conv_without_hi"),
                   "lift", "q_value", "low_support"],
    "replies": ["objection_category", "reply_strategy", "objections",
                ("resolved", "resolution_rate", "resolution_lo", "resolution_hi"),
                "resolution_lift", "q_value",
                ("converted", "conversion_rate", "conversion_lo", "conversion_hi"),
                "low_support"],
    "funnel": ["stage", "journeys_reached", "reached_share",
               ("converted", "conversion_rate", "conversion_lo", "conversion_hi"),
               "continue_rate", "cold_here", ("cold rate", "cold_rate", "cold_lo", "cold_hi"),
               "top_cold_objections"],
    "channels": ["channel", "first_touch_journeys",
                 ("first-touch conv.", "first_touch_conv_rate", "first_touch_conv_lo",
                  "first_touch_conv_hi"),
                 ("first-message conv.", "first_message_conv_rate", "first_message_conv_lo",
                  "first_message_conv_hi"),
                 "first_touch", "last_touch", "linear", "position", "markov"],
    "cadence": ["dimension", "bucket", "journeys",
                ("converted", "conversion_rate", "conversion_lo", "conversion_hi"),
                "ratio_vs_ref", "q_value", "low_support"],
    "paths": ["kind", "path", "journeys", "share",
              ("converted", "conversion_rate", "conversion_lo", "conversion_hi"), "mean_value"],
    "sequences": ["pattern", "actionable", "journeys",
                  ("converted", "conversion_rate", "conversion_lo", "conversion_hi"),
                  "rate_without", "lift", "q_value", "value_per_journey"],
    "playbook": ["kind", "rule", "q_value", "enough_data"],
    "leads": ["journey_id", "probability", "expected_value", "stage",
              "days_since_customer_message", "reason_1", "next_action"],
}

_PERCENT = ("share", "rate", "share_of_stage", "reached_share", "continue_rate")


def _read_table(path: str, what: str) -> Any:
    """Read a tags or messages table (Parquet, CSV, JSONL, JSON); a folder means its tags file."""
    # startup: pandas stays off `journeymine --help`
    import pandas as pd

    p = Path(path)
    if p.is_dir():
        for name in (f"{what}.parquet", f"{what}.csv"):
            if (p / name).is_file():
                p = p / name
                break
    if not p.is_file():
        raise InputError(Errors.E100.format(path=path))
    # startup: mining.io.output_dir (numpy, pandas, rich) loads only when the command runs
    from mining.io.output_dir import check_complete

    check_complete(p)  # [E156] a run folder that was never finished
    suffix = "".join(p.suffixes[-2:]).lower() if p.suffix == ".gz" else p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if suffix.startswith(".csv") or suffix.startswith(".tsv"):
            return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""],
                               sep="\t" if suffix.startswith(".tsv") else ",")
        if suffix.startswith(".jsonl") or suffix.startswith(".ndjson"):
            return pd.read_json(p, lines=True, dtype=False)
        if suffix.startswith(".json"):
            return pd.read_json(p, dtype=False)
    except Exception as err:  # noqa: BLE001 - any parser failure is one line for the user
        raise InputError(Errors.E602.format(what=what, path=path, detail=err)) from None
    raise InputError(Errors.E602.format(what=what, path=path, detail="unknown file type"))


def _read_side(paths: list[str] | str | None, kind: str) -> Any:
    """Read outcomes or events files with the ingestion readers (concatenated); warn on rejects."""
    if not paths:
        return None
    # startup: pandas stays off `journeymine --help`
    import pandas as pd

    if kind == "outcomes":
        # startup: mining.io.outcomes (numpy, pandas, pyarrow) loads only when the command runs
        from mining.io.outcomes import read_outcomes as reader
    else:
        # startup: mining.io.events (numpy, pandas, pyarrow) loads only when the command runs
        from mining.io.events import read_events as reader
    tables = []
    for path in [paths] if isinstance(paths, str) else paths:
        res = reader(path)
        if len(res.rejects) and not STATE.get("quiet"):
            typer.echo(Warnings.W100.format(path=path, count=len(res.rejects)), err=True)
        tables.append(res.table)
    return tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)


def _read_messages(paths: list[str] | None) -> Any:
    """Messages for quotes: a table with ``clean_text``, or raw inputs ingested (redacted)."""
    if not paths:
        return None
    if len(paths) == 1 and Path(paths[0]).suffix.lower() in (".parquet", ".csv", ".jsonl"):
        df = _read_table(paths[0], "messages")
        if "clean_text" in df.columns and "message_id" in df.columns:
            return df[["message_id", "clean_text"]]
    # startup: mining.io.corpus (numpy, pandas, pyarrow) loads only when the command runs
    from mining.io.corpus import load_corpus

    corpus = load_corpus(paths, redact=True)
    return corpus.messages[["message_id", "clean_text"]]


def _settings(cold_after: float | None, followup_days: float | None,
              min_support: int | None, confidence: float | None,
              followups: str | None = None, config: Path | None = None) -> Any:
    """The ``--config`` file's settings (or the defaults) with the report options on top."""
    return build_settings(config, reports={
        "cold_after_days": cold_after, "followup_days": followup_days,
        "min_support": min_support, "confidence": confidence, "followup_definition": followups})


def _cell(v: Any, col: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    try:
        # startup: pandas stays off `journeymine --help`
        import pandas as pd

        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(v, bool) or str(type(v)).endswith("bool_'>"):
        return "yes" if v else ""
    if isinstance(v, float):
        if col in ("p_value", "q_value") or col.endswith("_p_value") or col.endswith("_q_value"):
            return f"{v:.2g}" if v >= 0.001 else f"{v:.1e}"
        if any(col == p or col.endswith("_" + p) for p in _PERCENT):
            return f"{v:.0%}"
        return f"{v:.2f}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def _print_table(name: str, df: Any) -> None:
    # startup: rich stays off `journeymine --help`
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{name} ({len(df)} rows; -o FILE for every column)", show_lines=False)
    spec = [c for c in DISPLAY.get(name, list(df.columns))
            if isinstance(c, tuple) or c in df.columns]
    for c in spec:
        table.add_column(c[0] if isinstance(c, tuple) else c.replace("_", " "),
                         overflow="fold")
    for row in df.to_dict("records"):
        cells = []
        for c in spec:
            if isinstance(c, tuple):
                _, r, lo, hi = c
                rate = _cell(row.get(r), "rate")
                lo_s, hi_s = _cell(row.get(lo), "rate"), _cell(row.get(hi), "rate")
                cells.append(f"{rate} ({lo_s[:-1]}–{hi_s})" if rate and lo_s else rate)
            else:
                cells.append(_cell(row.get(c), c))
        table.add_row(*cells)
    console = Console()
    if not console.is_terminal:  # a pipe or a file: wide enough to stay readable
        console = Console(width=160)
    console.print(table)


def _run(name: str, tags: str, outcomes: list[str] | None, events: list[str] | None,
         messages: list[str] | None, output: str | None, fmt: str | None, settings: Any,
         **options: Any) -> None:
    # startup: these load numpy, pandas, yaml only when the command runs
    from mining.io.writers import FORMATS, write_table
    from mining.reports import run_reports

    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(Errors.E603.format(fmt=fmt, choices=", ".join(FORMATS)))
    tag_df = _read_table(tags, "tags")
    names = list(DISPLAY) if name == "all" else [name]
    msgs = _read_messages(messages)
    if msgs is not None:  # raw Message-IDs in a messages table still meet redacted tags
        # startup: mining.text.pseudonyms (redact) loads only when --messages is given
        from mining.text.pseudonyms import known_message_ids

        msgs = msgs.assign(message_id=known_message_ids(msgs["message_id"], tag_df["message_id"]))
    reports = run_reports(tag_df, _read_side(outcomes, "outcomes"), _read_side(events, "events"),
                          messages=msgs, settings=settings, names=names,
                          **options)
    meta = {"inputs": {"tags": tags, "outcomes": outcomes, "events": events,
                       "messages": messages or None},
            "settings": settings.reports.model_dump(mode="json"),
            "options": {k: str(v) for k, v in options.items() if v is not None}}
    if output and name == "all":  # a folder of reports: staged, moved in when all are written
        # startup: mining.io.output_dir (numpy, pandas, rich) loads only when the command runs
        from mining.io.output_dir import staged

        with staged(output) as stage:
            for rname, df in reports.items():
                write_table(df, stage / f"{rname}.{fmt or 'csv'}", fmt, {"report": rname, **meta})
        for rname, df in reports.items():
            if not STATE.get("quiet"):
                path = Path(output) / f"{rname}.{fmt or 'csv'}"
                typer.echo(f"Wrote {path} ({len(df)} rows)", err=True)
        return
    for rname, df in reports.items():
        if output:  # one file, written under a temporary name and renamed (write_table)
            path = write_table(df, Path(output), fmt, {"report": rname, **meta})
            if not STATE.get("quiet"):
                typer.echo(f"Wrote {path} ({len(df)} rows)", err=True)
        elif fmt is not None:
            try:
                _to_stdout(df, fmt, sys.stdout)
                sys.stdout.flush()
            except BrokenPipeError:  # e.g. `| head`: the reader has what it wanted
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise typer.Exit(0) from None
        else:
            _print_table(rname, df)


def _to_stdout(df: Any, fmt: str, stream: Any) -> None:
    # startup: mining.io.writers (pandas) loads only when the command runs
    from mining.io.writers import csv_safe

    if fmt == "csv":
        csv_safe(df).to_csv(stream, index=False, lineterminator="\n")
    elif fmt == "jsonl":
        stream.write(df.to_json(orient="records", lines=True, force_ascii=False) + "\n")
    elif fmt == "json":
        stream.write(df.to_json(orient="records", force_ascii=False, indent=1) + "\n")
    else:
        raise ConfigError(Errors.E604.format(option="--format", expected="csv, jsonl or json "
                                             "when writing to stdout (use -o for parquet)",
                                             value=fmt))


TAGS_OPT = typer.Option(..., "--tags", help="Tags from `journeymine tag` (.parquet/.csv) or its "
                                            "output folder.")
OUTCOMES_OPT = typer.Option(None, "--outcomes", help="Outcomes file (journey_id, converted, "
                                                     "converted_at, value; repeatable).")
EVENTS_OPT = typer.Option(None, "--events", help="Events file (touchpoints that are not messages; "
                                                 "repeatable).")
MESSAGES_OPT = typer.Option(None, "--messages", help="Messages for redacted example quotes: a "
                                                     "table with clean_text, or the raw inputs.")
OUTPUT_OPT = typer.Option(None, "--output", "-o", help="Write to this file (or folder for `all`) "
                                                        "instead of printing a table.")
FORMAT_OPT = typer.Option(None, "--format", "-f", help="csv, parquet, jsonl or json (default: from "
                                                        "the -o suffix; csv).")
COLD_OPT = typer.Option(None, "--cold-after", help="Days of silence after which an unconverted "
                        f"journey is cold (default {default('reports', 'cold_after_days'):g}).")
FOLLOWUP_OPT = typer.Option(None, "--followup-days", help="Follow-up window in days after the first"
                            " customer message (default "
                            f"{default('reports', 'followup_days'):g}).")
SUPPORT_OPT = typer.Option(None, "--min-support", help="Rows with fewer journeys/objections are "
                           f"marked low_support (default {default('reports', 'min_support')}).")
CONF_OPT = typer.Option(None, "--confidence", help="Confidence level of the intervals (default "
                        f"{default('reports', 'confidence')}).")
FOLLOWUPS_OPT = typer.Option(None, "--followups", help="What counts as a follow-up: unanswered or "
                             "agent_messages (default "
                             f"{default('reports', 'followup_definition')}).")
ASOF_OPT = typer.Option(None, "--as-of", help="Reference time for silence and complete follow-up "
                                              "windows (ISO 8601; default: end of the data).")


def _command(name: str, doc: str) -> None:
    def command(
        tags: str = TAGS_OPT, outcomes: list[str] | None = OUTCOMES_OPT,
        events: list[str] | None = EVENTS_OPT,
        messages: list[str] | None = MESSAGES_OPT, output: str | None = OUTPUT_OPT,
        fmt: str | None = FORMAT_OPT, cold_after: float | None = COLD_OPT,
        followup_days: float | None = FOLLOWUP_OPT, min_support: int | None = SUPPORT_OPT,
        confidence: float | None = CONF_OPT, followups: str | None = FOLLOWUPS_OPT,
        as_of: str | None = ASOF_OPT, config: ConfigOpt = None,
    ) -> None:
        settings = _settings(cold_after, followup_days, min_support, confidence, followups,
                             config)
        _run(name, tags, outcomes, events, messages, output, fmt, settings, as_of=_as_of(as_of))

    command.__doc__ = doc
    report_app.command(name)(handle_errors(command))


def _as_of(value: str | None) -> Any:
    if value is None:
        return None
    # startup: pandas stays off `journeymine --help`
    import pandas as pd

    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(Errors.E604.format(option="--as-of", expected="an ISO 8601 time",
                                             value=value)) from None


for _name, _doc in (
    ("objections", "Objections per category and theme × stage, with their conversion impact."),
    ("replies", "Reply strategies per objection category: resolution and conversion rates."),
    ("funnel", "Journeys reaching each stage, conversion from it, and where leads go cold."),
    ("channels", "Conversions and value by channel: first/last touch, linear, 40/20/40, Markov."),
    ("cadence", "Conversion by agent follow-ups in the first days and by first-response time."),
    ("paths", "The most common stage and touchpoint paths with conversion and value."),
    ("sequences", "Touchpoint sequences in the first days that convert, with value per journey."),
    ("playbook", "Evidence-backed rules: the best reply per objection and stage, best cadence."),
    ("leads", "Open journeys worth a call today: scores and next best action (see predict)."),
    ("all", "Every report; with -o DIR, one file per report in DIR."),
):
    _command(_name, _doc)
