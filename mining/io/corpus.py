"""The corpus: every input read, cleaned, de-duplicated and reconciled.

:func:`load_corpus` dispatches each path to its reader (message tables, chat exports, e-mail,
events, outcomes), fills ``clean_text`` (quotes, signatures and HTML removed; PII redacted unless
turned off), and rejects what cannot be used: oversized messages (E116), messages that are empty
after cleaning (E113) and duplicate message ids across all files (E114, the first copy is kept).
Every record read ends up in exactly one of the tables or in ``rejects``:
``read = accepted + rejected`` for every source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import ValidationError

from mining.config import IngestSettings, format_validation_error
from mining.errors import ConfigError, Errors, InputError
from mining.io.base import reject_frame
from mining.io.dispatch import plan_inputs, read_input
from mining.io.events import events_from_records
from mining.io.fields import check_column_map, resolve_timezone, show
from mining.io.outcomes import outcomes_from_records
from mining.io.records import Records, record_key, record_problem
from mining.io.tables import messages_from_records
from mining.schema import conform, empty
from mining.text.clean import clean_message
from mining.text.pseudonyms import pseudonymize_frame
from mining.text.redact import redact
from mining.text.redact import redact as redact_text

if TYPE_CHECKING:
    from mining.config import Settings
    from mining.io.base import ReadResult

PathArg = str | PathLike[str]
_SOURCE = re.compile(r"^(.*)[:#]([^:#/\\]+)$")
_KINDS = ("messages", "events", "outcomes")


@dataclass
class Corpus:
    """Messages, events, outcomes and rejects, plus what was read from each source.

    Attributes:
        messages: One row per accepted message (``mining.schema.MESSAGES``).
        events: Accepted events (``mining.schema.EVENTS``).
        outcomes: Accepted outcomes, one row per journey (``mining.schema.OUTCOMES``).
        rejects: Every record not accepted, with its code and reason (``mining.schema.REJECTS``).
        sources: One row per input read: ``source``, ``kind``, ``format``, ``read``,
            ``accepted``, ``rejected`` and ``reject_codes`` (like ``"E113:2 E114:1"``).
        notes: Remarks for the user (never message text).
        file_errors: One message per file that could not be read at all (only filled when
            ``load_corpus(..., file_errors="collect")``; otherwise the first one is raised).
    """

    messages: pd.DataFrame
    events: pd.DataFrame
    outcomes: pd.DataFrame
    rejects: pd.DataFrame
    sources: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"Corpus(messages={len(self.messages)}, events={len(self.events)}, "
            f"outcomes={len(self.outcomes)}, rejects={len(self.rejects)}, "
            f"sources={len(self.sources)}, file_errors={len(self.file_errors)})"
        )

    @property
    def n_read(self) -> int:
        """Records read over all sources."""
        return int(self.sources["read"].sum())

    @property
    def n_accepted(self) -> int:
        """Records accepted over all sources."""
        return int(self.sources["accepted"].sum())

    @property
    def n_rejected(self) -> int:
        """Records rejected over all sources (the length of ``rejects``)."""
        return len(self.rejects)

    def reconciles(self) -> bool:
        """True when ``read = accepted + rejected`` holds for every source and in total."""
        s = self.sources
        per_source = bool((s["read"] == s["accepted"] + s["rejected"]).all())
        return per_source and self.n_read == self.n_accepted + self.n_rejected

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: per-source counts, totals, rejects by code, notes."""
        by_code: dict[str, dict[str, Any]] = {}
        for r in self.rejects.itertuples(index=False):
            example = f"{r.source}:{r.record} {r.reason}"
            entry = by_code.setdefault(r.code, {"count": 0, "example": example})
            entry["count"] += 1
        sources = []
        for r in self.sources.itertuples(index=False):
            codes = dict(c.split(":") for c in str(r.reject_codes or "").split())
            sources.append({
                "source": r.source, "kind": r.kind, "format": r.format, "read": int(r.read),
                "accepted": int(r.accepted), "rejected": int(r.rejected),
                "rejects_by_code": {k: int(v) for k, v in codes.items()},
            })
        return {
            "sources": sources,
            "totals": {"read": self.n_read, "accepted": self.n_accepted,
                       "rejected": self.n_rejected, "reconciled": self.reconciles()},
            "tables": {"messages": len(self.messages), "events": len(self.events),
                       "outcomes": len(self.outcomes)},
            "rejects_by_code": dict(sorted(by_code.items())),
            "file_errors": list(self.file_errors),
            "notes": list(self.notes),
        }


