"""Pseudonymous ids: an e-mail address or phone number used as an id becomes ``cust-3f9a…``.

For e-mail input the customer's address is the ``journey_id``; chat exports often key
conversations by phone number. With redaction on (the default) such ids are replaced by a keyed
hash (HMAC-SHA256, 16 hex digits) before anything is written, so tags, reports and exports join
on the same ids without showing the address. The key is 32 random bytes created once in the
user's cache folder (``$JOURNEYMINE_CACHE/pseudonym.key``, default
``~/.cache/journeymine/pseudonym.key``, readable by the user only), so the same address maps to
the same id in every run on one machine, and nobody without the key can recompute the mapping
from a list of guessed addresses. Ids that are neither e-mail addresses nor phone numbers
(``lead-42``, ``c-1001``) are kept as they are.

The raw -> pseudonym pairs made in this process are remembered only in memory; they are written
to a file only when asked (``journeymine run --pseudonym-map``, :func:`mapping_frame`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from mining.embed_cache import default_cache_dir
from mining.errors import ConfigError, Errors
from mining.text.redact import redaction_counts

#: Prefix of every pseudonymous id.
PREFIX = "cust-"
#: Id columns pseudonymised in the messages, events and outcomes tables.
ID_COLUMNS = ("journey_id", "conversation_id")
KEY_NAME = "pseudonym.key"
_PSEUDO = re.compile(r"^cust-[0-9a-f]{16}$")

_key_cache: dict[Path, bytes] = {}
_made: dict[str, str] = {}  # pseudonym -> raw value, this process only, never written unasked


def key_path() -> Path:
    """Where the key lives: ``<cache folder>/pseudonym.key`` (see the module docstring)."""
    return default_cache_dir() / KEY_NAME


def load_key(path: Path | None = None) -> bytes:
    """Read the key, creating it (mode 0600, atomically) on first use.

    Raises:
        ConfigError: [E742] when the key cannot be read or created.
    """
    path = Path(path) if path is not None else key_path()
    if path in _key_cache:
        return _key_cache[path]
    try:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{KEY_NAME}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(32))
            try:
                os.link(tmp, path)  # never replaces a key another run created meanwhile
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
        key = path.read_bytes()
    except OSError as err:
        detail = err.strerror or type(err).__name__
        raise ConfigError(Errors.E742.format(path=path, detail=detail)) from None
    if len(key) < 16:
        raise ConfigError(Errors.E742.format(path=path, detail="the key file is too short"))
    _key_cache[path] = key
    return key


def is_contact(value: str) -> bool:
    """True when ``value`` holds an e-mail address or a phone number (as :func:`redact` sees)."""
    counts = redaction_counts(value)
    return bool(counts["<EMAIL>"] or counts["<PHONE>"])


def pseudonym(value: str, key: bytes | None = None) -> str:
    """The pseudonymous id of one value: ``cust-`` + 16 hex digits of HMAC-SHA256.

    E-mail addresses are compared case-insensitively and without surrounding spaces.
    """
    norm = " ".join(str(value).split()).lower()
    digest = hmac.new(key or load_key(), norm.encode("utf-8", "surrogatepass"), hashlib.sha256)
    out = PREFIX + digest.hexdigest()[:16]
    _made[out] = str(value)
    return out


def pseudonymize_values(values: Iterable[Any]) -> dict[str, str]:
    """Map each distinct value that is an e-mail address or phone number to its pseudonym."""
    out: dict[str, str] = {}
    key: bytes | None = None
    for v in set(values):
        if isinstance(v, str) and v and not _PSEUDO.match(v) and is_contact(v):
            key = key or load_key()
            out[v] = pseudonym(v, key)
    return out


def pseudonymize_frame(df: pd.DataFrame, columns: Iterable[str] = ID_COLUMNS) -> pd.DataFrame:
    """Replace contact ids in ``columns`` of ``df`` (other ids and columns are unchanged)."""
    cols = [c for c in columns if c in df.columns]
    values = [v for c in cols for v in df[c].dropna().unique().tolist()]
    mapping = pseudonymize_values(values)
    if not mapping:
        return df
    return df.assign(**{c: df[c].map(lambda v: mapping.get(v, v), na_action="ignore")
                        for c in cols})


def mapping_frame(pseudonyms: Iterable[str]) -> pd.DataFrame:
    """The ``pseudonym, original`` pairs for ``pseudonyms`` made in this process (on request)."""
    rows = sorted({(p, _made[p]) for p in pseudonyms if isinstance(p, str) and p in _made})
    return pd.DataFrame(rows, columns=["pseudonym", "original"])
