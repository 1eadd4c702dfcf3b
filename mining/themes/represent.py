"""Represent themes: keywords by class-based TF-IDF, typical examples and a short label.

Keywords follow the class-based TF-IDF of BERTopic (Grootendorst 2022): all lemmas of a theme
form one document; a term's weight is its frequency in the theme (L1-normalised) times
``log(1 + A / f)``, where ``f`` is its frequency over all themes and ``A`` the average number of
terms per theme. Terms are lemmas with stop words removed (``mining.text.segment.lemmatize``)
and bigrams of consecutive kept lemmas, so labels read like "reset password".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from mining.schema import conform
from mining.themes.labels import readable_labels

if TYPE_CHECKING:
    from mining.themes.labels import Lexicon

_NON_WORD = re.compile(r"[\W_]+")

#: Longest example kept in the themes table, in characters.
MAX_EXAMPLE_CHARS = 160


#: Request and politeness words that carry no topic ("I *want* to *get* ..."); spaCy's stop list
#: keeps them. Removed from keywords, generic English written for this project.
REQUEST_WORDS = frozenset({
    "want", "wanna", "need", "like", "help", "please", "pls", "would", "could", "can", "get",
    "look", "try", "know", "able", "let", "hi", "hello", "hey", "thanks", "thank", "ok", "okay",
    "yes", "yeah", "sure", "wonder", "hope", "gonna", "just", "really",
})


def terms_of(lemmas: Sequence[str]) -> list[str]:
    """Return the unigrams and bigrams of one text's lemmas.

    Args:
        lemmas: Lowercased lemmas of one text, stop words already removed, in token order.
            Words in :data:`REQUEST_WORDS` are dropped first.

    Returns:
        The lemmas followed by the bigrams ``"a b"`` of consecutive distinct lemmas.
    """
    lemmas = [w for w in lemmas if w not in REQUEST_WORDS]
    grams = list(lemmas)
    grams += [f"{a} {b}" for a, b in zip(lemmas, lemmas[1:], strict=False) if a != b]
    return grams


def class_tfidf(
    lemmas: Sequence[Sequence[str]], labels: np.ndarray, theme_ids: Sequence[int], top_n: int
) -> dict[int, list[str]]:
    """Rank the keywords of every theme by class-based TF-IDF.

    Args:
        lemmas: Lemmas per item (stop words removed).
        labels: Theme id per item (-1 for unassigned items, which are ignored).
        theme_ids: The themes to describe.
        top_n: Keywords per theme.

    Returns:
        Theme id -> up to ``top_n`` keywords, best first. A bigram is kept only when it occurs in
        at least two items of the theme, so one odd phrase does not become a keyword.
    """
    counts: dict[int, Counter] = {t: Counter() for t in theme_ids}
    doc_freq: dict[int, Counter] = {t: Counter() for t in theme_ids}
    for lem, lab in zip(lemmas, labels, strict=True):
        lab = int(lab)
        if lab in counts:
            grams = terms_of(lem)
            counts[lab].update(grams)
            doc_freq[lab].update(set(grams))
    total: Counter = Counter()
    for c in counts.values():
        total.update(c)
    avg = max(1.0, sum(sum(c.values()) for c in counts.values()) / max(1, len(counts)))
    out: dict[int, list[str]] = {}
    for t, c in counts.items():
        size = sum(c.values())
        if not size:
            out[t] = []
            continue
        scored = []
        for term, k in c.items():
            if " " in term and doc_freq[t][term] < 2:
                continue
            scored.append((k / size * np.log(1.0 + avg / total[term]), term))
        scored.sort(key=lambda p: (-p[0], p[1]))
        out[t] = [term for _, term in scored[:top_n]]
    return out


def display_terms(terms: Sequence[str], forms: dict[str, str],
                  fixes: dict[str, str] | None = None) -> list[str]:
    """Show each term's words in their surface form, dropping terms that become duplicates.

    Args:
        terms: Keyword terms (lemmas; bigrams joined by a space), best first.
        forms: Lemma -> surface form (:func:`mining.themes.labels.surface_forms`).
        fixes: Misspelled word -> correction (``mining.themes.labels.spelling_fixes``),
            applied to the shown forms ("teh delay" -> "the delay").

    Returns:
        The displayed terms, best first, without duplicates.
    """
    fixes = fixes or {}
    out: list[str] = []
    for term in terms:
        words = [forms.get(w, w) for w in term.split()]
        shown = " ".join(fixes.get(w, w) for w in words)
        if shown not in out:
            out.append(shown)
    return out


def short_label(keywords: Sequence[str], max_parts: int = 3) -> str:
    """Build a short human label from ranked keywords.

    A keyword already contained in a shown one is skipped, and a bigram replaces the unigrams it
    joins: ``["password", "reset", "reset password", "account"]`` gives
    ``"reset password / account"``.

    Args:
        keywords: Keywords, best first.
        max_parts: Keywords in the label.

    Returns:
        The label; empty when there are no keywords.
    """
    parts: list[str] = []
    for kw in keywords:
        words = set(kw.split())
        covered = [p for p in parts if set(p.split()) < words]
        if covered:  # a bigram replaces the unigrams it joins, at the first one's place
            at = parts.index(covered[0])
            parts = [p for p in parts if p not in covered]
            parts.insert(at, kw)
        elif not any(words <= set(p.split()) for p in parts) and len(parts) < max_parts:
            parts.append(kw)
        if len(parts) == max_parts and not covered:
            break
    return " / ".join(parts)


def typical_examples(
    texts: Sequence[str], vectors: np.ndarray, members: np.ndarray, centroid: np.ndarray, n: int
) -> list[str]:
    """Pick the ``n`` distinct member texts closest to the theme centroid.

    Args:
        texts: All texts.
        vectors: All vectors, L2-normalised, shape (n_items, dim).
        members: Indices of the theme's members.
        centroid: The theme centroid, L2-normalised.
        n: How many examples.

    Returns:
        Up to ``n`` texts, most typical first, whitespace collapsed and trimmed to
        :data:`MAX_EXAMPLE_CHARS` characters.
    """
    order = members[np.argsort(-(vectors[members] @ centroid), kind="stable")]
    seen: set[str] = set()
    out: list[str] = []
    for i in order:
        t = " ".join(str(texts[i]).split())
        key = " ".join(_NON_WORD.sub(" ", t.lower()).split())
        if not t or key in seen:  # near-duplicates differ only in case or punctuation
            continue
        seen.add(key)
        out.append(t if len(t) <= MAX_EXAMPLE_CHARS else t[: MAX_EXAMPLE_CHARS - 1].rstrip() + "…")
        if len(out) == n:
            break
    return out


def describe_themes(kind: str, texts: Sequence[str], X: np.ndarray, labels: np.ndarray,
                    centroids: np.ndarray, lemmas: Sequence[Sequence[str]], n_keywords: int,
                    n_examples: int, lexicon: Lexicon) -> pd.DataFrame:
    """Describe themes: keywords, typical examples and a readable label per theme.

    Args:
        kind: Theme kind (stored in the table).
        texts: Item texts (focus texts, names masked).
        X: Item vectors, L2-normalised.
        labels: Theme id per item, ``0..k-1`` (-1 unassigned).
        centroids: Theme centroids, ``(k, dim)``.
        lemmas: Lemmas per item (stop words and names removed).
        n_keywords: Keywords per theme.
        n_examples: Examples per theme.
        lexicon: The corpus's words (``mining.themes.labels.Lexicon``).

    Returns:
        The themes table (``mining.schema.THEMES``; ``parent_theme_id`` empty).
    """
    ids = list(range(len(centroids)))
    forms = lexicon.forms
    terms = class_tfidf(lemmas, labels, ids, n_keywords)
    shown = {t: display_terms(kws, forms, lexicon.fixes) for t, kws in terms.items()}
    fallback = [short_label(shown.get(t, [])) for t in ids]
    names = readable_labels(texts, X, labels, centroids, terms, shown, fallback, lexicon)
    rows = []
    for t in ids:
        members = np.flatnonzero(labels == t)
        examples = typical_examples(texts, X, members, centroids[t], n_examples)
        rows.append({"theme_id": t, "kind": kind, "label": names[t], "taxonomy_category": "",
                     "keywords": ", ".join(shown.get(t, [])), "size": len(members),
                     "examples": " | ".join(examples)})
    return conform(pd.DataFrame(rows), "themes")