def split_source(source: str) -> tuple[str, str]:
    """Split a messages ``source`` like ``"chats.jsonl:12"`` into ``("chats.jsonl", "12")``."""
    m = _SOURCE.match(str(source))
    return (m.group(1), m.group(2)) if m else (str(source), "")


def _ingest_settings(settings: Settings | IngestSettings | None, overrides: dict) -> IngestSettings:
    base = getattr(settings, "ingest", settings)
    data = base.model_dump() if base is not None else {}
    defaults = {"column_map": None, "timezone": "UTC", "agent_domains": (), "agent_addresses": (),
                "redact": True, "max_message_chars": 20_000, "agent_names": (),
                "date_order": "auto"}
    for key, value in overrides.items():
        if key == "redact":  # tri-state: an explicit True or False wins over the settings
            if value is not None or base is None:
                data[key] = defaults[key] if value is None else value
            continue
        if key == "column_map":
            value = dict(value or {})
        elif key in ("agent_domains", "agent_addresses", "agent_names"):
            value = list(value or ())
        if base is None or value not in (defaults[key], {}, []):
            data[key] = value
    try:
        return IngestSettings.model_validate(data)
    except ValidationError as err:
        raise ConfigError(Errors.E001.format(problems=format_validation_error(err))) from None


def _as_list(paths: PathArg | Iterable[PathArg] | None) -> list[Path]:
    if paths is None:
        return []
    if isinstance(paths, (str, PathLike)):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _clean_messages(
    msgs: pd.DataFrame, settings: IngestSettings
) -> tuple[pd.DataFrame, list[tuple[int, str, str, str, str]]]:
    """Fill ``clean_text``; reject oversized (E116), empty (E113) and duplicate-id (E114) rows.

    Returns:
        The kept rows and rejects as ``(result index, source, record, code, reason)``.
    """
    limit, do_redact = settings.max_message_chars, settings.redact
    rejects: list[tuple[int, str, str, str, str]] = []
    clean: list[str | None] = []
    keep: list[bool] = []
    first_seen: dict[str, str] = {}
    rows = zip(msgs["_rid"].tolist(), msgs["message_id"].tolist(), msgs["text"].tolist(),
               msgs["clean_text"].tolist(), msgs["source"].tolist(), strict=True)
    for rid, mid, text, pre, source in rows:
        src_file, record = split_source(source)
        precleaned = isinstance(pre, str)
        length = len(pre) if precleaned else len(text) if isinstance(text, str) else 0
        ct: str | None = None
        if length > limit:
            reason = Errors.E116.format(length=length, limit=limit)
            rejects.append((rid, src_file, record, "E116", reason))
        else:
            if precleaned:
                ct = redact(pre) if do_redact else pre
            else:
                ct = clean_message(text if isinstance(text, str) else "", redact=do_redact)
            if not ct or not ct.strip():
                rejects.append((rid, src_file, record, "E113", Errors.E113))
                ct = None
            elif mid in first_seen:
                kept = first_seen[mid]
                reason = Errors.E114.format(field="message_id", value=show(mid, 80), kept=kept)
                rejects.append((rid, src_file, record, "E114", reason))
                ct = None
            else:
                first_seen[mid] = source
        keep.append(ct is not None)
        clean.append(ct)
    msgs = msgs.assign(clean_text=clean)
    return msgs[keep], rejects


def _journey_of(msgs: pd.DataFrame) -> dict[str, str]:
    pairs = msgs[["conversation_id", "journey_id"]].dropna().drop_duplicates("conversation_id")
    return dict(zip(pairs["conversation_id"].tolist(), pairs["journey_id"].tolist(), strict=True))


def _rekey(table: pd.DataFrame, journey_of: dict[str, str]) -> pd.DataFrame:
    """Give rows keyed by ``conversation_id`` the journey of that conversation."""
    if "conversation_id" not in table.columns:
        return table
    conv = table["conversation_id"]
    mapped = [journey_of.get(c, c) if isinstance(c, str) else j
              for c, j in zip(conv.tolist(), table["journey_id"].tolist(), strict=True)]
    return table.assign(journey_id=mapped)


