"""``journeymine predict``: score open journeys with a model fitted on closed ones.

Reads the tags (``journeymine tag``/``run`` output), outcomes and events, calls
:func:`mining.leads.predict_leads`, prints the out-of-time validation against the baselines and
the top open journeys, and with ``-o`` writes the scores and ``<name>.meta.json`` beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from mining.cli._app import STATE, app, handle_errors
from mining.cli.reports import (
    ASOF_OPT,
    COLD_OPT,
    EVENTS_OPT,
    FORMAT_OPT,
    TAGS_OPT,
    _as_of,
    _read_side,
    _read_table,
)
from mining.config import load_settings
from mining.errors import Warnings

OUTCOMES_REQ = typer.Option(..., "--outcomes", help="Outcomes file (journey_id, converted, "
                                                     "converted_at, value).")
SCORES_OPT = typer.Option(None, "--output", "-o", help="Write the scores here (.csv, .parquet, "
                                                       ".jsonl, .json) with a .meta.json beside "
                                                       "it.")
HORIZON_OPT = typer.Option(None, "--horizon", help="Probability of converting within this many "
                                                   "days (default 30).")
TOP_OPT = typer.Option(15, "--top", help="Open journeys shown on screen.")


@app.command("predict")
@handle_errors
def predict(
    tags: str = TAGS_OPT, outcomes: str = OUTCOMES_REQ, events: str | None = EVENTS_OPT,
    output: str | None = SCORES_OPT, fmt: str | None = FORMAT_OPT,
    horizon: float | None = HORIZON_OPT, cold_after: float | None = COLD_OPT,
    as_of: str | None = ASOF_OPT, top: int = TOP_OPT,
) -> None:
    """Score open journeys: chance to convert, expected value, reasons, next best action."""
    # startup: these load numpy, pandas, sklearn only when the command runs
    from mining.leads import predict_leads
    from mining.reports.playbook import next_actions

    data: dict[str, Any] = {}
    if horizon is not None:
        data["predict"] = {"horizon_days": horizon}
    if cold_after is not None:
        data["reports"] = {"cold_after_days": cold_after}
    settings = load_settings(data)
    tag_df = _read_table(tags, "tags")
    out_df = _read_side(outcomes, "outcomes")
    ev_df = _read_side(events, "events")
    res = predict_leads(tag_df, out_df, ev_df, settings, as_of=_as_of(as_of))
    actions = next_actions(tag_df, out_df, ev_df, settings, journeys=res.scores["journey_id"],
                           as_of=_as_of(as_of))
    scores = res.scores.merge(actions, on="journey_id", how="left") if len(actions) \
        else res.scores
    _print_summary(res.meta, scores, top)
    if output:
        # startup: mining.io.writers (pandas) loads only when the command runs
        from mining.io.writers import write_table

        meta = {"command": "predict", "inputs": {"tags": tags, "outcomes": outcomes,
                                                 "events": events}, **res.meta}
        path = write_table(scores, Path(output), fmt, meta)
        if not STATE.get("quiet"):
            typer.echo(f"Wrote {path} ({len(scores)} open journeys)", err=True)
    if not len(scores) and not STATE.get("quiet"):
        typer.echo(Warnings.W611.format(as_of=res.meta["as_of"],
                                        cold=settings.reports.cold_after_days), err=True)


def _print_summary(meta: dict, scores: Any, top: int) -> None:
    """Validation (model vs baselines), calibration and the top open journeys, on stdout."""
    # startup: rich stays off `journeymine --help`
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    val = meta["validation"]
    if val.get("skipped"):
        console.print(f"Out-of-time validation skipped: {val['skipped']}")
    else:
        tr, te = val["train"], val["test"]
        table = Table(title=f"Out-of-time validation: train on {tr['journeys']} journeys started "
                            f"before {val['split_start'][:10]}, test on {te['journeys']} later "
                            f"({te['snapshots']} snapshots, {te['positives']} converted within "
                            f"{meta['settings']['predict']['horizon_days']:g} days)")
        for col in ("scorer", "ROC AUC", "PR AUC", "Brier", "ECE"):
            table.add_column(col)
        for name, key in (("model", "model"), ("recency only", "recency"),
                          ("base rate", "base_rate")):
            m = val[key]
            table.add_row(name, *(f"{m[k]:.3f}" if m[k] is not None else ""
                                  for k in ("roc_auc", "pr_auc", "brier", "ece")))
        console.print(table)
        cal = Table(title="Calibration of the model on the test journeys")
        for col in ("predicted", "snapshots", "mean predicted", "observed (95% CI)"):
            cal.add_column(col)
        for r in val["calibration"]:
            cal.add_row(r["bin"], str(r["snapshots"]), f"{r['mean_predicted']:.0%}",
                        f"{r['observed_rate']:.0%} ({r['observed_lo']:.0%}–"
                        f"{r['observed_hi']:.0%})")
        console.print(cal)
    if not len(scores):
        return
    table = Table(title=f"Open journeys most likely to convert (top {min(top, len(scores))} of "
                        f"{len(scores)}; -o FILE for all)")
    cols = ["journey_id", "probability", "expected_value", "stage",
            "days_since_customer_message", "reason_1", "next_action"]
    cols = [c for c in cols if c in scores.columns]
    for c in cols:
        table.add_column(c.replace("_", " "), overflow="fold")
    for row in scores.head(top).to_dict("records"):
        table.add_row(*(_fmt(row.get(c), c) for c in cols))
    console.print(table)


def _fmt(v: Any, col: str) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if col == "probability":
        return f"{v:.0%}"
    if isinstance(v, float):
        return f"{v:,.0f}" if col == "expected_value" else f"{v:.1f}"
    return str(v)
