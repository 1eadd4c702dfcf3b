"""Read inputs, fit or apply a ``ThemeModel``, write ``themes.csv``/``assignments.csv``.

This is what ``journeymine themes`` does, callable from Python; it reads the inputs and runs the
tagging steps of :mod:`mining.tagging` for one theme kind::

    from mining.themes.run import run_themes
    res = run_themes(["tickets.csv"], "out/", text_column="body", id_column="ticket_id")
    res.themes, res.assignments          # DataFrames, also written to out/

Every input row gets exactly one assignment row. Rows that cannot take part (empty text,
unreadable record) get ``theme_id`` -1 and a ``note`` that says why; duplicate ids are kept
(each row is assigned) and noted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from mining.config import Settings
from mining.errors import ConfigError, Errors, InputError
from mining.io.corpus import load_corpus
from mining.io.output_dir import staged
from mining.io.records import read_records, record_key
from mining.io.writers import write_table
from mining.tagging import make_context, run_steps
from mining.tagging.steps import detect_objections, embed_units, segment_units
from mining.tagging.themes import fit_or_assign_themes, theme_kind, theme_rows
from mining.text.clean import clean_message
from mining.text.pseudonyms import pseudonymize_frame
from mining.themes.model import KINDS, ThemeModel

if TYPE_CHECKING:
    from mining.progress import Progress
    from mining.tagging.context import TagContext

log = logging.getLogger("mining")

#: Columns of ``assignments.csv``, in order.
ASSIGNMENT_COLUMNS = ("message_id", "theme_id", "theme_label", "probability", "note")
#: Columns of ``themes.csv``, in order.
THEME_COLUMNS = ("theme_id", "label", "size", "keywords", "examples", "kind")
_TABLE_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".pq")
_ROLE_OF_KIND = {"intent": "customer", "objection": "customer", "reply": "agent"}


@dataclass
class ThemesRun:
    """What :func:`run_themes` produced."""

    themes: pd.DataFrame
    assignments: pd.DataFrame
    model: ThemeModel
    out_dir: Path
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def _table_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and
                            f.name.lower().removesuffix(".gz").endswith(_TABLE_SUFFIXES))
        elif p.exists():
            files.append(p)
        else:
            raise InputError(Errors.E100.format(path=p))
    if not files:
        raise ConfigError(Errors.E006)
    return files


def read_table_rows(paths: Sequence[Path], text_column: str, id_column: str | None = None,
                    *, redact: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """Read plain tables into one row per record: ``message_id``, ``text``, ``note``.

    Args:
        paths: Table files or folders of them.
        text_column: Column holding the text.
        id_column: Column holding the id; None numbers the rows from 0 (prefixed with the file
            name when several files are read).
        redact: Redact personal data in the text (``mining.text.clean.clean_message``) and
            replace ids that are e-mail addresses or phone numbers by ``msg-`` pseudonyms.

    Returns:
        ``(rows, notes)``: rows in file and record order, ``text`` cleaned (empty when missing)
        and ``note`` set for records that cannot be themed.

    Raises:
        InputError: [E100] missing path, [E306] missing column, and unreadable files.
    """
    files = _table_files(paths)
    ids: list[str] = []
    texts: list[str] = []
    notes_col: list[str] = []
    for f in files:
        recs = read_records(f)
        for col in (text_column, id_column):
            if col and recs.items and col not in recs.columns:
                raise InputError(Errors.E306.format(column=col, path=f,
                                                    columns=", ".join(recs.columns[:20])))
        entries: list[tuple[tuple, Any, str]] = [(record_key(lab), rec, "")
                                                 for lab, rec in recs.items]
        entries += [(record_key(r[1]), None, f"unreadable record ({r[2]})") for r in recs.rejects]
        entries.sort(key=lambda e: e[0])
        prefix = f"{f.name}:" if len(files) > 1 else ""
        for row, (_, rec, note) in enumerate(entries):
            value = rec.get(id_column) if (rec is not None and id_column) else None
            ids.append(f"{prefix}{row}" if value is None or _is_na(value) else _id_str(value))
            raw = rec.get(text_column) if rec is not None else None
            text = clean_message(str(raw), redact=redact) if isinstance(raw, str | int | float) \
                and not _is_na(raw) else ""
            if not note and not text.strip():
                note = "empty text"
            texts.append(text)
            notes_col.append(note)
    rows = pd.DataFrame({"message_id": ids, "text": texts, "note": notes_col}, dtype="string")
    if redact:  # an id that is an e-mail address or phone number becomes msg-…
        rows = pseudonymize_frame(rows, ("message_id",))
    dup = rows["message_id"].duplicated(keep=False).to_numpy(dtype=bool)
    rows.loc[dup, "note"] = [("duplicate message_id; " + n).rstrip("; ")
                             for n in rows.loc[dup, "note"].tolist()]
    out_notes = []
    if dup.any():
        out_notes.append(f"{int(dup.sum())} rows share a message_id with another row")
    return rows, out_notes


def _is_na(v: Any) -> bool:
    return isinstance(v, float) and v != v


def _id_str(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_corpus_rows(paths: Sequence[Path], kind: str, *, settings: Settings | None = None,
                     events: Sequence[str | Path] | None = None,
                     outcomes: Sequence[str | Path] | None = None,
                     ) -> tuple[pd.DataFrame, list[str]]:
    """Read any supported input with ``mining.io.corpus.load_corpus``; keep the kind's role.

    Args:
        paths: Inputs as for ``load_corpus``.
        kind: Theme kind: ``intent``/``objection`` keep customer messages, ``reply`` agent ones.
        settings: Settings whose ``ingest`` section says how to read (redaction, agent domains,
            column map, time zone); None uses the defaults.
        events: Events files.
        outcomes: Outcomes files.

    Returns:
        ``(rows, notes)`` with ``message_id``, ``text`` (``clean_text``) and ``note``.
    """
    corpus = load_corpus(list(paths), events=list(events or []) or None,
                         outcomes=list(outcomes or []) or None, settings=settings)
    msgs = corpus.messages
    role = _ROLE_OF_KIND[kind]
    keep = msgs["role"].eq(role).fillna(False).to_numpy(dtype=bool)
    rows = msgs.loc[keep, ["message_id", "clean_text"]].rename(columns={"clean_text": "text"})
    rows = rows.reset_index(drop=True).astype("string")
    rows["text"] = rows["text"].fillna("")
    rows["note"] = rows["text"].map(lambda t: "" if t.strip() else "empty text").astype("string")
    people = msgs["role"].isin(["customer", "agent"]).fillna(False).to_numpy(dtype=bool)
    # names of the corpus's people, kept out of keywords, labels and examples
    rows.attrs["authors"] = msgs.loc[people, "author"].dropna().astype(str).unique().tolist()
    notes = list(corpus.notes)
    if len(corpus.rejects):
        notes.append(f"{len(corpus.rejects)} input record(s) rejected at ingestion "
                     "(run `journeymine validate` for the list)")
    notes.append(f"{int(keep.sum())} of {len(msgs)} messages have role '{role}'")
    return rows, notes


# --------------------------------------------------------------------------- running


def run_themes(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    kind: str = "intent",
    text_column: str | None = None,
    id_column: str | None = None,
    settings: Settings | None = None,
    model_dir: str | Path | None = None,
    progress: bool | Progress = True,
    events: Sequence[str | Path] | None = None,
    outcomes: Sequence[str | Path] | None = None,
) -> ThemesRun:
    """Find themes in the inputs (or assign them to a saved model's themes) and write the outputs.

    Runs the tagging steps of :mod:`mining.tagging` for one kind: objection themes are found in
    the sentence units the objection detector accepts (as in ``journeymine run``), intent and
    reply themes in whole messages of the kind's role.

    Args:
        inputs: Files or folders.
        out_dir: Output folder: ``themes.csv``, ``assignments.csv`` and (when fitting) ``model/``.
        kind: ``intent``, ``objection`` or ``reply``.
        text_column: Read plain tables, text from this column (otherwise ``load_corpus``).
        id_column: With ``text_column``: the id column (default: row numbers).
        settings: Settings (``themes`` for the model, ``ingest`` for reading, ``embed``); None
            uses the defaults.
        model_dir: A saved ``ThemeModel``: assign instead of fitting.
        progress: Progress on stderr (bool or ``mining.progress.Progress``).
        events: Without ``text_column``: events files (read with the corpus).
        outcomes: Without ``text_column``: outcomes files (read with the corpus).

    Returns:
        The themes, the assignments, the model and notes.
    """
    if kind not in KINDS:
        raise ConfigError(Errors.E002.format(kind="theme kind", name=kind,
                                             choices=", ".join(KINDS)))
    if id_column and not text_column:
        raise ConfigError(Errors.E307)
    paths = [Path(p) for p in inputs]
    if not paths:
        raise ConfigError(Errors.E006)
    settings = settings or Settings()
    model = ThemeModel.load(model_dir) if model_dir else None
    kind = model.kind if model is not None else kind
    redact = settings.ingest.redact
    if text_column:
        rows, notes = read_table_rows(paths, text_column, id_column, redact=redact)
    else:
        rows, notes = read_corpus_rows(paths, kind, settings=settings, events=events,
                                       outcomes=outcomes)
    ctx = _context(rows, kind, settings, model, progress)
    theme_ids, probs, unit_notes = _theme_messages(ctx, kind, rows)
    rows = rows.assign(note=[n or u for n, u in zip(rows["note"].fillna("").tolist(),
                                                    unit_notes, strict=True)])
    model = ctx.models[f"themes_{kind}"]
    assignments = _assignments(rows, theme_ids, probs, model)
    themes = _themes_table(model, theme_ids)
    out = Path(out_dir)
    _write(out, themes, assignments, model if model_dir is None else None)
    n_un = int((assignments["theme_id"] < 0).sum())
    notes.append(f"{len(assignments)} rows, {len(themes)} themes, {n_un} unassigned")
    for n in notes:
        log.info("%s", n)
    return ThemesRun(themes=themes, assignments=assignments, model=model, out_dir=out,
                     notes=notes)


def _context(rows: pd.DataFrame, kind: str, settings: Settings, model: ThemeModel | None,
             progress: bool | Progress) -> TagContext:
    """A tagging context whose "journeys" are the rows that can be themed."""
    ok = rows["note"].eq("").to_numpy(dtype=bool) | rows["note"].str.startswith(
        "duplicate message_id").fillna(False).to_numpy(dtype=bool)
    ok &= rows["text"].str.strip().ne("").fillna(False).to_numpy(dtype=bool)
    role = _ROLE_OF_KIND[kind]
    frame = pd_frame({"message_id": [str(i) for i in range(len(rows))],
                      "clean_text": rows["text"].fillna("").tolist(), "role": role})[ok]
    embedder = settings.embed.model if model is None or not model.embedder else model.embedder
    ctx = make_context(SimpleNamespace(messages=frame), settings=settings, embedder=embedder,
                       progress=progress)
    ctx.journeys = frame.reset_index(drop=True)
    ctx.authors = list(rows.attrs.get("authors", []))
    if model is not None:
        ctx.theme_models[kind] = model
    return ctx


def _message_units(ctx: TagContext) -> TagContext:
    """One unit per message (intent and reply themes are found in whole messages)."""
    j = ctx.journeys
    ctx.units = pd_frame({"unit_id": j["message_id"] + ":0", "message_id": j["message_id"],
                          "text": j["clean_text"]})
    ctx.unit_roles = j["role"].to_numpy()
    return ctx


def _theme_messages(ctx: TagContext, kind: str, rows: pd.DataFrame
                    ) -> tuple[Any, Any, list[str]]:
    """Run the tagging steps for ``kind``; a message takes the theme of its most probable unit.

    Raises:
        InputError: [E302] when fitting and no unit can be themed.
    """
    ctx.fit_themes = False  # the themes step only adds the theme column; theme_kind fits
    steps = ((segment_units, "Splitting messages into sentences"),
             (embed_units, "Embedding sentences"),
             (detect_objections, "Detecting objections")) if kind == "objection" else \
        ((_message_units, "Taking one unit per message"),)
    ctx = run_steps(ctx, (*steps, (fit_or_assign_themes, "Preparing themes")))
    n = len(rows)
    theme_ids, probs = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float64)
    notes = ["no objection found" if kind == "objection" else ""] * n
    units = theme_rows(ctx, kind) if kind == "objection" else np.arange(len(ctx.units))
    fitted = kind in ctx.theme_models
    if len(units) < 3 and not fitted:
        raise InputError(Errors.E302.format(need=3, got=len(units)))
    with ctx.progress.stage("themes", f"Finding {kind} themes ({len(units):,} units)"):
        ids, p = theme_kind(ctx, kind, units, min_texts=0)
    owner = ctx.units["message_id"].iloc[units].astype(int).to_numpy()
    for o, t, q in zip(owner, ids, p, strict=True):
        notes[o] = ""
        if t >= 0 and q > probs[o]:
            theme_ids[o], probs[o] = t, q
    return theme_ids, probs, notes


def pd_frame(data: dict[str, Any]) -> pd.DataFrame:
    """A ``pandas.DataFrame`` of strings (pandas imported lazily)."""
    return pd.DataFrame(data).astype("string")


def _assignments(rows: pd.DataFrame, theme_ids: Any, probs: Any,
                 model: ThemeModel) -> pd.DataFrame:
    labels = model.label_of(theme_ids)
    notes = rows["note"].fillna("").tolist()
    for i, t in enumerate(theme_ids):
        if t < 0 and not notes[i]:
            notes[i] = "no theme close enough"
    return pd.DataFrame({
        "message_id": rows["message_id"].astype("string").to_numpy(),
        "theme_id": pd.array(theme_ids, dtype="int64"),
        "theme_label": pd.array(labels, dtype="string"),
        "probability": pd.array([round(float(p), 4) for p in probs], dtype="float64"),
        "note": pd.array(notes, dtype="string"),
    })


def _themes_table(model: ThemeModel, theme_ids: Any) -> pd.DataFrame:
    t = model.themes_.copy()
    counts = np.bincount(np.asarray(theme_ids)[np.asarray(theme_ids) >= 0],
                         minlength=len(t)) if len(t) else np.zeros(0, dtype=int)
    t["size"] = [int(counts[int(i)]) if int(i) < len(counts) else 0 for i in t["theme_id"]]
    return t[list(THEME_COLUMNS)].reset_index(drop=True)


def _write(out: Path, themes: pd.DataFrame, assignments: pd.DataFrame,
           model: ThemeModel | None) -> None:
    """Write ``themes.csv``, ``assignments.csv`` and ``model/`` into ``out`` all at once.

    Staged beside ``out`` (:func:`mining.io.output_dir.staged`): an error or an interrupt while
    writing leaves the previous outputs in ``out`` as they were, and a link in ``out`` is
    replaced, never written through.
    """
    with staged(out) as stage:
        write_table(themes, stage / "themes.csv", "csv", side_file=False)
        write_table(assignments, stage / "assignments.csv", "csv", side_file=False)
        if model is not None:
            model.save(stage / "model")


def print_themes(result: ThemesRun, width: int | None = None) -> None:
    """Print a readable table of the themes to stdout (and the notes to stderr).

    Args:
        result: A :func:`run_themes` result.
        width: Console width; None detects it.
    """
    table = Table(title=f"{len(result.themes)} {result.model.kind} themes", show_lines=False)
    for name, kw in (("id", {"justify": "right"}), ("size", {"justify": "right"}),
                     ("label", {}), ("keywords", {}), ("example", {})):
        table.add_column(name, overflow="fold", **kw)
    for r in result.themes.itertuples(index=False):
        kws = ", ".join(str(r.keywords).split(", ")[:5]) if isinstance(r.keywords, str) else ""
        ex = str(r.examples).split(" | ")[0] if isinstance(r.examples, str) else ""
        table.add_row(str(r.theme_id), str(r.size), str(r.label), kws, ex[:80])
    Console(width=width, soft_wrap=False).print(table)
    un = int((result.assignments["theme_id"] < 0).sum())
    err = Console(stderr=True, width=width)
    err.print(f"{len(result.assignments)} rows, {un} unassigned; written to {result.out_dir}",
              highlight=False, markup=False)