def _merge_outcomes(out: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """One row per journey: rows of conversations that share a journey are combined."""
    dup = out["journey_id"].duplicated(keep=False)
    if not dup.any():
        return out
    notes.append(
        f"{int(out.loc[dup, 'journey_id'].nunique())} journey(s) have outcomes from several "
        "conversations: converted if any converted, earliest converted_at, summed value"
    )
    conv_at = out["converted_at"].where(out["converted"].fillna(False).astype(bool))
    agg = out.assign(converted_at=conv_at).groupby("journey_id", sort=False, dropna=False).agg(
        converted=("converted", "max"), converted_at=("converted_at", "min"),
        value=("value", lambda v: v.sum(min_count=1)), source=("source", "first"),
        _rid=("_rid", "first"),
    )
    return agg.reset_index()


def load_corpus(
    paths: PathArg | Iterable[PathArg],
    events: PathArg | Iterable[PathArg] | None = None,
    outcomes: PathArg | Iterable[PathArg] | None = None,
    *,
    column_map: dict[str, str] | None = None,
    timezone: str = "UTC",
    agent_domains: Iterable[str] = (),
    agent_addresses: Iterable[str] = (),
    redact: bool | None = None,
    max_message_chars: int = 20_000,
    settings: Settings | IngestSettings | None = None,
    file_errors: Literal["raise", "collect"] = "raise",
    agent_names: Iterable[str] = (),
    date_order: Literal["auto", "dmy", "mdy"] = "auto",
) -> Corpus:
    """Read message files and folders (and optional events and outcomes) into a :class:`Corpus`.

    Args:
        paths: Message tables (``.jsonl``, ``.json``, ``.csv``, ``.tsv``, ``.parquet``, each
            optionally ``.gz``), chat exports (``.json``), e-mail (``.eml``, ``.mbox``), product
            exports (WhatsApp ``.txt``/``.zip``, Messenger/Instagram, Telegram, Zendesk,
            Intercom, Freshdesk, HubSpot JSON; see :mod:`mining.io.sources`) or folders of them.
            Table files in a folder that hold events (an ``event_type`` column) or outcomes (a
            ``converted`` column) instead of messages are read as such.
        events: Events file(s).
        outcomes: Outcomes file(s).
        column_map: Canonical field -> input column, e.g. ``{"text": "body"}``.
        timezone: IANA time zone that naive timestamps are taken in.
        agent_domains: E-mail domains of the business side (senders there are agents).
        agent_addresses: E-mail addresses of the business side.
        redact: Replace PII in ``clean_text`` with placeholders. None: the settings' value
            (on without settings); True or False overrides the settings.
        max_message_chars: Longer messages are rejected (E116).
        settings: ``Settings`` or ``IngestSettings`` to start from; the keyword arguments above
            override it where they differ from their defaults.
        file_errors: ``"raise"`` stops at the first file that cannot be read at all;
            ``"collect"`` lists such files in ``corpus.file_errors`` and reads the others.
        agent_names: Names of the business in chat-app exports (WhatsApp, Messenger, Telegram):
            their messages are agent messages.
        date_order: WhatsApp dates: ``"auto"`` (decided per file), ``"dmy"`` or ``"mdy"``.

    Returns:
        The corpus. ``corpus.reconciles()`` is True: every record read is accepted or rejected.

    Raises:
        InputError: When an input cannot be read at all (E100-E108).
        ConfigError: For no inputs (E006), an unknown time zone (E004), a bad column map (E002)
            or invalid settings (E001).
    """
    ingest = _ingest_settings(settings, {
        "column_map": column_map, "timezone": timezone, "agent_domains": agent_domains,
        "agent_addresses": agent_addresses, "redact": redact,
        "max_message_chars": max_message_chars, "agent_names": agent_names,
        "date_order": date_order,
    })
    resolve_timezone(ingest.timezone)
    check_column_map(ingest.column_map)
    message_paths = _as_list(paths)
    if not message_paths:
        raise ConfigError(Errors.E006)
    plan, notes = plan_inputs(message_paths, _as_list(events), _as_list(outcomes))
    results = []
    unreadable: list[str] = []
    for p, kind in plan:
        try:
            res = read_input(p, kind, ingest)
        except InputError as err:
            if file_errors != "collect":
                raise
            unreadable.append(str(err))
            continue
        if res is None:
            notes.append(f"{p}: skipped (not messages, events or outcomes)")
        else:
            results.append(res)
    return assemble(results, ingest, notes=notes, file_errors=unreadable)


def corpus_from_frames(
    messages: pd.DataFrame | None,
    events: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    *,
    column_map: dict[str, str] | None = None,
    timezone: str = "UTC",
    redact: bool | None = None,
    max_message_chars: int = 20_000,
    settings: Settings | IngestSettings | None = None,
) -> Corpus:
    """Build a :class:`Corpus` from DataFrames already in memory, with the same checks as files.

    Each frame is read like a table file (column mapping, role synonyms, time zones, generated
    ids, cleaning, redaction, rejects); its records are numbered by row position, 1-based, and
    their source is ``<messages>``, ``<events>`` or ``<outcomes>``.

    Args:
        messages: One row per message (at least a text column), or None.
        events: Events, or None.
        outcomes: Outcomes, or None.
        column_map: Canonical field -> column, e.g. ``{"text": "body"}``.
        timezone: IANA time zone that naive timestamps are taken in.
        redact: Replace PII in ``clean_text`` with placeholders. None: the settings' value
            (on without settings); True or False overrides the settings.
        max_message_chars: Longer messages are rejected (E116).
        settings: ``Settings`` or ``IngestSettings`` to start from (see :func:`load_corpus`).

    Returns:
        The corpus.

    Raises:
        InputError: [E106] when a frame lacks its required columns.
        ConfigError: For an unknown time zone (E004), a bad column map (E002) or invalid settings.
    """
    ingest = _ingest_settings(settings, {
        "column_map": column_map, "timezone": timezone, "agent_domains": (),
        "agent_addresses": (), "redact": redact, "max_message_chars": max_message_chars,
    })
    resolve_timezone(ingest.timezone)
    results = []
    for name, frame, build in (("messages", messages, messages_from_records),
                               ("events", events, events_from_records),
                               ("outcomes", outcomes, outcomes_from_records)):
        if frame is None:
            continue
        records = Records(f"<{name}>", "dataframe", columns=[str(c) for c in frame.columns])
        rows = frame.rename(columns=str).to_dict("records")
        for i, rec in enumerate(rows, start=1):
            problem = record_problem(rec)
            if problem is None:
                records.items.append((str(i), rec))
            else:
                records.rejects.append((records.path, str(i), *problem))
        res = build(records, ingest)
        res.fmt = "dataframe"
        results.append(res)
    return assemble(results, ingest, notes=[], file_errors=[])


def assemble(
    results: list[ReadResult], ingest: IngestSettings, *, notes: list[str], file_errors: list[str]
) -> Corpus:
    """Combine readers' results into a corpus: clean, reject, join keys, count.

    Args:
        results: What the readers returned, in input order.
        ingest: Ingestion settings (``redact``, ``max_message_chars``).
        notes: Notes so far (extended with the readers' notes).
        file_errors: Files that could not be read at all.

    Returns:
        The corpus.
    """
    unreadable = file_errors
    tables: dict[str, list[pd.DataFrame]] = {k: [] for k in _KINDS}
    reject_frames = []
    for rid, res in enumerate(results):
        notes.extend(res.notes)
        table, rejected = _private(res, ingest.redact)
        tables[res.kind].append(table.assign(_rid=rid))
        reject_frames.append(rejected.assign(_rid=rid))

    msgs = pd.concat(tables["messages"], ignore_index=True) if tables["messages"] else None
    corpus_rejects: list[tuple[int, str, str, str, str]] = []
    if msgs is not None and len(msgs):
        msgs, corpus_rejects = _clean_messages(msgs, ingest)
    journey_of = _journey_of(msgs) if msgs is not None and len(msgs) else {}

    evs = pd.concat(tables["events"], ignore_index=True) if tables["events"] else None
    if evs is not None:
        evs = _rekey(evs, journey_of)
    outs = pd.concat(tables["outcomes"], ignore_index=True) if tables["outcomes"] else None
    outcomes_kept: dict[int, int] = {}
    if outs is not None and len(outs):
        outs, outcomes_kept = _dedupe_outcomes(outs, journey_of, corpus_rejects, notes)

    rejects = _sorted_rejects(reject_frames, corpus_rejects)
    accepted = {k: (v["_rid"].value_counts().to_dict() if v is not None and len(v) else {})
                for k, v in (("m", msgs), ("e", evs))}
    accepted["o"] = outcomes_kept  # before journeys were merged: one per record accepted
    rows = _source_rows(results, rejects, accepted)
    sources = pd.DataFrame(rows, columns=["source", "kind", "format", "read", "accepted",
                                          "rejected", "reject_codes"])
    corpus = Corpus(
        messages=conform(msgs, "messages") if msgs is not None else _empty("messages"),
        events=conform(evs, "events") if evs is not None else _empty("events"),
        outcomes=conform(outs, "outcomes") if outs is not None else _empty("outcomes"),
        rejects=conform(rejects, "rejects"),
        sources=sources,
        notes=notes,
        file_errors=unreadable,
    )
    if not corpus.reconciles():  # a reader miscounted; say so rather than hide it
        bad = [r["source"] for r in rows if r["read"] != r["accepted"] + r["rejected"]]
        corpus.notes.append(f"counts do not reconcile for: {', '.join(bad)} (please report this)")
    return corpus


def _dedupe_outcomes(
    outs: pd.DataFrame, journey_of: dict, corpus_rejects: list, notes: list[str]
) -> tuple[pd.DataFrame, dict[int, int]]:
    """Reject duplicate outcome records (E114), then rekey and merge the rest per journey.

    Args:
        outs: The outcome rows of all readers (non-empty, with ``_rid``).
        journey_of: Conversation id to journey id, from the messages.
        corpus_rejects: Rejections so far; duplicates are appended to it.
        notes: Notes so far (extended by the merge).

    Returns:
        The merged outcomes and, per reader, how many outcome records were accepted.
    """
    if "conversation_id" not in outs:
        outs = outs.assign(conversation_id=pd.NA)
    key = outs["conversation_id"]
    kind = key.notna().map({True: "conversation_id", False: "journey_id"})
    ident = kind + "\x1f" + outs["journey_id"].astype(str)
    dup = ident.duplicated()
    first = dict(zip(ident[~dup].tolist(), outs.loc[~dup, "source"].tolist(), strict=True))
    for i in outs.index[dup]:
        src_file, record = split_source(outs.at[i, "source"])
        reason = Errors.E114.format(field=kind[i], value=show(outs.at[i, "journey_id"], 80),
                                    kept=first[ident[i]])
        corpus_rejects.append((int(outs.at[i, "_rid"]), src_file, record, "E114", reason))
    outcomes_kept = outs.loc[~dup, "_rid"].value_counts().to_dict()
    return _merge_outcomes(_rekey(outs[~dup], journey_of), notes), outcomes_kept


def _sorted_rejects(reject_frames: list[pd.DataFrame], corpus_rejects: list) -> pd.DataFrame:
    """Join the readers' and the corpus's rejections, ordered by reader and record.

    Args:
        reject_frames: The readers' reject frames (each with ``_rid``).
        corpus_rejects: ``(rid, file, record, code, reason)`` rejections made while assembling.

    Returns:
        One reject frame with ``_rid``, possibly empty.
    """
    if corpus_rejects:
        extra = reject_frame([r[1:] for r in corpus_rejects])
        reject_frames = [*reject_frames, extra.assign(_rid=[r[0] for r in corpus_rejects])]
    rejects = pd.concat(reject_frames, ignore_index=True) if reject_frames else None
    if rejects is None or rejects.empty:
        rejects = reject_frame([]).assign(_rid=pd.Series(dtype="int64"))
    keys = [(int(rid), record_key(rec)) for rid, rec in
            zip(rejects["_rid"].tolist(), rejects["record"].tolist(), strict=True)]
    return rejects.iloc[sorted(range(len(keys)), key=keys.__getitem__)]


def _source_rows(
    results: list[ReadResult], rejects: pd.DataFrame, accepted: dict[str, dict[int, int]]
) -> list[dict]:
    """One row per input: what was read, accepted and rejected (with reject codes).

    Args:
        results: What the readers returned, in input order.
        rejects: All rejections, with ``_rid``.
        accepted: Per table kind, accepted record counts per reader id.

    Returns:
        The rows of the ``sources`` table.
    """
    rows = []
    for rid, res in enumerate(results):
        mine = rejects[rejects["_rid"] == rid]
        codes = mine["code"].value_counts().sort_index()
        n_acc = sum(a.get(rid, 0) for a in accepted.values())
        rows.append({
            "source": str(res.source), "kind": res.kind, "format": res.fmt, "read": res.n_read,
            "accepted": n_acc, "rejected": len(mine),
            "reject_codes": " ".join(f"{c}:{n}" for c, n in codes.items()),
        })
    return rows


def _private(res: ReadResult, redact: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reader's table and rejects with e-mail/phone ids pseudonymised and reasons redacted."""
    if not redact:
        return res.table, res.rejects

    reasons = res.rejects["reason"].map(redact_text, na_action="ignore")
    return pseudonymize_frame(res.table), res.rejects.assign(reason=reasons)


def _empty(table: str) -> pd.DataFrame:
    return empty(table)
