"""Rebuild e-mail threads from Message-ID / In-Reply-To / References, with a subject fallback.

Messages whose ids are linked through ``In-Reply-To`` or ``References`` (directly or through
messages that are not in the corpus) form one thread: a union-find over every id of every
reference chain. The thread's root is the oldest ancestor named in those chains, so the
conversation id stays the same when more messages of the thread are added later. A message with
neither header whose subject has a reply prefix (``Re:``, ``AW:``, ``SV:``, …) joins the latest
earlier thread with the same normalised subject that already includes its sender and one of its
recipients (clients that drop the headers, forwarded-then-replied mail).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

# Reply and forward prefixes in common languages, optionally counted ("Re[2]:", "AW(3):"), and
# bracketed tags ("[Ticket #123]", "[EXTERNAL]").
_PREFIX = re.compile(
    r"^\s*(?:(?P<word>re|fw|fwd|aw|wg|sv|vs|antw|antwort|rif|r|i|tr|réf|ref|odp|pd|enc|res|ynt|"
    r"atb|vá|hv|fs|vb|doorst|rv|reenv|ответ|回复|转发|답장|返信)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
    r"|\[[^\]]{0,80}\]|\((?:fwd|fw)\))\s*",
    re.IGNORECASE,
)
_REPLY_WORDS = frozenset(
    "re aw sv vs antw antwort rif r réf ref odp res ynt atb vá hv vb rv ответ 回复 답장 返信"
    .split()
)
_MSGID = re.compile(r"<([^<>\s]+)>")


def normalize_subject(subject: str | None) -> tuple[str, bool]:
    """Normalise a subject for thread matching.

    Removes leading reply/forward prefixes (``Re:``, ``Fwd:``, ``AW:``, ``WG:``, ``SV:``,
    ``RE[2]:``, …) and bracketed tags (``[EXTERNAL]``), case-folds and collapses whitespace.

    Args:
        subject: The decoded Subject header, or None.

    Returns:
        ``(normalised subject, has_reply_prefix)``; the flag is True when a reply (not only a
        forward) prefix was removed.
    """
    s = (subject or "").strip()
    reply = False
    while True:
        m = _PREFIX.match(s)
        if not m or m.end() == 0:
            break
        word = (m.group("word") or "").lower()
        if word in _REPLY_WORDS:
            reply = True
        s = s[m.end() :]
    s = re.sub(r"\s*\((?:fwd|fw)\)\s*$", "", s, flags=re.IGNORECASE)
    return " ".join(s.casefold().split()), reply


def parse_ids(value: str | None) -> list[str]:
    """Message ids in a ``References`` / ``In-Reply-To`` / ``Message-ID`` header value.

    Args:
        value: The header value; ids are written ``<local@domain>``; bare ``local@domain`` tokens
            are accepted when no bracketed id is present.

    Returns:
        The ids without angle brackets, in order, without duplicates.
    """
    if not value:
        return []
    ids = _MSGID.findall(value)
    if not ids:
        ids = [t.strip("<>,;") for t in value.split() if "@" in t]
    out: list[str] = []
    for i in ids:
        if i and i not in out:
            out.append(i)
    return out


@dataclass
class ThreadItem:
    """What threading needs to know about one message.

    Attributes:
        message_id: The message's id (generated when the header was missing).
        references: Ids from ``References`` followed by ``In-Reply-To`` (oldest first).
        subject: The normalised subject.
        reply_prefix: Whether the subject had a reply prefix.
        sender: The From address, lowercased.
        recipients: To and Cc addresses, lowercased.
        date: The message time (UTC), or None.
    """

    message_id: str
    references: list[str] = field(default_factory=list)
    subject: str = ""
    reply_prefix: bool = False
    sender: str = ""
    recipients: frozenset[str] = frozenset()
    date: datetime | None = None


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def conversation_id(root_id: str) -> str:
    """The stable conversation id of a thread: ``email-`` and a hash of its root Message-ID."""
    return "email-" + hashlib.sha1(root_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _sort_key(item: ThreadItem) -> tuple:
    return (item.date is None, item.date.timestamp() if item.date else 0.0, item.message_id)


def build_threads(items: list[ThreadItem]) -> dict[str, str]:
    """Group messages into threads.

    Args:
        items: One entry per accepted message (message ids unique).

    Returns:
        ``message_id -> root id`` (a Message-ID, possibly of a message that is not in ``items``).
    """
    uf = _UnionFind()
    parent_of: dict[str, str] = {}
    for it in items:
        uf.find(it.message_id)
        chain = [r for r in it.references if r != it.message_id] + [it.message_id]
        for prev, cur in zip(chain, chain[1:], strict=False):
            uf.union(prev, cur)
            if cur not in parent_of and prev != cur:
                # no cycles: only link when cur is not already an ancestor of prev
                anc, seen = prev, set()
                while anc in parent_of and anc not in seen:
                    seen.add(anc)
                    anc = parent_of[anc]
                if anc != cur and cur not in seen:
                    parent_of[cur] = prev

    # Subject fallback for replies that carry no linking headers.
    ordered = sorted(items, key=_sort_key)
    seen_subject: dict[str, list[ThreadItem]] = {}
    for it in ordered:
        if it.subject and not it.references and it.reply_prefix:
            candidates = [
                c
                for c in seen_subject.get(it.subject, [])
                if it.sender in _people(c) and it.recipients & _people(c)
            ]
            if candidates:
                uf.union(candidates[-1].message_id, it.message_id)
        if it.subject:
            seen_subject.setdefault(it.subject, []).append(it)

    # Root of each component: an id without a parent; ancestors outside the corpus (no date) first,
    # then the oldest message, then the smallest id.
    dates = {it.message_id: it.date for it in items}
    best: dict[str, tuple] = {}
    for node in list(uf.parent):
        if node in parent_of:
            continue
        comp = uf.find(node)
        d = dates.get(node)
        key = (node in dates, d is None, d.timestamp() if d else 0.0, node)
        if comp not in best or key < best[comp]:
            best[comp] = key
    out: dict[str, str] = {}
    for it in items:
        comp = uf.find(it.message_id)
        out[it.message_id] = best[comp][3] if comp in best else comp
    return out


def _people(item: ThreadItem) -> frozenset[str]:
    return item.recipients | {item.sender}
