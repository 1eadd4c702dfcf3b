"""Raw table files into records: JSONL, JSON, CSV/TSV and Parquet, each optionally gzip-compressed.

A file that is not what it claims (binary, truncated gzip, a CSV without a header, invalid JSON)
raises :class:`~mining.errors.InputError` naming the file. Records that cannot be read (a broken
JSON line, undecodable bytes, a CSV row with the wrong number of fields) become rejects.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from mining.errors import Errors, InputError, Warnings
from mining.io.fields import ALIASES, ALL_FIELDS

#: Extension (without .gz) -> format name.
TABLE_FORMATS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
}
EMAIL_SUFFIXES = (".eml", ".mbox", ".mbx")
_FMT_NAMES = {"jsonl": "JSON Lines", "json": "JSON", "csv": "CSV", "parquet": "Parquet"}
_BAD_BYTES = re.compile("[\udc80-\udcff]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: Records nested deeper than this are rejected (E110): deeper data is never a message, and
#: Python's own recursion limit would otherwise stop the whole run.
MAX_DEPTH = 64
_KNOWN_NAMES = set(ALL_FIELDS) | {a for names in ALIASES.values() for a in names}
_NUMBERISH = re.compile(r"^[-+]?[$€£]?\d[\d,]*(\.\d+)?%?$")


@dataclass
class Records:
    """The records of one table file.

    Attributes:
        path: The file, as given.
        fmt: ``"jsonl"``, ``"json"``, ``"csv"`` or ``"parquet"``.
        items: ``(record label, record)`` pairs; labels are 1-based line numbers for JSONL/CSV
            and 1-based record indexes for JSON/Parquet.
        columns: Every key seen, in first-seen order.
        rejects: ``(source, record, code, reason)`` for records that could not be read.
        doc: For JSON, the parsed document when it is not an array of objects (a chat export).
        notes: Remarks for the user (never message text), e.g. a file that holds JSON null.
    """

    path: str
    fmt: str
    items: list[tuple[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rejects: list[tuple[str, str, str, str]] = field(default_factory=list)
    doc: Any = None
    notes: list[str] = field(default_factory=list)
    _seen: set = field(default_factory=set, repr=False)

    @property
    def sep(self) -> str:
        """``":"`` before line numbers (JSONL, CSV), ``"#"`` before record indexes."""
        return ":" if self.fmt in ("jsonl", "csv") else "#"

    @property
    def n_read(self) -> int:
        """Records read: accepted by this stage plus rejected."""
        return len(self.items) + len(self.rejects)


def record_key(record: Any) -> tuple:
    """Natural sort key of a record label: ``"2" < "10"``, ``"1.2" < "1.10" < "2"``."""
    parts = re.split(r"(\d+)", str(record))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def in_record_order(rejects: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """Rejects ``(source, record, code, reason)`` sorted by record (stable)."""
    return sorted(rejects, key=lambda r: record_key(r[1]))


def table_format(path: Path) -> str | None:
    """The table format of ``path`` from its extension (``.gz`` is looked through), or None."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return TABLE_FORMATS.get(suffixes[-1]) if suffixes else None


def read_bytes(path: Path, fmt: str) -> bytes:
    """Read a file, decompressing ``.gz``, and refuse binary content for text formats.

    Raises:
        InputError: [E100] missing, [E104] truncated/corrupt gzip, [E105] binary, [E107] unreadable.
    """
    if not path.exists():
        raise InputError(Errors.E100.format(path=path))
    try:
        data = path.read_bytes()
    except OSError as err:
        detail = err.strerror or type(err).__name__
        raise InputError(Errors.E107.format(path=path, detail=detail)) from None
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as err:
            detail = str(err) or type(err).__name__
            raise InputError(Errors.E104.format(path=path, detail=detail)) from None
    if fmt != "parquet" and _looks_binary(data):
        raise InputError(Errors.E105.format(path=path, fmt=_FMT_NAMES.get(fmt, fmt)))
    return data


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark is text
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 9 or 13 < b < 32)
    return len(head) > 0 and control / len(head) > 0.05


def decode(data: bytes) -> str:
    """Decode UTF-8 (or UTF-16 with a BOM); undecodable bytes survive as lone surrogates.

    Lines or records holding such surrogates are rejected (E115) by the readers, so one bad
    byte costs one record, not the file.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="surrogateescape")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="surrogateescape")


def _strings(value: Any) -> Any:
    """Every string (keys and values) in a decoded value, without recursion."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            stack.extend(k for k in v if isinstance(k, str))
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)


