"""Decoding e-mail: charsets, encoded-word headers, addresses and the text body of a message."""

from __future__ import annotations

import codecs
import re
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

from mining.text.clean import html_to_text

_SURROGATE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
# WHATWG encoding rules: these labels mean a superset in practice.
_CHARSET_ALIASES = {
    "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-1": "cp1252", "iso8859-1": "cp1252",
    "latin1": "cp1252", "latin-1": "cp1252", "l1": "cp1252", "iso_8859-1": "cp1252",
    "iso-8859-9": "cp1254", "tis-620": "cp874", "iso-8859-11": "cp874",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "shift_jis": "cp932", "x-sjis": "cp932",
    "sjis": "cp932", "big5": "big5hkscs", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "x-unknown": "", "unknown-8bit": "", "default": "", "x-user-defined": "",
}


# --- decoding ---------------------------------------------------------------------------------


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    if not label:
        return None
    for cand in (label, re.sub(r"-[ie]$", "", label)):
        try:
            return codecs.lookup(cand).name
        except LookupError:
            continue
    return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, bool]:
    """Decode body bytes with a fallback chain.

    Tries the declared charset (WHATWG aliases: ``iso-8859-1`` and ``us-ascii`` mean
    windows-1252), but prefers UTF-8 when a single-byte charset is declared and the bytes are valid
    UTF-8 with non-ASCII characters (a common mislabel); then UTF-8, windows-1252 and Latin-1
    (which decodes any bytes).

    Args:
        data: The transfer-decoded body bytes.
        declared: The charset named by the message, if any.

    Returns:
        ``(text, ok)``; ``ok`` is False when the result looks like binary data rather than text.
    """
    if not data:
        return "", True
    codec = _codec(declared)
    chain: list[str] = []
    if codec in ("cp1252", "latin-1", "iso8859-1", "ascii") or codec is None:
        if any(b > 127 for b in data):
            chain.append("utf-8")
    if codec:
        chain.append(codec)
    chain += ["utf-8", "cp1252", "latin-1"]
    text = None
    for enc in dict.fromkeys(chain):
        try:
            text = data.decode(enc)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:  # unreachable in practice: latin-1 decodes every byte
        text = data.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:20_000]
    ok = "\x00" not in sample and len(_CONTROL.findall(sample)) <= max(2, len(sample) // 50)
    return text, ok


def raw_header(msg: Message, name: str) -> str:
    """A header's value as sent, unfolded ('' when absent); raw 8-bit bytes decoded."""
    for key, value in msg.raw_items():
        if key.lower() != name.lower():
            continue
        value = str(value)
        if _SURROGATE.search(value):
            value = decode_bytes(value.encode("ascii", "surrogateescape"))[0]
        return " ".join(value.split())
    return ""


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (``=?UTF-8?Q?Zo=C3=AB?=``), tolerating unknown charsets."""
    if "=?" not in value:
        return value.strip()
    try:
        parts = decode_header(value)
    except Exception:  # noqa: BLE001 - a malformed encoded word is kept as written
        return value.strip()
    out = []
    for data, charset in parts:
        out.append(data if isinstance(data, str) else decode_bytes(data, charset)[0])
    return "".join(out).strip()


def header(msg: Message, name: str) -> str:
    """A decoded header value ('' when absent)."""
    return _decode_words(raw_header(msg, name))


def addresses(value: str) -> list[tuple[str, str]]:
    """``(display name, lowercased address)`` pairs of a raw (not yet decoded) address header."""
    out = []
    for name, addr in getaddresses([value]):
        addr = addr.strip().strip("<>").lower()
        if addr and "@" in addr:
            name = _decode_words(name).strip().strip('"').strip()
            if len(name) > 1 and name[0] == name[-1] == "'":  # Outlook's 'Name'
                name = name[1:-1].strip()
            out.append((name, addr))
    return out


# --- body ---------------------------------------------------------------------------------------


def _is_attachment(part: Message) -> bool:
    disp = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disp == "attachment"


def _body_parts(part: Message) -> list[Message]:
    """The text parts that make up the body: text/plain preferred within multipart/alternative."""
    ctype = part.get_content_type()
    if part.is_multipart():
        children = part.get_payload() if isinstance(part.get_payload(), list) else []
        if ctype == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain"]
            if plain and any(_payload_bytes(c).strip() for c in plain):
                return plain[:1]
            for pref in ("text/html", "multipart/related", "multipart/mixed"):
                for c in children:
                    if c.get_content_type() == pref:
                        got = _body_parts(c)
                        if got:
                            return got
            return []
        out: list[Message] = []
        for c in children:
            if c.get_content_type() == "message/rfc822" or _is_attachment(c):
                continue
            out += _body_parts(c)
        return out
    if ctype in ("text/plain", "text/html") and not _is_attachment(part):
        return [part]
    return []


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encoding: use what is there
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


def _unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft line breaks."""
    out: list[str] = []
    buf = ""
    for line in text.split("\n"):
        if line.endswith(" ") and line != "-- ":
            buf += line[:-1] if delsp else line
        else:
            out.append(buf + line)
            buf = ""
    if buf:
        out.append(buf)
    return "\n".join(out)


def extract_body(msg: Message) -> tuple[str, str, str | None, str]:
    """Return ``(text, clean source text, reject code or None, reject detail)``."""
    parts = _body_parts(msg)
    if not parts:
        has_attachments = any(_is_attachment(p) for p in msg.walk())
        return "", "", "E151", "; only attachments" if has_attachments else ""
    texts: list[str] = []
    cleans: list[str] = []
    for part in parts:
        data = _payload_bytes(part)
        charset = part.get_content_charset()
        is_html = part.get_content_type() == "text/html"
        if is_html and not charset:
            m = _META_CHARSET.search(data[:4096])
            charset = m.group(1).decode("ascii", "replace") if m else None
        text, ok = decode_bytes(data, charset)
        if not ok:
            return "", "", "E153", charset or "none"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if is_html:
            texts.append(html_to_text(text))
            cleans.append(html_to_text(text, strip_quotes=True))
        else:
            if (part.get_param("format") or "").lower() == "flowed":
                text = _unflow(text, (part.get_param("delsp") or "").lower() == "yes")
            texts.append(text.strip("\n"))
            cleans.append(text)
    text = "\n\n".join(t for t in texts if t.strip())
    if not text.strip():
        return "", "", "E151", "; the body is empty"
    return text, "\n\n".join(cleans), None, ""
