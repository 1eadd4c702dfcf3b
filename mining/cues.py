"""Cue matching with negation and hedging, shared by objections, stages, intents and replies.

A :class:`CueMatcher` runs a taxonomy file's cue patterns (spaCy Matcher on lowercased lemmas)
over texts and sorts every match into *counted* or *negated*:

- negated: a negation lemma (``negation.lemmas``: not, never, no, n't, ...) stands up to
  ``negation.window`` tokens before the match in the same sentence, with no clause break (``,``
  ``;`` ``but`` ...) in between: "not too expensive", "we never found it too complicated";
  a wish verb in between keeps the concern ("we don't want to be locked in");
- cancelled: a ``negation.cancel`` pattern follows the match in the same clause or overlaps it:
  "the price isn't an issue", "budget is fine".

Negated and cancelled matches stay in the evidence (``"negated": true``) but do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mining import cue_pool
from mining.config import TaggingSettings
from mining.taxonomy import compile_matcher, matcher_rules
from mining.text.segment import get_nlp

if TYPE_CHECKING:
    from mining.taxonomy import TaxonomyFile

#: Tokens that end a clause: negation does not reach across them, nor does a cancel pattern.
CLAUSE_BREAKS = frozenset({",", ";", ":", "but", "however", "though", "although", "yet",
                           "-", "--", "—", "whereas", "except"})

#: Verbs that turn a negation into a stated wish: "we don't want to be locked in" is a concern
#: about being locked in, not a denial of it.
WISH_VERBS = frozenset({"want", "wanna", "like", "wish", "fancy", "love"})

#: How far after a cue match a cancel pattern may start (tokens).
CANCEL_REACH = 8

#: Token attributes whose exact values the prefilter checks (:class:`RequiredWords`).
_EXACT_ATTRS = frozenset({"LEMMA", "LOWER", "ORTH", "TEXT"})
#: Token operators that make a pattern token required (appears at least once).
_REQUIRED_OPS = frozenset({None, "1", "+"})


class RequiredWords:
    """A cheap test of whether a document can match any pattern of a Matcher at all.

    spaCy's Matcher calls a Python predicate per token for every ``IN`` set of every pattern,
    so most of its time goes on documents that match nothing. A pattern can only match where
    each of its required tokens (no ``OP``, or ``+``) finds a token with one of its exact
    ``LEMMA``/``LOWER``/``ORTH`` values. :meth:`possible` says False only when no pattern has
    all its required values among the document's tokens: the Matcher would then return no
    match, so skipping it changes nothing. Patterns with no exact-valued required token make
    every document possible.

    Args:
        rules: Rule name -> token patterns (:func:`mining.taxonomy.matcher_rules`).
    """

    def __init__(self, rules: dict[str, list[list[dict[str, Any]]]]) -> None:
        # heavy: spacy.strings loads only when a matcher is built
        from spacy.strings import get_string_id

        sets: dict[frozenset[int], int] = {}
        needs: list[list[int]] = []
        self.always = False
        for pattern in (p for pats in rules.values() for p in pats):
            values = [_exact_values(token, get_string_id) for token in pattern]
            need = [sets.setdefault(s, len(sets)) for s in values if s]
            self.always |= not need
            needs.append(need)
        self.index: dict[int, list[int]] = {}
        for values, i in sets.items():
            for v in values:
                self.index.setdefault(v, []).append(i)
        width = max((len(n) for n in needs), default=1)
        pad = len(sets)  # an always-present column fills short rows
        self.needs = np.array([n + [pad] * (width - len(n)) for n in needs] or [[pad]],
                              dtype=np.int64)
        self.n_sets = len(sets)

    def possible(self, doc: Any) -> bool:
        """Whether some pattern has every required value in ``doc`` (False: no match)."""
        if self.always:
            return True
        # heavy: spacy.attrs loads only when a matcher runs (spaCy is loaded by then anyway)
        from spacy.attrs import LEMMA, LOWER, ORTH

        hit = np.zeros(self.n_sets + 1, dtype=bool)
        hit[-1] = True
        found = False
        for v in set(doc.to_array([ORTH, LOWER, LEMMA]).ravel().tolist()):
            sets = self.index.get(v)
            if sets:
                hit[sets] = found = True
        return found and bool(hit[self.needs].all(axis=1).any())


def _exact_values(token: dict[str, Any], string_id: Any) -> frozenset[int]:
    """The string ids one of which a required pattern token must have (empty: no constraint)."""
    if token.get("OP") not in _REQUIRED_OPS:
        return frozenset()
    for key, value in token.items():
        if str(key).upper() not in _EXACT_ATTRS:
            continue
        if isinstance(value, str):
            return frozenset({string_id(value)})
        if isinstance(value, dict) and isinstance(value.get("IN"), list) and \
                all(isinstance(v, str) for v in value["IN"]):
            return frozenset(string_id(v) for v in value["IN"])
    return frozenset()


@dataclass
class CueResult:
    """Cue evidence for a batch of texts.

    Attributes:
        counts: ``(n_texts, n_categories)`` counted (non-negated) matches per category.
        negated: ``(n_texts, n_categories)`` negated or cancelled matches per category.
        cancelled: ``(n_texts,)`` whether a cancel pattern ("isn't an issue") matched at all.
        matches: Per text, the matches as dicts ``{"category", "cue", "negated", "start"}``
            (``start``: token index of the match).
        first_cancel: ``(n_texts,)`` token index of the first cancel pattern, -1 when none.
    """

    counts: np.ndarray
    negated: np.ndarray
    cancelled: np.ndarray
    matches: list[list[dict[str, Any]]] = field(default_factory=list)
    first_cancel: np.ndarray | None = None

    def take(self, rows: np.ndarray) -> CueResult:
        """The results of the texts at ``rows`` (repeats allowed; match dicts are copies)."""
        return CueResult(counts=self.counts[rows], negated=self.negated[rows],
                         cancelled=self.cancelled[rows],
                         matches=[[dict(m) for m in self.matches[i]] for i in rows.tolist()],
                         first_cancel=self.first_cancel[rows])

    @classmethod
    def concat(cls, parts: Sequence[CueResult]) -> CueResult:
        """The results of consecutive batches as one result, rows in order."""
        return cls(counts=np.concatenate([p.counts for p in parts]),
                   negated=np.concatenate([p.negated for p in parts]),
                   cancelled=np.concatenate([p.cancelled for p in parts]),
                   matches=[m for p in parts for m in p.matches],
                   first_cancel=np.concatenate([p.first_cancel for p in parts]))


def spacy_name(settings: Any) -> str:
    """Return the spaCy pipeline named by ``settings.embed.spacy_model`` ("" for blank English)."""
    return getattr(getattr(settings, "embed", None), "spacy_model", "") or ""


def cue_processes(settings: Any) -> int:
    """Processes that match one large batch, from ``settings.tagging.cue_processes``.

    Without settings (a model loaded from disk keeps none) the setting's default applies.
    """
    tagging = getattr(settings, "tagging", None)
    if tagging is None:
        tagging = TaggingSettings()
    return cue_pool.processes(tagging.cue_processes)


class CueMatcher:
    """Match a taxonomy file's cues in texts, aware of negation and hedging.

    Args:
        tf: A validated taxonomy file.
        nlp_name: spaCy pipeline name (``mining.text.segment.get_nlp``); empty for blank English.
        processes: Processes that share a batch of :data:`mining.cue_pool.SPLIT_MIN` texts or
            more (:func:`cue_processes`); 1 matches everything in this process.
    """

    def __init__(self, tf: TaxonomyFile, nlp_name: str = "", processes: int = 1) -> None:
        self.tf = tf
        self.nlp_name = nlp_name
        self.processes = max(1, int(processes))
        self.categories = tf.names
        self._index = {c: i for i, c in enumerate(self.categories)}
        self.nlp = get_nlp(nlp_name)
        self.matcher = compile_matcher(tf, self.nlp.vocab)
        self.required = RequiredWords(matcher_rules(tf))
        self.negators = {n.lower() for n in tf.negation.lemmas}
        self.window = tf.negation.window

    def match(self, texts: Sequence[str], batch_size: int = 256) -> CueResult:
        """Match every text (a large batch shared with helper processes: ``mining.cue_pool``).

        Args:
            texts: Texts (lowercased here, as the lookup lemmatizer expects); None counts as empty.
            batch_size: Texts per ``nlp.pipe`` batch.

        Returns:
            A :class:`CueResult`, the same however the batch was shared or repeats were merged.
        """
        prepared = [t.lower() if isinstance(t, str) else "" for t in texts]
        first: dict[str, int] = {}  # a repeated text is matched once (its result is its own)
        rows = np.fromiter((first.setdefault(t, len(first)) for t in prepared), dtype=np.int64,
                           count=len(prepared))
        found = self._match_shared(list(first), batch_size)
        return found if len(first) == len(prepared) else found.take(rows)

    def _match_shared(self, texts: list[str], batch_size: int) -> CueResult:
        """Match ``texts``, sharing a large batch with helper processes (:meth:`match`)."""
        if self.processes < 2 or len(texts) < cue_pool.SPLIT_MIN or not cue_pool.can_share():
            return self.match_here(texts, batch_size)
        (lo, hi), *rest = cue_pool.parts(len(texts), self.processes)
        futures = [(cue_pool.submit(self, texts[a:b], batch_size, len(rest)), texts[a:b])
                   for a, b in rest]
        first = self.match_here(texts[lo:hi], batch_size)
        return CueResult.concat([first, *(cue_pool.result(f, self, part, batch_size)
                                          for f, part in futures)])

    def match_here(self, texts: Sequence[str], batch_size: int = 256) -> CueResult:
        """Match every text in this process (:meth:`match`'s arguments and result)."""
        n, k = len(texts), len(self.categories)
        counts = np.zeros((n, k), dtype=np.float32)
        negated = np.zeros((n, k), dtype=np.float32)
        cancelled = np.zeros(n, dtype=bool)
        first_cancel = np.full(n, -1, dtype=np.int64)
        all_matches: list[list[dict[str, Any]]] = []
        prepared = [t.lower() if isinstance(t, str) else "" for t in texts]
        disable = [p for p in ("parser", "ner") if self.nlp.has_pipe(p)]
        for row, doc in enumerate(self.nlp.pipe(prepared, batch_size=batch_size, disable=disable)):
            found, first_cancel[row] = self._match_doc(doc)
            cancelled[row] = first_cancel[row] >= 0
            for m in found:
                col = self._index[m["category"]]
                (negated if m["negated"] else counts)[row, col] += 1
            all_matches.append(found)
        return CueResult(counts=counts, negated=negated, cancelled=cancelled,
                         first_cancel=first_cancel,
                         matches=all_matches)

    def _match_doc(self, doc: Any) -> tuple[list[dict[str, Any]], int]:
        raw = self.matcher(doc) if self.required.possible(doc) else []
        if not raw:
            return [], -1
        vocab = self.nlp.vocab.strings
        cancels = [(s, e) for mid, s, e in raw if vocab[mid] == "__cancel__"]
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, int, int]] = set()
        # longest match first so that nested matches of one category count once
        for mid, start, end in sorted(raw, key=lambda m: (m[1], -(m[2] - m[1]))):
            cat = vocab[mid]
            if cat == "__cancel__":
                continue
            if any(c == cat and s <= start and end <= e for c, s, e in seen):
                continue
            seen.add((cat, start, end))
            neg = self._negated(doc, start) or self._cancelled(doc, start, end, cancels)
            out.append({"category": cat, "cue": doc[start:end].text, "negated": neg,
                        "start": int(start)})
        return out, min((s for s, _ in cancels), default=-1)

    def _negated(self, doc: Any, start: int) -> bool:
        sent_start = doc[start].sent.start if doc.has_annotation("SENT_START") else 0
        lo = max(sent_start, start - self.window)
        for i in range(start - 1, lo - 1, -1):
            tok = doc[i]
            if tok.lower_ in CLAUSE_BREAKS:
                return False
            if tok.lower_ in WISH_VERBS or tok.lemma_ in WISH_VERBS:
                return False
            if tok.lower_ in self.negators or tok.lemma_ in self.negators:
                return True
        return False

    @staticmethod
    def _cancelled(doc: Any, start: int, end: int, cancels: list[tuple[int, int]]) -> bool:
        for cs, ce in cancels:
            if cs < end and ce > start:  # overlaps the cue
                return True
            if end <= cs <= end + CANCEL_REACH:
                between = doc[end:cs]
                if not any(t.lower_ in CLAUSE_BREAKS for t in between):
                    return True
        return False
