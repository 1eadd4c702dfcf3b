"""The whole flow as plain function calls: ingest -> tag -> reports -> outputs.

``run`` is what ``journeymine run`` does, callable from Python with DataFrames in and out::

    import mining
    result = mining.run(["chats.jsonl", "inbox.mbox"], "out/", events="events.csv")
    result.tags, result.themes, result.reports["funnel"], result.timings

The tagging stage (segment, embed, themes, objections, stages) is the list of steps in
``mining.tagging``; the reports live in ``mining.reports``; this module only orders the stages
and times them (``mining.progress``); the output folder is written atomically by
``mining.io.output_dir.write_outputs`` (its layout is there).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining.config import Settings
from mining.distributed import enabled
from mining.errors import Errors, InputError
from mining.io.corpus import load_corpus
from mining.io.output_dir import (
    table_meta,
    write_outputs,  # noqa: F401 - public here since the start
    write_rejects_only,
)
from mining.progress import Progress
from mining.reports import run_reports
from mining.reports._data import stage_names

if TYPE_CHECKING:
    import pandas as pd



@dataclass
class RunResult:
    """Everything one run produced.

    Attributes:
        tags: One row per message (columns of ``mining.schema.TAGS``).
        themes: One row per theme (``mining.schema.THEMES``).
        reports: Report name -> DataFrame, as returned by ``mining.reports.run_reports``.
        rejects: Input records that did not make it into the corpus (``REJECTS``).
        messages: The corpus messages the tags were made from.
        events: The corpus events.
        outcomes: The corpus outcomes.
        timings: Stage name -> wall-clock seconds.
        peak_rss_mb: Stage name -> peak memory of the process (MB) when the stage ended.
        counts: Named counts (messages, journeys, themes, ...), as in ``run.json``.
        out_dir: The output folder, when one was written.
        files: Output file paths relative to ``out_dir``.
    """

    tags: pd.DataFrame
    themes: pd.DataFrame
    reports: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    messages: pd.DataFrame
    events: pd.DataFrame
    outcomes: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    out_dir: Path | None = None
    files: list[str] = field(default_factory=list)
    tag_result: Any = None


def _as_paths(inputs: Any) -> list[str] | None:
    """Return ``inputs`` as a list of path strings when it names files, else None."""
    if isinstance(inputs, (str, PathLike)):
        return [str(inputs)]
    if (
        isinstance(inputs, Sequence)
        and inputs
        and all(isinstance(p, (str, PathLike)) for p in inputs)
    ):
        return [str(p) for p in inputs]
    return None


def _counts(result: RunResult) -> dict[str, int]:
    tags = result.tags
    counts = {
        "messages": len(result.messages),
        "tagged_messages": len(tags),
        "journeys": int(tags["journey_id"].nunique()) if "journey_id" in tags else 0,
        "conversations": int(tags["conversation_id"].nunique()) if "conversation_id" in tags else 0,
        "events": len(result.events),
        "outcomes": len(result.outcomes),
        "converted_journeys": int(result.outcomes["converted"].fillna(False).astype(bool).sum())
        if "converted" in result.outcomes
        else 0,
        "rejects": len(result.rejects),
        "themes": len(result.themes),
        "objection_messages": int(tags["is_objection"].fillna(False).astype(bool).sum())
        if "is_objection" in tags
        else 0,
    }
    units = getattr(result.tag_result, "units", None)
    if units is not None:
        counts["units"] = len(units)
    if "kind" in result.themes:
        for kind, n in result.themes["kind"].value_counts().items():
            counts[f"themes_{kind}"] = int(n)
    if "stage" in tags:
        for stage, n in tags["stage"].value_counts().items():
            counts[f"stage_{stage}"] = int(n)
    return counts


def run(
    corpus: Any,
    out_dir: str | PathLike[str] | None = None,
    *,
    settings: Settings | None = None,
    model_dir: str | PathLike[str] | None = None,
    taxonomy_dir: str | PathLike[str] | None = None,
    events: str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
    outcomes: str | PathLike[str] | Sequence[str | PathLike[str]] | None = None,
    agent_domains: Sequence[str] | None = None,
    progress: bool | Progress = True,
) -> RunResult:
    """Run the whole pipeline: ingest (when given paths), tag, report, and write ``out_dir``.

    Args:
        corpus: A ``mining.io.corpus.Corpus``, or one or more input paths (files or folders) to
            read with ``mining.load_corpus``.
        out_dir: Folder to write the outputs into (created if needed); None writes nothing.
        settings: Pipeline settings; None uses the defaults of ``mining.config.Settings``.
        model_dir: A ``model/`` folder of an earlier run: new data is tagged against its themes
            so theme ids stay stable. None fits new themes.
        taxonomy_dir: Folder of taxonomy YAML files; None uses the setting or the packaged ones.
        events: Events file(s), only used when ``corpus`` is paths (so are ``outcomes``).
        outcomes: Outcomes file(s).
        agent_domains: E-mail domains whose senders are agents, only used when ``corpus`` is paths.
        progress: Show progress on stderr (a bool, or a ``mining.progress.Progress`` to share);
            see ``mining.progress`` for what is shown on a terminal and in a log.

    Returns:
        A :class:`RunResult` with tags, themes, reports, rejects, timings (seconds per stage) and
        counts; its ``files`` lists what was written.

    Raises:
        InputError: When inputs cannot be read or ``model_dir`` does not exist; [E705] when
            no message is left after validation (``rejects.csv`` is still written to
            ``out_dir``, so the user can see why).
        ConfigError: When settings or the taxonomy are invalid.
    """
    settings = _run_settings(settings or Settings(), taxonomy_dir, model_dir)
    stages = Progress.coerce(progress)
    t_start = time.perf_counter()
    started = datetime.now(timezone.utc)
    paths = _as_paths(corpus)
    if paths is not None:
        with stages.stage("ingest", f"Reading {len(paths)} input(s)"):
            corpus = _ingest(paths, settings, events, outcomes, agent_domains)
    if len(corpus.messages) == 0:
        _no_messages(corpus.rejects, out_dir, settings, paths)

    if enabled(settings):  # --workers / --cluster: the same steps on Dask (mining.distributed)
        # choice: settings pick the Dask tag() or the in-process one (same name)
        from mining.distributed import tag
    else:
        # choice: settings pick the Dask tag() or the in-process one (same name)
        from mining.tagging import tag
    with stages.stage("tag", "Segmenting, embedding, finding themes and tagging"):
        tagged = tag(corpus, settings=settings, taxonomy_dir=taxonomy_dir, model_dir=model_dir,
                     progress=stages)
    stages.timings.update({f"tag.{k}": stages.timings.pop(k, v) for k, v in tagged.timings.items()})
    stages.peaks.update({f"tag.{k}": stages.peaks.pop(k) for k in tagged.timings
                         if k in stages.peaks})
    with stages.stage("reports", "Joining outcomes and computing reports"):
        reports = run_reports(tagged.tags, corpus.outcomes, corpus.events,
                              messages=corpus.messages, settings=settings)
    result = RunResult(tags=tagged.tags, themes=tagged.themes, reports=dict(reports),
                       rejects=corpus.rejects, messages=corpus.messages, events=corpus.events,
                       outcomes=corpus.outcomes, tag_result=tagged)
    result.counts = _counts(result)
    result.timings = stages.timings
    result.peak_rss_mb = stages.peaks  # the write step adds its own
    if out_dir is not None:  # atomic: a staging folder, moved into place, run.json last
        with stages.stage("write", f"Writing outputs to {out_dir}"):
            write_outputs(result, out_dir, settings=settings, inputs=paths, started=started,
                          t_start=t_start)
    result.timings["total"] = round(time.perf_counter() - t_start, 3)
    _stage_notes(result.tags, settings)
    return result


def _run_settings(settings: Settings, taxonomy_dir: str | PathLike[str] | None,
                  model_dir: str | PathLike[str] | None) -> Settings:
    """Return the run's settings with ``taxonomy_dir`` applied; check ``model_dir`` exists."""
    if taxonomy_dir is not None:  # reports and report.html order stages by the run's taxonomy
        settings = settings.model_copy(deep=True)
        settings.tagging.taxonomy_dir = Path(taxonomy_dir)
    if model_dir is not None and not Path(model_dir).is_dir():
        raise InputError(Errors.E100.format(path=model_dir))
    return settings


