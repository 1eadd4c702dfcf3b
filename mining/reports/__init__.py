"""Reports: the tags joined to conversion outcomes, one module per report.

Every report is a function ``f(tags, outcomes, events=None, messages=None, settings=None, **opts)``
returning a pandas DataFrame; :data:`REPORTS` maps the report's name to it, and :func:`run_reports`
runs several at once (the pipeline and ``journeymine report all`` use it). Definitions of every
column are in each module's docstring and in docs/reports.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

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
}

#: Options each report accepts besides the common arguments (used by ``run_reports``).
OPTIONS: dict[str, tuple[str, ...]] = {
    "objections": ("levels",),
    "replies": ("exclude_stages",),
    "funnel": ("as_of", "top_objections"),
    "channels": (),
    "cadence": ("as_of", "max_followups", "definition"),
    "paths": ("top", "max_length"),
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
    from mining.errors import ConfigError, Errors

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
    out = {}
    for name in names or REPORTS:
        func = get_report(name)
        kw = {k: v for k, v in options.items() if k in OPTIONS[name] and v is not None}
        out[name] = func(tags, outcomes, events=events, messages=messages, settings=settings,
                         **kw)
    return out


__all__ = ["REPORTS", "OPTIONS", "get_report", "run_reports"]
