"""PII redaction: replace personal data in message text with typed placeholders.

Placeholders (the only ones produced):

- ``<EMAIL>``: e-mail addresses (also inside ``mailto:`` links).
- ``<URL>``: URLs that carry a query string or a ``key=value`` fragment (tokens, tracking ids,
  personal links) or user credentials (``https://user:pw@host``). Plain URLs such as
  ``https://acme.com/pricing`` are kept: they name pages and products, which are useful themes,
  and carry no personal data by themselves.
- ``<IBAN>``: international bank account numbers that pass the ISO 13616 mod-97 check.
- ``<CARD>``: payment card numbers, 13-19 digits optionally grouped by spaces or dashes, that pass
  the Luhn check (numbers that fail it are left alone).
- ``<PHONE>``: phone numbers with 7-15 digits in international (``+44 20 7946 0958``,
  ``0049 30 1234567``), US (``(415) 555-0132``, ``415.555.0132``), UK (``020 7946 0958``) and
  European (``06 12 34 56 78``) formats. Dates (``2026-01-05``, ``05.01.2026``, ``01/05/2026``),
  times, year ranges, prices (``$1,299.00``, ``1.299.000 €``), thousands-grouped amounts, IP
  addresses and order/ticket numbers (``#123456``, ``order 1234567``) are not phones.

All patterns are compiled once at import; :func:`redact` makes one pass per kind.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mining.text.person_names import mask_in_context, names_in_text

PLACEHOLDERS = ("<EMAIL>", "<URL>", "<IBAN>", "<CARD>", "<PHONE>")

# --- URLs -------------------------------------------------------------------------------------
_URL = re.compile(r"""(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>"'`]+""", re.IGNORECASE)
# Scheme-less "acme.com/reset?token=…"; only tried when the text has a "host.tld/" and a "?".
_BARE_URL = re.compile(
    r"""(?<![@\w.-])(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>"'`]*\?[^\s<>"'`]+""", re.IGNORECASE
)
_BARE_HINT = re.compile(r"\.[a-z]{2,}/", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}'\""

# --- e-mail -----------------------------------------------------------------------------------
# Internationalised addresses too: any letters or digits in the local part and the domain labels
# (zoë.example, 例子.广告, müller.de); the top-level domain is letters or punycode (xn--…).
_EMAIL = re.compile(
    r"(?<![\w.+-])(?:mailto:)?[^\W_][\w.%+'-]*@(?:[^\W_](?:[\w-]*[^\W_])?\.)+"
    r"(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{2,59})(?![\w-])",
    re.IGNORECASE,
)

# --- IBAN -------------------------------------------------------------------------------------
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?:[ \-]?[A-Z0-9]){11,30})(?![a-z0-9])", re.IGNORECASE
)
# Registered IBAN lengths (SWIFT IBAN registry); other countries: 15-34 characters.
_IBAN_LEN = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
    "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}

# --- cards ------------------------------------------------------------------------------------
_CARD = re.compile(r"(?<![\w.,/-])\d(?:[ \-]?\d){12,18}(?![\w]|[.,/-]\d)")

_IBAN_HEAD = re.compile(r"[A-Za-z]{2}\d{2}[ \-]?$")

