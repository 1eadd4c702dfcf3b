"""Sentence segmentation and lemmatisation with spaCy.

API (used by the themes stage)::

    from mining.text.segment import get_nlp, segment, lemmatize
    nlp = get_nlp()                       # blank English + sentencizer + lookup lemmatizer (cached)
    units = segment(messages, roles=["customer"])   # mining.schema.UNITS columns
    lemmas = lemmatize(["We were charged twice"])   # [["charge", "twice"]]

``segment`` splits each message's ``clean_text`` into sentence units whose ``start``/``end`` are
character offsets into that ``clean_text`` (``clean_text[start:end] == text``). Empty and
whitespace-only sentences are skipped; units are numbered per message from 0 in reading order
(``unit_id = "<message_id>:<n>"``). Short fragments such as "Hi!" are kept as units of their own
(see ``docs/decisions.md``): merging them is a choice for the stage that consumes units.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from mining.errors import ConfigError, Errors
from mining.schema import conform, empty
from mining.text.spacy_import import import_spacy

if TYPE_CHECKING:  # heavy imports stay inside functions
    import spacy

#: Redaction placeholders written by the cleaner (``<EMAIL>``, ``<PHONE>``, ``<CARD>``, ...).
PLACEHOLDER_RE = re.compile(r"<[A-Z][A-Z_]*>")

#: Components that do not help to find sentence boundaries; disabled while segmenting.
_NOT_FOR_SENTENCES = ("lemmatizer", "ner", "attribute_ruler", "tagger", "morphologizer",
                      "entity_ruler", "textcat", "textcat_multilabel", "span_finder", "spancat")

_PIPE_BATCH = 256


def get_nlp(name: str = "") -> spacy.Language:
    """Return a spaCy pipeline, loaded once per process and name.

    Args:
        name: Empty for the built-in pipeline (``spacy.blank("en")`` + ``sentencizer`` + lookup
            ``lemmatizer`` from spacy-lookups-data); otherwise the name or path of an installed
            spaCy pipeline such as ``en_core_web_sm``.

    Returns:
        The initialised pipeline. Do not modify it: it is shared by every caller in the process.

    Raises:
        ConfigError: [E201] when the named pipeline cannot be loaded.
    """
    return _load_nlp(name or "")


@functools.lru_cache(maxsize=4)
def _load_nlp(name: str) -> spacy.Language:
    # heavy: spacy loads only when _load_nlp() runs (without torch: mining.text.spacy_import)
    spacy = import_spacy()

    if not name:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        try:
            nlp.initialize()  # loads the lookup tables from spacy-lookups-data
        except Exception as err:  # noqa: BLE001 - report a missing table as a settings problem
            raise ConfigError(Errors.E201.format(name="blank en", detail=err)) from None
        return nlp
    try:
        nlp = spacy.load(name)
    except (OSError, ImportError, ValueError) as err:
        detail = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ConfigError(Errors.E201.format(name=name, detail=detail)) from None
    if not (nlp.has_pipe("sentencizer") or nlp.has_pipe("senter") or nlp.has_pipe("parser")):
        nlp.add_pipe("sentencizer", first=True)
    return nlp


def _texts_of(messages: pd.DataFrame) -> list[str]:
    col = "clean_text" if "clean_text" in messages.columns else "text"
    if col not in messages.columns:
        raise ConfigError(Errors.E202.format(columns=", ".join(map(str, messages.columns))))
    return ["" if not isinstance(t, str) else t for t in messages[col].tolist()]


def segment(
    messages: pd.DataFrame,
    *,
    nlp_name: str = "",
    roles: Iterable[str] | None = None,
    batch_size: int = _PIPE_BATCH,
) -> pd.DataFrame:
    """Split messages into sentence units, keeping character offsets.

    Args:
        messages: A messages table; needs ``message_id`` and ``clean_text`` (``text`` is used when
            there is no ``clean_text`` column). Missing text gives no units.
        nlp_name: spaCy pipeline name (see :func:`get_nlp`); empty for the built-in one.
        roles: Keep only messages whose ``role`` is one of these (e.g. ``["customer"]``); None
            keeps every message.
        batch_size: Texts per ``nlp.pipe`` batch.

    Returns:
        A units table (:data:`mining.schema.UNITS`), in message order then reading order, with
        ``start``/``end`` offsets into the message's ``clean_text``.

    Raises:
        ConfigError: [E201] when the pipeline cannot be loaded; [E202] without a text column.
    """
    if roles is not None:
        keep = {str(r) for r in roles}
        if "role" not in messages.columns:
            raise ConfigError(Errors.E203.format(columns=", ".join(map(str, messages.columns))))
        messages = messages[messages["role"].isin(keep).fillna(False).to_numpy(dtype=bool)]
    if "message_id" not in messages.columns:
        raise ConfigError(Errors.E202.format(columns=", ".join(map(str, messages.columns))))
    if len(messages) == 0:
        return empty("units")
    texts = _texts_of(messages)
    ids = [str(m) for m in messages["message_id"].tolist()]
    nlp = get_nlp(nlp_name)
    disable = [p for p in _NOT_FOR_SENTENCES if nlp.has_pipe(p)]

    unit_ids: list[str] = []
    msg_ids: list[str] = []
    out_texts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    todo = [i for i, t in enumerate(texts) if t.strip()]
    docs = nlp.pipe((texts[i] for i in todo), batch_size=batch_size, disable=disable)
    for i, doc in zip(todo, docs, strict=True):
        text, mid, n = texts[i], ids[i], 0
        for sent in doc.sents:
            s, e = _strip_span(text, sent.start_char, sent.end_char)
            if s >= e:
                continue
            unit_ids.append(f"{mid}:{n}")
            msg_ids.append(mid)
            out_texts.append(text[s:e])
            starts.append(s)
            ends.append(e)
            n += 1
    frame = pd.DataFrame({"unit_id": unit_ids, "message_id": msg_ids, "text": out_texts,
                          "start": starts, "end": ends})
    return conform(frame, "units")


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def lemmatize(
    texts: Sequence[str], *, nlp_name: str = "", batch_size: int = _PIPE_BATCH
) -> list[list[str]]:
    """Turn texts into lowercased lemmas for keyword extraction.

    Stop words, punctuation, numbers, tokens without a letter, single characters and redaction
    placeholders (``<EMAIL>`` and the like) are removed.

    Args:
        texts: The texts; None or NA counts as empty.
        nlp_name: spaCy pipeline name (see :func:`get_nlp`); empty for the built-in one.
        batch_size: Texts per ``nlp.pipe`` batch.

    Returns:
        One list of lemmas per text, in token order (each distinct text is parsed once).

    Raises:
        ConfigError: [E201] when the pipeline cannot be loaded.
    """
    nlp = get_nlp(nlp_name)
    blank = not nlp_name
    # The lookup table is case sensitive and keyed by lowercase forms: lowercase first for the
    # built-in pipeline; a statistical pipeline tags better on the original casing.
    prepared = []
    for t in texts:
        t = PLACEHOLDER_RE.sub(" ", t) if isinstance(t, str) else ""
        prepared.append(t.lower() if blank else t)
    disable = [p for p in ("sentencizer", "senter", "parser", "ner") if nlp.has_pipe(p)]
    vocab = nlp.vocab
    done: dict[str, list[str]] = {}  # each distinct prepared text is parsed once
    distinct = dict.fromkeys(prepared)
    for text, doc in zip(distinct, nlp.pipe(distinct, batch_size=batch_size, disable=disable),
                         strict=True):
        lemmas = []
        for tok in doc:
            if tok.is_stop or tok.is_punct or tok.is_space or tok.like_num or tok.like_url:
                continue
            lemma = (tok.lemma_ or tok.text).lower().strip()
            if len(lemma) < 2 or not any(c.isalpha() for c in lemma) or vocab[lemma].is_stop:
                continue
            lemmas.append(lemma)
        done[text] = lemmas
    return [list(done[t]) for t in prepared]  # a list of its own per text, as before
