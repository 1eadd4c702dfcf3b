"""Reports: the tags joined to conversion outcomes, one module per report.

Every report is a function ``f(tags, outcomes, events=None, messages=None, settings=None, **opts)``
returning a pandas DataFrame; :data:`REPORTS` maps the report's name to it, and :func:`run_reports`
runs several at once (the pipeline and ``journeymine report all`` use it). Definitions of every
column are in each module's docstring and in docs/reports.md.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mining.errors import ConfigError, Errors, Warnings
from mining.reports import _data

if TYPE_CHECKING:
    import pandas as pd

#: Report name -> "module:function" (imported on first use).
REPORTS: dict[str, str] = {
    "objections": "mining.reports.objections:objections_by_stage",
    "replies": "mining.reports.replies:replies_report",
    "funnel": "mining.reports.funnel:funnel_report",
    "channels": "mining.reports.channels:channels_report",
    "cadence": "mining.reports.cadence:cadence_report",
    "paths": "mining.reports.paths:paths_report",
    "sequences": "mining.reports.sequences:sequences_report",
    "playbook": "mining.reports.playbook:playbook_report",
    "leads": "mining.leads.score:leads_report",
}

#: Options each report accepts besides the common arguments (used by ``run_reports``).
OPTIONS: dict[str, tuple[str, ...]] = {
    "objections": ("levels",),
    "replies": ("exclude_stages",),
    "funnel": ("as_of", "top_objections"),
    "channels": (),
    "cadence": ("as_of", "max_followups", "definition"),
    "paths": ("top", "max_length"),
    "sequences": ("as_of",),
    "playbook": ("as_of",),
    "leads": ("as_of",),
}


def get_report(name: str) -> Callable[..., pd.DataFrame]:
    """Return the report function registered as ``name``.

    Args:
        name: One of :data:`REPORTS`.

    Returns:
        The report function.

    Raises:
        ConfigError: [E600] naming the available reports.
    """
    if name not in REPORTS:
        raise ConfigError(Errors.E600.format(name=name, choices=", ".join(REPORTS)))
    module, func = REPORTS[name].split(":")
    return getattr(importlib.import_module(module), func)


def run_reports(
    tags: pd.DataFrame,
    outcomes: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    settings: Any = None,
    names: Iterable[str] | None = None,
    **options: Any,
) -> dict[str, pd.DataFrame]:
    """Run several reports on the same inputs.

    Args:
        tags: The tags table (``mining.schema.TAGS``).
        outcomes: The outcomes table (``mining.schema.OUTCOMES``) or None (nothing converted).
        events: The events table or None.
        messages: Optional messages table with redacted ``clean_text`` for example quotes.
        settings: ``mining.config.Settings`` or ``ReportSettings`` or None (defaults).
        names: Which reports (default: all of :data:`REPORTS`, in order).
        **options: Report-specific options (e.g. ``as_of``, ``top``); each report receives the ones
            listed for it in :data:`OPTIONS`.

    Returns:
        Report name -> DataFrame, in the order run.
    """
    check_outcomes(tags, outcomes)
    out = {}
    for name in names or REPORTS:
        func = get_report(name)
        kw = {k: v for k, v in options.items() if k in OPTIONS[name] and v is not None}
        if name == "leads" and "playbook" in out:  # its next actions read the playbook's rules
            kw["rules"] = out["playbook"]
        out[name] = func(tags, outcomes, events=events, messages=messages, settings=settings,
                         **kw)
    return out


def check_outcomes(tags: pd.DataFrame, outcomes: pd.DataFrame | None) -> dict[str, int]:
    """Count how well the outcomes match the tags' journeys; log [W600] when they mostly do not.

    The warning is logged (logger ``mining.reports``) when at least half of the outcome rows name
    no journey of the tags, or at least half of the journeys have no outcome row: usually the
    outcomes belong to other data, and every rate would silently read 0%.

    Args:
        tags: The tags table.
        outcomes: The outcomes table or None (no check).

    Returns:
        ``{"total", "unmatched", "journeys", "missing"}`` counts (all 0 when ``outcomes`` is None).
    """
    counts = {"total": 0, "unmatched": 0, "journeys": 0, "missing": 0}
    if outcomes is None or len(outcomes) == 0:
        return counts
    t = _data.prepare_tags(tags)
    o = _data.prepare_outcomes(outcomes, t)
    jids = set(t["journey_id"])
    counts.update(total=len(o), unmatched=int((~o.index.isin(list(jids))).sum()),
                  journeys=len(jids), missing=len(jids - set(o.index)))
    if (counts["total"] and counts["unmatched"] * 2 >= counts["total"]) or \
            (counts["journeys"] and counts["missing"] * 2 >= counts["journeys"]):
        logging.getLogger("mining.reports").warning(Warnings.W600.format(**counts))
    return counts


__all__ = ["REPORTS", "OPTIONS", "check_outcomes", "get_report", "run_reports"]