# --- phones -----------------------------------------------------------------------------------
_PHONE = re.compile(
    r"(?<![\w@/#+.,:-])"  # not glued to a word, an id, a decimal or a time
    r"(?:\+|\b00)?\s?(?:\(\s?\d{1,5}\s?\)\s?)?"  # +, 00 or a bracketed area code
    r"\d(?:[\d \t().\-/]{0,24}\d)?"
    r"(?![\w@]|[.,:/-]\d)"
)
_DATE_LIKE = re.compile(
    r"""
    (?<!\d)(?:
    \d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}          # 2026-01-05
    | \d{1,2}[\-/.]\d{1,2}[\-/.]\d{2,4}       # 05.01.2026, 1/5/26
    | (?:19|20)\d{2}\s?[\-/]\s?(?:19|20)?\d{2} # 2019-2023, 2019/20
    | \d{1,3}(?:\.\d{1,3}){3}                 # IP address
    )(?!\d)                                    # whole numbers only: not the "23-45-67" of a phone
    """,
    re.VERBOSE,
)
# Nine digits grouped 3-3-3 by spaces: a Spanish or similar mobile/landline ("612 345 678"),
# not an amount (amounts with a currency or unit beside them are excluded before this is asked).
_NINE_DIGITS_333 = re.compile(r"[6-9]\d{2} \d{3} \d{3}")
_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:([ .,'])\d{3})(?:\1\d{3})*")
_CURRENCY_BEFORE = re.compile(
    r"(?:[$€£¥₹]|\b(?:usd|eur|gbp|chf|aud|cad|inr|jpy|sek|nok|dkk|pln|rs|price|cost|costs|total)\b)"
    r"\s?[:=]?\s?$",
    re.IGNORECASE,
)
_CURRENCY_AFTER = re.compile(
    r"^\s?(?:[$€£¥₹%]|(?:usd|eur|gbp|chf|euros?|dollars?|pounds?|bucks|k|m|bn|mio|million|"
    r"billion|units|pcs|items|users|seats|km|kg|mb|gb|tb)\b)",
    re.IGNORECASE,
)
_ID_BEFORE = re.compile(
    r"(?:\b(?:order|invoice|inv|ticket|case|ref|reference|tracking|shipment|po|sku|item|"
    r"confirmation|booking|reservation|account|acct|customer|member|policy|claim|id|serial)"
    r"\b\.?|#|№)\s?(?:no\.?|nr\.?|number|#|id|code)?\s?(?:is|was|[:=])?\s?$",
    re.IGNORECASE,
)


_DIGIT = re.compile(r"\d")
_IBAN_HINT = re.compile(r"[A-Za-z]{2}\d{2}")
_THIRTEEN_DIGITS = re.compile(r"(?:\d[ \-]?){13}")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iban_ok(compact: str) -> bool:
    if len(compact) < 15 or len(compact) > 34 or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = "".join(str(int(ch, 36)) for ch in rearranged)
    except ValueError:
        return False
    return int(number) % 97 == 1


def _sub_urls(text: str, counts: Counter) -> str:
    def repl(m: re.Match) -> str:
        url = m.group(0)
        tail = ""
        while url and url[-1] in _URL_TRAILING:
            # keep a closing bracket that belongs to the URL, e.g. wiki/Foo_(bar)
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            tail = url[-1] + tail
            url = url[:-1]
        scheme_rest = url.split("://", 1)[-1]
        host_part = scheme_rest.split("/", 1)[0]
        has_query = "?" in url and len(url.split("?", 1)[1]) > 0
        fragment = url.split("#", 1)[1] if "#" in url else ""
        if has_query or "=" in fragment or "@" in host_part:
            counts["<URL>"] += 1
            return "<URL>" + tail
        return m.group(0)

    text = _URL.sub(repl, text)
    if "?" in text and _BARE_HINT.search(text):
        text = _BARE_URL.sub(repl, text)
    return text


def _sub_emails(text: str, counts: Counter) -> str:
    def repl(m: re.Match) -> str:
        counts["<EMAIL>"] += 1
        return "<EMAIL>"

    return _EMAIL.sub(repl, text)


def _sub_ibans(text: str, counts: Counter) -> str:
    def repl(m: re.Match) -> str:
        raw = m.group(1)
        # positions in `raw` after each alphanumeric character, to cut at a character boundary
        ends: list[int] = []
        compact_chars: list[str] = []
        for i, ch in enumerate(raw):
            if ch.isalnum():
                compact_chars.append(ch.upper())
                ends.append(i + 1)
        compact = "".join(compact_chars)
        want = _IBAN_LEN.get(compact[:2])
        lengths = [want] if want else range(min(34, len(compact)), 14, -1)
        for n in lengths:
            if n is None or n > len(compact):
                continue
            if _iban_ok(compact[:n]):
                cut = ends[n - 1]
                counts["<IBAN>"] += 1
                return "<IBAN>" + raw[cut:]
        return raw

    return _IBAN.sub(repl, text)


def _card_shaped(raw: str, digits: str, before: str) -> bool:
    """Cards never follow "+" nor start with 0, and are grouped 4-4-4-4(-3) or 4-6-5 (Amex)."""
    if before == "+" or digits[:1] == "0":
        return False
    groups = [len(g) for g in re.split(r"[ \-]", raw) if g]
    if len(groups) == 1:
        return True
    return groups[:-1] == [4] * (len(groups) - 1) and 1 <= groups[-1] <= 4 or groups[:2] == [4, 6]


def _sub_cards(text: str, counts: Counter) -> str:
    def repl(m: re.Match) -> str:
        raw = m.group(0)
        if _IBAN_HEAD.search(text, max(0, m.start() - 5), m.start()):
            return raw  # the tail of an IBAN that failed its checksum: not a card
        digits = re.sub(r"\D", "", raw)
        seps = set(re.findall(r"[ \-]", raw))
        if not _card_shaped(raw, digits, text[m.start() - 1:m.start()]):
            return raw  # an international phone ("+86 138 …", "0049 30 …") that passes Luhn
        if 13 <= len(digits) <= 19 and len(seps) <= 1 and digits.strip("0") and _luhn_ok(digits):
            counts["<CARD>"] += 1
            return "<CARD>"
        return raw

    return _CARD.sub(repl, text)


def _looks_like_phone(cand: str, before: str, after: str) -> bool:
    digits = sum(ch.isdigit() for ch in cand)
    if digits < 7 or digits > 15:
        return False
    core = cand.strip()
    international = core.startswith("+") or core.startswith("00")
    if core.startswith("00") and digits < 10:
        return False  # "00" + country code + number is 10+ digits; "00123456" is an id
    if _DATE_LIKE.search(core):
        return False
    if "  " in core.replace("\t", " ") or re.search(r"[.\-/][.\-/ ]|[ ][.\-/]", core):
        return False  # separators must be single (a "-" between spaced groups is allowed below)
    if not international:
        if _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.search(after):
            return False
        if _ID_BEFORE.search(before):
            return False
        if _THOUSANDS.fullmatch(core) and not _NINE_DIGITS_333.fullmatch(core):
            return False  # 1 299 000, 12.500.000, 1,299,000
        if core.count(".") == 1 or core.count("/") > 1:
            return False  # a decimal number or a path-like token
        if "." in core and re.search(r"\.\d{1,2}$", core) and core.count(".") < 2:
            return False
        if digits > 12:
            return False  # national numbers are at most 12 digits; longer ones are ids or cards
        groups = re.findall(r"\d+", core)
        if len(groups) == 2 and core[0] not in "0(" and len(groups[0]) != 3:
            return False  # "2025 1500": two numbers side by side, not a local "555 0132"
        if core.isdigit():  # an unformatted run: only national (0…) or NANP-shaped numbers
            if core[0] == "0":
                return 9 <= digits <= 12
            return digits == 10 or (digits == 11 and core[0] == "1")
    return True


def _sub_phones(text: str, counts: Counter) -> str:
    out: list[str] = []
    last = 0
    for m in _PHONE.finditer(text):
        cand = m.group(0)
        lead = len(cand) - len(cand.lstrip())
        start, end = m.start() + lead, m.end()
        cand = text[start:end]
        before = text[max(0, start - 24) : start]
        after = text[end : end + 16]
        if _looks_like_phone(cand, before, after):
            out.append(text[last:start])
            out.append("<PHONE>")
            last = end
            counts["<PHONE>"] += 1
    out.append(text[last:])
    return "".join(out)


def _redact(text: str) -> tuple[str, Counter]:
    counts: Counter = Counter()
    if not text:
        return text, counts
    # cheap guards first: most messages have no URL, no "@" and few digits
    if "?" in text or "#" in text or "@" in text:
        text = _sub_urls(text, counts)
    if "@" in text:
        text = _sub_emails(text, counts)
    if _DIGIT.search(text):
        if _IBAN_HINT.search(text):
            text = _sub_ibans(text, counts)
        if _THIRTEEN_DIGITS.search(text):
            text = _sub_cards(text, counts)
        text = _sub_phones(text, counts)
    return text, counts


def redact(text: str) -> str:
    """Replace e-mail addresses, phone numbers, card numbers, IBANs and query-string URLs.

    Args:
        text: Any text; ``None`` or empty text is returned unchanged.

    Returns:
        The text with personal data replaced by ``<EMAIL>``, ``<PHONE>``, ``<CARD>``, ``<IBAN>``
        and ``<URL>`` placeholders; everything else is unchanged.
    """
    if not text:
        return text
    return _redact(text)[0]


def redaction_counts(text: str) -> dict[str, int]:
    """Count what :func:`redact` would replace in ``text``.

    Args:
        text: Any text.

    Returns:
        A mapping from placeholder (``"<EMAIL>"``, ...) to the number of replacements, with every
        placeholder present (zero when none).
    """
    counts = _redact(text or "")[1]
    return {p: counts.get(p, 0) for p in PLACEHOLDERS}


# --- personal names (issue 15) ------------------------------------------------------------------
NAME_PLACEHOLDER = "<NAME>"
_names_memo: dict[int, tuple[Any, tuple[frozenset[str], frozenset[str]], int]] = {}


def corpus_person_names(messages: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The personal names of a messages table: ``(names, vocatives)``, for :func:`redact_names`.

    Names come from authors, greetings, sign-offs, self-introductions, titles, vocatives and rare
    capitalised words (``mining.themes.names`` and ``mining.text.person_names``), read from the
    raw ``text`` (greetings and signatures carry names) and ``clean_text``. The result is
    remembered for the same table, so several reports share one pass.

    Args:
        messages: A DataFrame with ``text`` and/or ``clean_text`` (and optionally ``author``).
    """
    # heavy: the mining.themes package loads sklearn; only when corpus_person_names() runs
    from mining.themes.names import author_words, find_names

    key = id(messages)
    if key in _names_memo and _names_memo[key][0]() is messages and \
            _names_memo[key][2] == len(messages):
        return _names_memo[key][1]
    col = "text" if "text" in messages.columns else "clean_text"  # text holds every name
    texts = [t for t in messages[col].tolist() if isinstance(t, str) and t] \
        if col in messages.columns else []
    authors = messages["author"].dropna().astype(str).unique().tolist() \
        if "author" in messages.columns else []
    names = find_names(texts, authors)
    found = (names, author_words(authors, names))
    _names_memo.clear()  # one table at a time: never hold many corpora's names
    _names_memo[key] = (weakref.ref(messages), found, len(messages))
    return found


def redact_names(text: str, names: Iterable[str] | None = None,
                 vocatives: Iterable[str] = ()) -> str:
    """Replace personal names in ``text`` with ``<NAME>``.

    Args:
        text: Any text.
        names: Lowercase name tokens (from :func:`corpus_person_names`); None finds the names in
            this text alone (self-introductions, titles, greetings, rare capitalised words).
        vocatives: Author words that are also common words, masked only where they address
            someone ("Will, happy to help").

    Returns:
        The text with names replaced.
    """
    # heavy: the mining.themes package loads sklearn; only when redact_names() runs
    from mining.themes.names import find_names, mask_names

    if not text:
        return text
    if names is None:
        names = names_in_text(text) | find_names([text])
    return mask_names(text, names, vocatives)


def redact_quotes(quotes: dict[str, str], messages: Any) -> Mapping[str, str]:
    """Replace personal names in example quotes (``message_id -> quote``) of a report.

    A report shows a few quotes out of every message of the corpus, so each quote is masked
    when it is first read (:class:`RedactedQuotes`), not all of them up front.

    Args:
        quotes: The quotes, already PII-redacted ``clean_text``.
        messages: The messages table they were taken from (names are found in all of it).
    """
    if not quotes:
        return quotes
    return RedactedQuotes(quotes, messages)


class RedactedQuotes(Mapping):
    """``message_id -> quote`` with personal names masked, each quote on first access (cached).

    A masked quote is remembered by its text, so a text shared by several messages (or by several
    reports' quotes of the same corpus: the names are remembered per table) is masked once.

    Args:
        quotes: The quotes, already PII-redacted ``clean_text``.
        messages: The messages table the names are found in (:func:`corpus_person_names`,
            once, on the first access).
    """

    #: The names the remembered masks were made with, and text -> masked text (one corpus).
    _memo: tuple[Any, dict[str, str]] = (None, {})

    def __init__(self, quotes: dict[str, str], messages: Any) -> None:
        self._raw, self._messages = quotes, messages
        self._names: tuple[frozenset[str], frozenset[str]] | None = None

    def __getitem__(self, key: str) -> str:
        text = self._raw[key]
        if self._names is None:
            self._names = corpus_person_names(self._messages)
            self._messages = None  # the names are all that is needed from the table
        names, by_text = RedactedQuotes._memo
        if names is not self._names:  # another corpus: forget the other one's quotes
            by_text = {}
            RedactedQuotes._memo = (self._names, by_text)
        out = by_text.get(text)
        if out is None:
            by_text[text] = out = _mask_quote(text, *self._names)
        return out

    def get(self, key: str, default: Any = None) -> Any:
        """The masked quote, or ``default`` when ``key`` has none (no exception raised)."""
        return self[key] if key in self._raw else default

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _mask_quote(text: str, names: frozenset[str], vocatives: frozenset[str]) -> str:
    """One quote with names masked: word by word (one set lookup per word), then in context."""
    # heavy: the mining.themes package loads sklearn; only when a quote is masked
    from mining.themes.names import mask_names

    text = _NAME_TOKEN.sub(lambda m: _mask_word(m.group(0), names), text)
    return mask_in_context(mask_names(text, (), vocatives), NAME_PLACEHOLDER)


_NAME_TOKEN = re.compile(r"(?<!\w)[^\W\d_]+(?:['’-][^\W\d_]+)*(?!\w)")


def _mask_word(word: str, names: frozenset[str]) -> str:
    """``<NAME>`` for a name; for "Dana's" or "Jean-Luc" the name parts only."""
    if word.lower() in names:
        return NAME_PLACEHOLDER
    parts = re.split(r"(['’-])", word)
    if len(parts) == 1:
        return word
    return "".join(NAME_PLACEHOLDER if p.lower() in names else p for p in parts)
