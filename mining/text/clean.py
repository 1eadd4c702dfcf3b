"""Text cleaning: HTML to text, quoted replies, signatures, whitespace.

Two entry points:

- :func:`clean_email_body` for e-mail bodies: removes reply history (``On … wrote:`` in several
  languages, ``>`` lines, Outlook ``-----Original Message-----`` and ``From:/Sent:/To:/Subject:``
  blocks, forwarded-message banners) and signatures (``-- ``, "Sent from my iPhone", sign-off
  blocks, contact blocks, legal disclaimers), so each sentence is counted once. No redaction.
- :func:`clean_message` for chat and table messages: HTML if it looks like HTML, whitespace, a
  conservative quote/signature pass (chat rarely quotes; a line that merely starts with "From:"
  stays), then PII redaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mining.text.html import html_to_text, looks_like_html
from mining.text.redact import redact as _redact
from mining.text.whitespace import normalize_whitespace

__all__ = [
    "clean_email_body", "clean_message", "html_to_text", "looks_like_html",
    "normalize_whitespace", "strip_quotes", "strip_signature",
]

# --- quoted replies ---------------------------------------------------------------------------

# A line that starts the reply history; everything from it onwards is quoted.
_CUT_LINE = re.compile(
    r"""^\s*(?:
      -{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht|message\s+d'origine|mensaje\s+original|
          messaggio\s+originale|oorspronkelijk\s+bericht|originalmeddelande|mensagem\s+original|
          forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré|mensaje\s+reenviado|
          reply\s+message)\s*-{2,}
      | begin\s+forwarded\s+message\s*:
      | anfang\s+der\s+weitergeleiteten\s+nachricht\s*:
      | début\s+du\s+message\s+réexpédié\s*:
      | _{10,}
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Attribution lines ("On … wrote:") in English, German, French, Spanish, Dutch, Italian,
# Portuguese, Swedish/Danish/Norwegian; they may wrap over up to three lines.
_ATTRIBUTION = re.compile(
    r"""^\s*(?:
      on\b.{4,300}\bwrote\s*:
      | am\b.{4,300}\bschrieb\b.{0,200}:
      | le\b.{4,300}\ba\s+écrit\s*:
      | el\b.{4,300}\bescribió\s*:
      | op\b.{4,300}\bschreef\b.{0,200}:
      | il\b.{4,300}\bha\s+scritto\s*:
      | em\b.{4,300}\bescreveu\s*:
      | den\b.{4,300}\bskrev\b.{0,200}:
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# "John Smith <john@x.com> wrote:" / "… napisał(a):": only with an address or a date in the line.
_ATTRIBUTION_WEAK = re.compile(
    r"^\s*(?=.*(?:@|\d)).{2,300}\b(?:wrote|schrieb|skrev|a\s+écrit|escribió|napisał\(a\)|napisał|"
    r"napisała)\s*:\s*$",
    re.IGNORECASE,
)
_HDR_FROM = re.compile(r"^\s*\*?(?:from|von|de|da|van|från|fra|od)\s*\*?\s*:\s*\S", re.IGNORECASE)
_HDR_OTHER = re.compile(
    r"^\s*\*?(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|date|à|objet|enviado|"
    r"fecha|para|asunto|inviato|oggetto|a|verzonden|onderwerp|aan|skickat|ämne|till|emne|sendt|til)"
    r"\s*\*?\s*:",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")


def _joined(lines: list[str], i: int, n: int) -> str:
    return " ".join(ln.strip() for ln in lines[i : i + n])


def _is_attribution(lines: list[str], i: int) -> int:
    """Return how many lines the attribution starting at ``i`` spans (0 if none)."""
    if not lines[i].strip():
        return 0
    for n in (1, 2, 3):
        if i + n > len(lines):
            break
        if n > 1 and not lines[i + n - 1].strip():
            break
        joined = _joined(lines, i, n)
        if _ATTRIBUTION.match(joined) or _ATTRIBUTION_WEAK.match(joined):
            return n
    return 0


def _is_header_block(lines: list[str], i: int) -> bool:
    """A ``From: … / Sent: … / To: … / Subject: …`` block (at least two more header lines)."""
    if not _HDR_FROM.match(lines[i]):
        return False
    hits = 0
    for ln in lines[i + 1 : i + 8]:
        if not ln.strip():
            continue
        if _HDR_OTHER.match(ln):
            hits += 1
            if hits >= 2:
                return True
        elif hits == 0:
            continue  # a wrapped "From:" line
    return False


def strip_quotes(text: str, *, conservative: bool = False) -> str:
    """Remove quoted reply history from a message.

    Removes attribution lines (``On … wrote:``, ``Am … schrieb …:``, ``Le … a écrit :``, …) with
    the ``>``-quoted history after them, keeping replies written below or between the quotes.
    Cuts everything from an attribution that is not followed by ``>`` lines, an Outlook separator
    (``-----Original Message-----``, a line of underscores), an Outlook header block (``From:``
    followed by ``Sent:``/``To:``/``Subject:`` lines, also in German, French, Spanish, …) or a
    forwarded-message banner (``Begin forwarded message:``, ``---------- Forwarded message
    ---------``).

    Args:
        text: Plain text.
        conservative: For chat messages: only ``>`` lines and the attribution lines before them
            are removed; header blocks, banners and other attribution-like lines are kept.

    Returns:
        The text without quoted history (whitespace not normalised).
    """
    if not text:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    keep: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        n_attr = _is_attribution(lines, i)
        if n_attr:
            nxt = next((ln for ln in lines[i + n_attr :] if ln.strip()), "")
            if _QUOTED.match(nxt):  # ">" history follows: drop it, keep any reply written below
                i += n_attr
                continue
            if not conservative:
                break
        if not conservative and (_CUT_LINE.match(line) or _is_header_block(lines, i)):
            break
        if _QUOTED.match(line):
            i += 1
            continue
        keep.append(line)
        i += 1
    if conservative and not any(ln.strip() for ln in keep):
        return text  # a chat message made only of ">" lines is the author's own text
    return "\n".join(keep)


# --- signatures -------------------------------------------------------------------------------

_DEVICE = re.compile(
    r"""^\s*(?:
      sent\s+(?:from|via|with|using)\s+(?:my\s+)?(?:iphone|ipad|ipod|android|mobile|phone|samsung|galaxy|
          blackberry|huawei|pixel|xiaomi|oneplus|smartphone|tablet|windows\s+phone|mail\s+for\s+windows|
          outlook|yahoo\s+mail|aol|proton\s*mail|gmail|the\s+\w+\s+app)\b.{0,60}
      | get\s+outlook\s+for\s+(?:ios|android|mac|windows)\b.{0,20}
      | von\s+meinem\s+\w+(?:\s+\w+)?\s+gesendet\.?
      | envoyé\s+(?:de|depuis)\s+mon\s+\w+.{0,30}
      | enviado\s+desde\s+mi\s+\w+.{0,30}
      | verzonden\s+(?:vanaf|met)\s+(?:mijn\s+)?\w+.{0,30}
      | inviato\s+da(?:l)?\s+(?:mio\s+)?\w+.{0,30}
      | skickat\s+från\s+min\s+\w+.{0,30}
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_SIGNOFF = re.compile(
    r"""^\s*(?:
      (?:best|kind|warm|warmest|many\s+thanks\s+and\s+kind|with\s+kind|with\s+best)?\s*regards
      | best(?:\s+wishes)? | all\s+the\s+best | cheers
      | thanks(?:\s+(?:again|a\s+lot|so\s+much|in\s+advance))?
      | thank\s+you(?:\s+(?:again|so\s+much|in\s+advance))? | many\s+thanks | thx | ta
      | sincerely | yours\s+(?:sincerely|truly|faithfully) | respectfully
      | take\s+care | talk\s+soon
      | br | rgds | kr
      | mit\s+freundlichen\s+grü(?:ß|ss)en | freundliche\s+grüße | viele\s+grüße
      | beste\s+grüße | liebe\s+grüße | lg | mfg | gruß | grüße
      | cordialement | bien\s+(?:cordialement|à\s+vous) | salutations | merci(?:\s+beaucoup)?
      | saludos(?:\s+cordiales)? | un\s+saludo | atentamente | gracias
      | met\s+vriendelijke\s+groet(?:en)? | groeten | distinti\s+saluti | cordiali\s+saluti | saluti
      | atenciosamente | abraços | med\s+vänlig\s+hälsning | vänliga\s+hälsningar | mvh | hilsen
    )\s*[,.!]*\s*(?:[,-]?\s*(?-i:[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2}))?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_DISCLAIMER = re.compile(
    r"""^\s*(?:
      \**\s*(?:confidentiality|legal|privileged|important)\s+(?:notice|disclaimer)\b
      | \**\s*disclaimer\s*\**\s*:
      | this\s+(?:e-?mail|message|communication)\b.{0,80}
        \b(?:confidential|intended\s+(?:solely|only))
      | the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message|communication)
      | if\s+you\s+(?:are\s+not|have\s+received\s+this)\b.{0,40}
        \b(?:intended\s+recipient|in\s+error)
      | please\s+consider\s+the\s+environment\s+before\s+printing
      | diese\s+e-?mail\s+(?:enthält|kann)\b
      | ce\s+(?:message|courriel)\s+(?:et\s+)?.{0,40}confidenti
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|hallo|hej|bonjour|salut|hola|buongiorno|ciao|olá|guten\s+tag|"
    r"good\s+(?:morning|afternoon|evening))\b[^.?]{0,40}[,!:]?\s*$",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"(?:\b(?:tel|phone|ph|mob|mobile|cell|fax|direct|office|t|m|f|e|w)\b\.?\s*[:.]"
    r"|\+?\d[\d ()./-]{6,}\d|@|\bwww\.|https?://|linkedin\.com|\|)",
    re.IGNORECASE,
)


def _trailing_contact_block(lines: list[str]) -> int:
    """Index where a trailing name/title/contact block starts, or ``len(lines)``."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    block = lines[start:end]
    if start == 0 or not block or len(block) > 8:
        return len(lines)
    if len(block) < 2 or any(
        len(ln.strip()) > 70 or len(ln.split()) > 6 or ln.strip().endswith("?") for ln in block
    ):
        return len(lines)
    contact = sum(1 for ln in block if _CONTACT.search(ln))
    if contact and contact >= len(block) / 3:
        return start
    return len(lines)


def _name_forms(names: Sequence[str]) -> set[str]:
    forms: set[str] = set()
    for name in names:
        if not name:
            continue
        name = name.strip().strip('"')
        if "," in name:  # "Müller, Zoë"
            last, _, first = name.partition(",")
            name = f"{first.strip()} {last.strip()}"
        words = [w for w in re.split(r"[\s]+", name) if w]
        if not words or "@" in name:
            continue
        forms.add(" ".join(words).casefold())
        forms.add(words[0].casefold())
        if len(words) > 1:
            forms.add(f"{words[0]} {words[-1]}".casefold())
            forms.add(f"{words[0][0]}{words[-1][0]}".casefold())
    return {f for f in forms if len(f) >= 2}


def _strip_trailing_names(lines: list[str], forms: set[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    n = len(lines)
    while n > 1:
        cand = lines[n - 1].strip().lstrip("-–—~ ").rstrip(" .,!").casefold()
        if cand in forms:
            n -= 1
            while n > 1 and not lines[n - 1].strip():
                n -= 1
        else:
            break
    return lines[:n] if any(ln.strip() for ln in lines[:n]) else lines


def strip_signature(
    text: str, *, conservative: bool = False, names: Sequence[str] = ()
) -> str:
    """Remove a trailing signature from a message.

    Removes, in this order: everything after a ``--`` / ``-- `` delimiter line; device lines
    ("Sent from my iPhone", "Get Outlook for iOS", "Von meinem iPhone gesendet", …); legal
    disclaimers to the end of the text; a sign-off line ("Best regards,", "Thanks,", "Mit
    freundlichen Grüßen", …) in the last lines together with the short name/title/phone lines
    after it; and a trailing block of short lines made mostly of contact details.

    Args:
        text: Plain text without quoted history.
        conservative: For chat messages: only the delimiter and device lines are removed.
        names: The author's name(s) (e.g. the From display name): trailing lines that are just
            the name, first name or initials ("Zoë", "- ZM") are removed too.

    Returns:
        The text without its signature (whitespace not normalised).
    """
    if not text:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, ln in enumerate(lines):
        if ln.rstrip() in ("--", "-- ", "—") and any(x.strip() for x in lines[:i]):
            lines = lines[:i]
            break
    lines = [ln for ln in lines if not _DEVICE.match(ln)]
    if conservative:
        return "\n".join(lines)
    forms = _name_forms(names)
    if forms:
        lines = _strip_trailing_names(lines, forms)
    for i, ln in enumerate(lines):
        if i > 0 and _DISCLAIMER.match(ln) and any(x.strip() for x in lines[:i]):
            lines = lines[:i]
            break
    nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
    for i in nonblank[-8:]:
        if i == nonblank[0] or not _SIGNOFF.match(lines[i]):
            continue
        tail = [ln.strip() for ln in lines[i + 1 :] if ln.strip()]
        if len(tail) <= 6 and all(len(t) <= 70 and not t.endswith("?") for t in tail):
            before = [ln for ln in lines[:i] if ln.strip()]
            # "Hi Sam,\n\nThanks!\nAnn": the thanks is the message; only the name goes
            lines = lines[: i + 1] if all(_GREETING.match(b) for b in before) else lines[:i]
            break
    lines = lines[: _trailing_contact_block(lines)]
    return "\n".join(lines)


# --- entry points -----------------------------------------------------------------------------


def clean_email_body(text: str, *, names: Sequence[str] = ()) -> str:
    """Clean an e-mail body so that each sentence is counted once (no redaction).

    Args:
        text: The decoded plain-text body (convert HTML first with
            ``html_to_text(html, strip_quotes=True)``).
        names: The sender's name(s), to recognise a signature that is just a name.

    Returns:
        The author's own words: no reply history, no signature, normalised whitespace.
    """
    return normalize_whitespace(strip_signature(strip_quotes(text), names=names))


def clean_message(text: str, *, redact: bool = True) -> str:
    """Clean a chat or table message for analysis.

    HTML (when the text looks like HTML) becomes text; whitespace is normalised; ``>`` quotes and
    "On … wrote:" blocks, ``--`` signatures and "Sent from my iPhone" lines are removed; then PII
    is redacted unless ``redact`` is False.

    Args:
        text: The message as given; ``None`` or NA becomes ``""``.
        redact: Replace personal data with placeholders (see :mod:`mining.text.redact`).

    Returns:
        The cleaned text (possibly empty).
    """
    if text is None or not isinstance(text, str):
        return ""
    if looks_like_html(text):
        text = html_to_text(text, strip_quotes=True)
    text = normalize_whitespace(text)
    text = strip_quotes(text, conservative=True)
    text = normalize_whitespace(strip_signature(text, conservative=True))
    if redact and text:
        text = _redact(text)
    return text
