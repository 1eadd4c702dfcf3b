"""HTML to plain text with the standard library's ``html.parser``.

Used for HTML e-mail parts and for chat or table messages that hold markup. With
``strip_quotes=True`` the reply-history and signature containers of common mail clients are
dropped, so that only the author's own words remain.
"""

from __future__ import annotations

import html as _html
import re
from html.parser import HTMLParser

from mining.text.whitespace import normalize_whitespace

_BLOCK = frozenset(
    "address article aside blockquote body br dd div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section table tbody thead tfoot tr ul "
    "caption center".split()
)
_SKIP = frozenset("script style head title noscript template svg object iframe".split())
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Containers of quoted history or signatures in common mail clients' HTML.
_QUOTE_CLASSES = frozenset(
    "gmail_quote gmail_quote_container gmail_extra gmail_signature yahoo_quoted moz-cite-prefix "
    "moz-signature protonmail_quote zmail_extra".split()
)
# Elements after which everything is reply history (Outlook on the web, new Outlook).
_CUT_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "mail-editor-reference-message-container"})
_HTML_HINT = re.compile(
    r"<\s*(?:html|body|div|p|br|span|table|a\s|b>|i>|strong|em>|ul|ol|li|blockquote|font|img)\b[^>]*>"
    r"|&(?:nbsp|amp|lt|gt|quot|#\d+);",
    re.IGNORECASE,
)


class _TextExtractor(HTMLParser):
    def __init__(self, strip_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.strip_quotes = strip_quotes
        self.parts: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.pre = 0
        self.cut = False
        self.list_stack: list[str] = []

    def _newline(self, n: int = 1) -> None:
        """End the current line; ``n=2`` leaves a blank line (a paragraph break)."""
        have = 0
        for part in reversed(self.parts):
            stripped = part.rstrip(" ")
            if not stripped:
                continue
            have += len(stripped) - len(stripped.rstrip("\n"))
            if stripped.strip("\n"):
                break
        if not self.parts:
            return
        if have < n:
            self.parts.append("\n" * (n - have))

    def _starts_skip(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag in _SKIP:
            return True
        if not self.strip_quotes:
            return False
        if tag == "blockquote":
            return True
        a = {k.lower(): (v or "") for k, v in attrs}
        classes = set(a.get("class", "").split())
        if classes & _QUOTE_CLASSES:
            return True
        if a.get("id", "").lower() in _CUT_IDS:
            self.cut = True
        return False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.cut:
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag and tag not in _VOID:
                self.skip_depth += 1
            return
        if self._starts_skip(tag, attrs):
            if tag not in _VOID:
                self.skip_tag, self.skip_depth = tag, 1
            return
        if self.cut:
            return
        if tag == "pre":
            self.pre += 1
        if tag in ("ul", "ol"):
            self.list_stack.append(tag)
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self._newline()
            self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"):
            self._newline(2)
        elif tag in _BLOCK:
            self._newline()
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and alt.strip():
                self.parts.append(alt.strip())

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.cut:
            return
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
                    if tag not in _SKIP:
                        self._newline()
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in ("ul", "ol") and self.list_stack:
            self.list_stack.pop()
        if tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "table"):
            self._newline(2)
        elif tag in _BLOCK and tag not in _VOID and tag != "li":
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.cut or self.skip_tag is not None:
            return
        if self.pre:
            self.parts.append(data)
        else:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))

    def text(self) -> str:
        return "".join(self.parts)


def html_to_text(html: str, *, strip_quotes: bool = False) -> str:
    """Convert HTML to plain text.

    Scripts, styles and the document head are dropped; block elements (paragraphs, divs, line
    breaks, list items, table rows, headings) become line breaks; entities are unescaped; runs of
    spaces collapse as a browser would (line breaks inside ``<pre>`` are kept).

    Args:
        html: An HTML document or fragment. Malformed markup is tolerated.
        strip_quotes: Also drop reply history and signature containers of common mail clients
            (``<blockquote>``, Gmail ``gmail_quote``/``gmail_signature``, Yahoo, Thunderbird, and
            everything after Outlook on the web's reply header).

    Returns:
        The text, with normalised whitespace (see :func:`normalize_whitespace`).
    """
    if not html:
        return ""
    parser = _TextExtractor(strip_quotes)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser rarely fails; fall back to tag removal
        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html)
        text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>", "\n", text)
        return normalize_whitespace(_html.unescape(re.sub(r"<[^>]*>", " ", text)))
    return normalize_whitespace(parser.text())


def looks_like_html(text: str) -> bool:
    """Tell whether ``text`` is HTML markup rather than plain text.

    Args:
        text: Any text.

    Returns:
        True when it contains at least two common HTML tags or entities.
    """
    if not text or "<" not in text and "&" not in text:
        return False
    return len(_HTML_HINT.findall(text, 0, 20_000)) >= 2
