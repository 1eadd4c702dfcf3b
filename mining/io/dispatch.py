"""Which reader reads each input: files by extension, folders searched, tables by their columns.

A folder's ``.eml`` files and every mbox are read together as one e-mail source (threads span
files); each table file is read on its own. A table named on the command line is messages unless
its columns say events (``event_type``) or outcomes (``converted``); a table found in a folder
needs its file name to agree, and one that is none of the three is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mining.errors import Errors, InputError, Warnings
from mining.io.base import ReadResult
from mining.io.chat import chat_from_records, is_chat_export
from mining.io.events import events_from_records
from mining.io.fields import ALIASES
from mining.io.outcomes import outcomes_from_records
from mining.io.records import EMAIL_SUFFIXES, read_records, table_format
from mining.io.registry import is_text_export, read_json_export, read_text_export
from mining.io.tables import messages_from_records

if TYPE_CHECKING:
    from mining.config import IngestSettings


def plan_inputs(
    paths: Sequence[Path], events: Sequence[Path] = (), outcomes: Sequence[Path] = ()
) -> tuple[list[tuple[Path, str]], list[str]]:
    """Decide which reader reads each input.

    Folders are searched recursively (hidden files skipped): a folder holding ``.eml`` files and
    every mbox file are e-mail inputs, and all e-mail inputs are read together as one source (so
    threads that span files are rebuilt); each table file is read on its own; other files are
    skipped with a note.

    Returns:
        ``([(path or paths, kind), ...], notes)`` with kind ``"email"`` (a list of paths),
        ``"auto"`` (a table file: messages, or events/outcomes recognised by their columns),
        ``"found"`` (the same, found in a folder: events and outcomes also need ``event`` or
        ``outcome``/``conversion`` in the file name, and a table that is none of them is
        skipped), ``"export"`` (a WhatsApp chat, ``.txt`` or ``.zip``),
        ``"events"`` or ``"outcomes"``.

    Raises:
        InputError: [E100] a path does not exist, [E101] unknown file type, [E108] a folder has
            nothing readable.
    """
    plan: list[tuple[Any, str]] = []
    notes: list[str] = []
    mail: list[Path] = []
    for p in paths:
        if not p.exists():
            raise InputError(Errors.E100.format(path=p))
        if p.is_file():
            if _is_mbox_or_eml(p):
                if not mail:
                    plan.append((mail, "email"))
                mail.append(p)
            elif table_format(p) is not None:
                plan.append((p, "auto"))
            elif is_text_export(p):  # a WhatsApp chat (.txt, .zip)
                plan.append((p, "export"))
            else:
                raise InputError(Errors.E101.format(path=p))
            continue
        files, skipped_notes = folder_files(p)
        notes.extend(skipped_notes)
        found = False
        skipped: list[str] = []
        if any(f.suffix.lower() == ".eml" for f in files):
            if not mail:
                plan.append((mail, "email"))
            mail.append(p)
            found = True
        for f in files:
            if f.suffix.lower() != ".eml" and _is_mbox_or_eml(f):
                if not mail:
                    plan.append((mail, "email"))
                mail.append(f)
            elif table_format(f) is not None:
                plan.append((f, "found"))
            elif is_text_export(f):
                plan.append((f, "export"))
            elif f.suffix.lower() != ".eml":
                skipped.append(str(f.relative_to(p)))
                continue
            found = True
        if skipped:
            shown = ", ".join(skipped[:5]) + (", …" if len(skipped) > 5 else "")
            notes.append(f"{p}: skipped {len(skipped)} file(s) journeymine does not read: {shown}")
        if not found:
            raise InputError(Errors.E108.format(path=p))
    for kind, extra in (("events", events), ("outcomes", outcomes)):
        for p in extra:
            if not p.exists():
                raise InputError(Errors.E100.format(path=p))
            if not p.is_file() or table_format(p) is None:
                raise InputError(Errors.E101.format(path=p))
            plan.append((p, kind))
    return plan, notes


def folder_files(folder: Path) -> tuple[list[Path], list[str]]:
    """The files of an input folder, searched recursively, and notes on what was left out.

    Hidden files and folders (names starting with ``.``) and journeymine output folders (a
    ``run.json`` of a run inside, which would otherwise be read back as input) are skipped, each
    kind with a note (W101, W102).
    """
    files: list[Path] = []
    hidden: list[str] = []
    outputs = sorted(
        r.parent for r in folder.rglob("run.json") if r.is_file() and _is_run_json(r)
    )
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            if rel.name.startswith(".") and not any(x.startswith(".") for x in rel.parts[:-1]):
                hidden.append(str(rel))  # name each hidden entry once, not its contents
            continue
        if f.is_file() and not any(o == f.parent or o in f.parents for o in outputs):
            files.append(f)
    notes = []
    for code, names in ((Warnings.W101, hidden),
                        (Warnings.W102, [str(o.relative_to(folder)) for o in outputs])):
        if names:
            shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
            notes.append(code.format(path=folder, count=len(names), shown=shown))
    return files, notes


def _is_run_json(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return b'"journeymine_run"' in fh.read(4096)
    except OSError:
        return False


def _is_mbox_or_eml(path: Path) -> bool:
    """``.eml``/``.mbox``/``.mbx``, or a file without extension that starts like an mbox."""
    if path.suffix.lower() in EMAIL_SUFFIXES or path.name.lower() == "mbox":
        return True
    if path.suffix:
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _has_field(columns: list[str], name: str, column_map: dict[str, str]) -> bool:
    lower = {str(c).strip().lower() for c in columns}
    if column_map.get(name) in columns or name in lower:
        return True
    return any(a in lower for a in ALIASES[name])


def read_input(path: Any, kind: str, settings: IngestSettings) -> ReadResult | None:
    """Read one planned input with the right reader.

    Args:
        path: A file; for e-mail, a file, a folder or a list of them (read as one source).
        kind: ``"email"``, ``"auto"``, ``"found"``, ``"messages"``, ``"events"`` or
            ``"outcomes"`` (see :func:`plan_inputs`).
        settings: Ingestion settings.

    Returns:
        The reader's result; None for a table found in a folder that holds neither messages,
        events nor outcomes (a labels file, for example).
    """
    if kind == "email":
        try:
            # guarded: an e-mail reader that fails to import becomes E107, not a crash
            from mining.io.email import read_email
        except ImportError:  # pragma: no cover - the e-mail reader ships with the package
            detail = "e-mail reading is not available"
            raise InputError(Errors.E107.format(path=path, detail=detail)) from None
        if isinstance(path, list) and len(path) == 1:
            path = path[0]
        res = read_email(path, settings)
        res.kind, res.fmt = "messages", res.fmt or "email"
        return res
    if kind == "export":
        return read_text_export(path, settings)
    records = read_records(path)
    if kind in ("auto", "found", "messages"):  # product exports (Meta, Telegram, helpdesks)
        exported = read_json_export(records, settings)
        if exported is not None:
            return exported
    if kind == "events":
        return events_from_records(records, settings)
    if kind == "outcomes":
        return outcomes_from_records(records, settings)
    cmap = settings.column_map
    has_text = _has_field(records.columns, "text", cmap)
    if kind == "found" and records.doc is not None:
        if not is_chat_export(records.doc):  # some other JSON document (settings, a report)
            return None
    if records.doc is not None or ("messages" in records.columns and not has_text):
        return chat_from_records(records, settings)
    if kind in ("auto", "found") and records.items and not has_text:
        # found in a folder, the file name must agree too (a ground-truth journeys table with a
        # 'converted' column is not an outcomes file)
        name = Path(path).name.lower()
        if _has_field(records.columns, "event_type", cmap) and (kind == "auto" or "event" in name):
            return events_from_records(records, settings)
        named = any(w in name for w in ("outcome", "conversion", "converted"))
        if _has_field(records.columns, "converted", cmap) and (kind == "auto" or named):
            return outcomes_from_records(records, settings)
        if kind == "found":
            return None
    return messages_from_records(records, settings)
