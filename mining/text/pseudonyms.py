"""Pseudonymous ids: an e-mail address or phone number in an id becomes ``cust-3f9a…``/``msg-…``.

For e-mail input the customer's address is the ``journey_id`` and every ``message_id`` is a
Message-ID (``<a1b2@mail.host>``, shaped like an address and naming the sender's host); chat
exports often key conversations, and build message ids, from phone numbers. With redaction on
(the default) such ids are replaced by a keyed hash (HMAC-SHA256, 16 hex digits) before anything
is written: ``cust-`` for journey and conversation ids, ``msg-`` for message ids (and the
``replies_to`` column that points at them). The same value always gets the same pseudonym, so
tags, reply links, reports, lead scores and exports join on the same ids without showing the
address. The key is 32 random bytes created once in the
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

#: Prefix of a pseudonymous journey or conversation id.
PREFIX = "cust-"
#: Prefix of a pseudonymous message id.
MESSAGE_PREFIX = "msg-"
#: Id columns pseudonymised in the messages, events, outcomes and tags tables.
ID_COLUMNS = ("journey_id", "conversation_id", "message_id", "replies_to")
#: Columns holding message ids: ``msg-`` pseudonyms, compared exactly (case kept, so two
#: Message-IDs that differ in case stay two messages); the others use ``cust-`` and ignore case.
MESSAGE_COLUMNS = ("message_id", "replies_to")
KEY_NAME = "pseudonym.key"
_PSEUDO = re.compile(r"^(?:cust|msg)-[0-9a-f]{16}$")

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


def pseudonym(value: str, key: bytes | None = None, prefix: str = PREFIX) -> str:
    """The pseudonymous id of one value: ``prefix`` + 16 hex digits of HMAC-SHA256.

    Journey ids (``cust-``) are compared case-insensitively and without surrounding spaces, so
    ``Dana@Client.example`` is the same customer as ``dana@client.example``; message ids
    (``msg-``) are compared exactly apart from surrounding spaces. The prefix is part of the
    hashed value, so an address used as a journey id and as a message id gets unrelated hashes.
    """
    text = " ".join(str(value).split())
    norm = text.lower() if prefix == PREFIX else f"{prefix}{text}"
    digest = hmac.new(key or load_key(), norm.encode("utf-8", "surrogatepass"), hashlib.sha256)
    out = prefix + digest.hexdigest()[:16]
    _made[out] = str(value)
    return out


def pseudonymize_values(values: Iterable[Any], prefix: str = PREFIX) -> dict[str, str]:
    """Map each distinct value that holds an e-mail address or phone number to its pseudonym."""
    out: dict[str, str] = {}
    key: bytes | None = None
    for v in set(values):
        if isinstance(v, str) and v and not _PSEUDO.match(v) and is_contact(v):
            key = key or load_key()
            out[v] = pseudonym(v, key, prefix)
    return out


def pseudonymize_frame(df: pd.DataFrame, columns: Iterable[str] = ID_COLUMNS) -> pd.DataFrame:
    """Replace contact ids in ``columns`` of ``df`` (other ids and columns are unchanged).

    Message-id columns (:data:`MESSAGE_COLUMNS`) get ``msg-`` pseudonyms, the others ``cust-``.
    """
    changed = {}
    for prefix, of_messages in ((MESSAGE_PREFIX, True), (PREFIX, False)):
        cols = [c for c in columns if c in df.columns and (c in MESSAGE_COLUMNS) is of_messages]
        values = [v for c in cols for v in df[c].dropna().unique().tolist()]
        mapping = pseudonymize_values(values, prefix)
        if mapping:
            changed.update({c: df[c].map(lambda v, m=mapping: m.get(v, v), na_action="ignore")
                            for c in cols})
    return df.assign(**changed) if changed else df


def known_message_ids(ids: Iterable[Any], known: Iterable[Any]) -> list[Any]:
    """Match raw message ids against ids that may be ``msg-`` pseudonyms.

    Each id in ``ids`` that is not in ``known`` but whose ``msg-`` pseudonym is, is replaced by
    that pseudonym, so a labels file or messages table written by hand from raw Message-IDs
    still meets a redacted corpus. Other ids are returned unchanged; no key is made when
    ``known`` holds no pseudonym.
    """
    have = {str(k) for k in known}
    ids = list(ids)
    todo = [i for i in ids if isinstance(i, str) and i not in have]
    if not todo or not any(_PSEUDO.match(k) for k in have):
        return ids
    mapping = pseudonymize_values(todo, MESSAGE_PREFIX)
    return [mapping[i] if isinstance(i, str) and mapping.get(i) in have else i for i in ids]


def mapping_frame(pseudonyms: Iterable[str]) -> pd.DataFrame:
    """The ``pseudonym, original`` pairs for ``pseudonyms`` made in this process (on request)."""
    rows = sorted({(p, _made[p]) for p in pseudonyms if isinstance(p, str) and p in _made})
    return pd.DataFrame(rows, columns=["pseudonym", "original"])