def has_bad_bytes(value: Any) -> bool:
    """True when a decoded value (recursively) holds bytes that were not valid UTF-8."""
    return any(_BAD_BYTES.search(s) for s in _strings(value))


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a scalar), counted up to ``limit + 1``.

    Iterative, so a value nested thousands of levels deep cannot overflow the stack.
    """
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (dict, list, tuple)):
            d += 1
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            stack.extend((x, d) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


class _TooDeep:
    """Stands for an array element that is nested too deeply to parse (rejected as E110)."""

    reason = Errors.E110.format(detail=f"nested more than {MAX_DEPTH} levels deep")


def record_problem(value: Any) -> tuple[str, str] | None:
    """Why a decoded record cannot be used, as ``(code, reason)``, or None when it can.

    E110 nested deeper than :data:`MAX_DEPTH`, E115 bytes that were not UTF-8, E123 an escaped
    lone surrogate (valid JSON, but not a character: it cannot be written out again).
    """
    if isinstance(value, _TooDeep):
        return "E110", value.reason
    if nesting_depth(value) > MAX_DEPTH:
        return "E110", Errors.E110.format(detail=f"nested more than {MAX_DEPTH} levels deep")
    strings = list(_strings(value))
    if any(_BAD_BYTES.search(s) for s in strings):
        return "E115", Errors.E115
    if any(_LONE_SURROGATE.search(s) for s in strings):
        return "E123", Errors.E123
    return None


def _loads(text: str) -> Any:
    """``json.loads`` that reports nesting beyond Python's recursion limit as a decode error."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(f"nested more than {MAX_DEPTH} levels deep", text, 0) from None


def _add_columns(out: Records, rec: dict) -> None:
    for k in rec:
        if k not in out._seen:
            out._seen.add(k)
            out.columns.append(k)