def _stage_notes(tags: pd.DataFrame, settings: Settings) -> None:
    """Log [W510]/[W511] when the stage tags are flat or unsure (the CLI prints them)."""
    # heavy: mining.stages loads scipy, sklearn; only when _stage_notes() runs
    from mining.stages import stage_warnings

    for note in stage_warnings(tags, stage_names(settings)):
        logging.getLogger("mining.stages").warning(note)


def _ingest(paths: list[str], settings: Settings, events: Any, outcomes: Any,
            agent_domains: Sequence[str] | None) -> Any:
    """Read input paths into a corpus with the run's settings (``agent_domains`` override them)."""
    return load_corpus(paths, events=events, outcomes=outcomes,
                       agent_domains=list(agent_domains or settings.ingest.agent_domains),
                       settings=settings)


def _no_messages(rejects: pd.DataFrame, out_dir: str | PathLike[str] | None,
                 settings: Settings, inputs: list[str] | None) -> None:
    """Stop a run that has no message left: write ``rejects.csv`` (so the user sees why), raise.

    Raises:
        InputError: [E705] always; [E700] when the rejects cannot be written.
    """
    where = "the rejects table of mining.load_corpus"
    if out_dir is not None:
        where = str(write_rejects_only(rejects, out_dir, table_meta(settings, inputs)))
    raise InputError(Errors.E705.format(count=len(rejects), where=where))