def _type_name(value: Any) -> str:
    return {list: "an array", dict: "an object", str: "a string", bool: "a boolean",
            type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def read_jsonl(path: Path, text: str) -> Records:
    """One JSON object per line; blank lines are skipped (they are not records)."""
    out = Records(str(path), "jsonl")
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label = str(no)
        if _BAD_BYTES.search(line):
            out.rejects.append((str(path), label, "E115", Errors.E115))
            continue
        try:
            rec = _loads(line)
        except json.JSONDecodeError as err:
            reason = Errors.E110.format(detail=f"{err.msg} at column {err.colno}")
            out.rejects.append((str(path), label, "E110", reason))
            continue
        if not isinstance(rec, dict):
            out.rejects.append((str(path), label, "E118", Errors.E118.format(kind=_type_name(rec))))
            continue
        problem = record_problem(rec)
        if problem is not None:
            out.rejects.append((str(path), label, *problem))
            continue
        _add_columns(out, rec)
        out.items.append((label, rec))
    return out


def read_json(path: Path, text: str) -> Records:
    """A JSON array of objects (a message table) or any other document (kept in ``doc``).

    Raises:
        InputError: [E102] when the file is not valid JSON.
    """
    out = Records(str(path), "json")
    try:
        doc = json.loads(text)
    except RecursionError:  # one record nested too deeply: read the array element by element
        doc = _array_items(path, text)
    except json.JSONDecodeError as err:
        detail = f"{err.msg} at line {err.lineno} column {err.colno}"
        raise InputError(Errors.E102.format(path=path, fmt="JSON", detail=detail)) from None
    if doc is None:
        out.notes.append(Warnings.W103.format(path=path))
        return out
    if not isinstance(doc, list) or any(isinstance(x, dict) and "messages" in x for x in doc[:50]):
        out.doc = doc
        return out
    for i, rec in enumerate(doc, start=1):
        label = str(i)
        problem = record_problem(rec) if isinstance(rec, (dict, _TooDeep)) else None
        if isinstance(rec, _TooDeep):
            out.rejects.append((str(path), label, "E110", rec.reason))
        elif not isinstance(rec, dict):
            out.rejects.append((str(path), label, "E118", Errors.E118.format(kind=_type_name(rec))))
        elif problem is not None:
            out.rejects.append((str(path), label, *problem))
        else:
            _add_columns(out, rec)
            out.items.append((label, rec))
    return out


def _value_end(text: str, i: int) -> int:
    """The index just past the JSON value starting at ``text[i]`` (brackets and strings only)."""
    depth, in_str, esc = 0, False, False
    for j in range(i, len(text)):
        ch = text[j]
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return j + 1
        elif depth == 0 and ch in ",]":
            return j
    return len(text)


def _array_items(path: Path, text: str) -> list[Any]:
    """Parse a top-level JSON array element by element; too-deep ones become :class:`_TooDeep`.

    Raises:
        InputError: [E102] when the document is not an array or an element is not valid JSON.
    """
    body = text.strip()
    if not body.startswith("["):
        detail = f"the document is nested more than {MAX_DEPTH} levels deep"
        raise InputError(Errors.E102.format(path=path, fmt="JSON", detail=detail))
    items: list[Any] = []
    i, n = 1, len(body)
    while i < n:
        while i < n and body[i] in " \t\r\n,":
            i += 1
        if i >= n or body[i] == "]":
            break
        end = _value_end(body, i)
        try:
            items.append(_loads(body[i:end]))
        except json.JSONDecodeError as err:
            if "nested" not in err.msg:
                detail = f"{err.msg} in element {len(items) + 1}"
                raise InputError(Errors.E102.format(path=path, fmt="JSON", detail=detail)) from None
            items.append(_TooDeep())
        i = end
    return items


def _sniff_delimiter(first_line: str, path: Path) -> str:
    if path.name.lower().removesuffix(".gz").endswith(".tsv"):
        return "\t"
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _looks_like_data(header: list[str]) -> bool:
    """True when a CSV's first row looks like a record, not column names."""
    cells = [h.strip() for h in header if h.strip()]  # an empty cell: a pandas index column
    if not cells:
        return True
    for c in cells:
        if len(c) > 64 or "\n" in c or len(c.split()) > 4 or _NUMBERISH.match(c):
            return True
        try:
            datetime.fromisoformat(c)
            return True
        except ValueError:
            pass
    if any(c.lower() in _KNOWN_NAMES for c in cells):
        return False
    # no known column name: sentences are data, not column names
    return any(len(c.split()) >= 3 or len(c) > 40 or c[-1:] in "?!." for c in cells)


def read_csv(path: Path, text: str) -> Records:
    """A CSV (or TSV) file with a header row; quoted fields may span lines.

    Raises:
        InputError: [E103] when the first row is not a header; [E102] when the quoting is broken.
    """
    out = Records(str(path), "csv")
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # oversized cells are rejects later
    if not text.strip():
        return out
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line, path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        while not any(h.strip() for h in header):
            header = next(reader)
    except StopIteration:
        return out
    except csv.Error as err:
        raise InputError(Errors.E102.format(path=path, fmt="CSV", detail=str(err))) from None
    if _looks_like_data(header) or has_bad_bytes(header):
        raise InputError(Errors.E103.format(path=path))
    header = [h.strip() or f"column_{i}" for i, h in enumerate(header, start=1)]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        detail = f"the header names column '{repeated[0][:40]}' more than once"
        raise InputError(Errors.E102.format(path=path, fmt="CSV", detail=detail))
    out.columns = list(header)
    lines = io.StringIO(text, newline="").readlines()  # the physical lines the reader counts
    start = reader.line_num
    while start is not None:  # once more after each row whose quote never closes
        start = _csv_rows(out, lines, start, header, delimiter)
    return out


def _csv_rows(out: Records, lines: list[str], start: int, header: list[str], delimiter: str
              ) -> int | None:
    """Read CSV rows from line ``start`` (0-based) on into ``out``.

    Returns:
        None when the end was reached; otherwise the line to go on from, after a row whose
        quote opens and never closes (E124) and would otherwise swallow every following row.

    Raises:
        InputError: [E102] when the quoting is broken beyond one row.
    """
    path = out.path
    reader = csv.reader(iter(lines[start:]), delimiter=delimiter)
    line = start
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return None
        except csv.Error as err:
            detail = f"{err} (line {start + reader.line_num})"
            raise InputError(Errors.E102.format(path=path, fmt="CSV", detail=detail)) from None
        first, line = line, start + reader.line_num
        label = str(first + 1)
        if line == len(lines) and line - first > 1 and _unclosed(lines[first:], delimiter):
            out.rejects.append((path, label, "E124", Errors.E124))
            return first + 1
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            out.rejects.append(
                (path, label, "E121", Errors.E121.format(got=len(row), want=len(header)))
            )
        elif has_bad_bytes(row):
            out.rejects.append((path, label, "E115", Errors.E115))
        else:
            rec = {h: (v if v.strip() else None) for h, v in zip(header, row, strict=True)}
            out.items.append((label, rec))


def _unclosed(lines: list[str], delimiter: str) -> bool:
    """True when the first row of ``lines`` opens a quote that no later line closes."""
    try:
        next(csv.reader(iter(lines), delimiter=delimiter, strict=True), None)
    except csv.Error as err:
        return "end of data" in str(err)
    return False


def read_parquet(path: Path, data: bytes) -> Records:
    """A Parquet file (any row-group layout); rows become records.

    Raises:
        InputError: [E102] when the file is not Parquet.
    """
    # heavy: pyarrow.parquet loads only when read_parquet() runs
    import pyarrow.parquet as pq

    out = Records(str(path), "parquet")
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as err:
        detail = " ".join(str(err).split())[:200]
        raise InputError(Errors.E102.format(path=path, fmt="Parquet", detail=detail)) from None
    out.columns = list(table.column_names)
    for i, rec in enumerate(table.to_pylist(), start=1):
        out.items.append((str(i), rec))
    return out


def read_records(path: str | Path) -> Records:
    """Read any supported table file into records.

    Args:
        path: A ``.jsonl``/``.ndjson``, ``.json``, ``.csv``/``.tsv`` or ``.parquet`` file,
            optionally ending in ``.gz``.

    Returns:
        The file's records and read-level rejects.

    Raises:
        InputError: When the file is missing, of unknown format, or not what it claims.
    """
    p = Path(path)
    fmt = table_format(p)
    if fmt is None:
        raise InputError(Errors.E101.format(path=path))
    data = read_bytes(p, fmt)
    if fmt == "parquet":
        return read_parquet(p, data)
    text = decode(data)
    return {"jsonl": read_jsonl, "json": read_json, "csv": read_csv}[fmt](p, text)
