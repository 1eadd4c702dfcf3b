"""Semantic similarity to a taxonomy's example utterances (the prototypes of each category).

The examples of a taxonomy file are embedded once with :func:`mining.embed.embed_texts` (so they
sit in the on-disk vector cache with everything else) and a text is scored against each category
by the mean cosine similarity of its ``top_k`` nearest examples of that category.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mining.embed import embed_texts

if TYPE_CHECKING:
    from mining.taxonomy import TaxonomyFile


@dataclass
class Prototypes:
    """Embedded examples of one taxonomy file.

    Attributes:
        categories: Category names, in taxonomy order.
        texts: Example utterances.
        labels: ``(n_examples,)`` index into ``categories`` of each example.
        vectors: ``(n_examples, dim)`` L2-normalised float32 vectors.
    """

    categories: list[str]
    texts: list[str]
    labels: np.ndarray
    vectors: np.ndarray

    @classmethod
    def from_taxonomy(cls, tf: TaxonomyFile, *, embedder: Any = None, settings: Any = None,
                      progress: bool = False) -> Prototypes:
        """Embed every example of ``tf``.

        Args:
            tf: A validated taxonomy file.
            embedder: Embedder name or object (see ``mining.embed.embed_texts``).
            settings: ``Settings`` for the embedder defaults and cache folder.
            progress: Show a progress bar while embedding.

        Returns:
            The prototypes.
        """
        cats = tf.names
        texts, labels = [], []
        for i, name in enumerate(cats):
            for ex in tf.categories[name].examples:
                texts.append(ex)
                labels.append(i)
        vectors = embed_texts(texts, model=embedder, settings=settings, progress=progress)
        return cls(cats, texts, np.asarray(labels, dtype=np.int64), vectors)

    def scores(self, vectors: np.ndarray, *, top_k: int = 3,
               exclude: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Score texts against every category.

        Args:
            vectors: ``(n, dim)`` L2-normalised vectors of the texts.
            top_k: How many nearest examples of a category are averaged.
            exclude: Per text, an example index to leave out (``-1`` for none); used to score
                the examples themselves leave-one-out.

        Returns:
            ``(scores, nearest)``: ``(n, n_categories)`` mean cosine of the ``top_k`` nearest
            examples per category, and ``(n, n_categories)`` index of the nearest example of each
            category.
        """
        n, k = len(vectors), len(self.categories)
        scores = np.zeros((n, k), dtype=np.float32)
        nearest = np.full((n, k), -1, dtype=np.int64)
        if n == 0 or len(self.texts) == 0:
            return scores, nearest
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        if exclude is not None:
            ex = np.asarray(exclude, dtype=np.int64)
            rows = np.flatnonzero(ex >= 0)
            sims[rows, ex[rows]] = -np.inf
        for c in range(k):
            cols = np.flatnonzero(self.labels == c)
            if len(cols) == 0:
                continue
            sub = sims[:, cols]
            kk = min(top_k, len(cols))
            part = np.partition(sub, len(cols) - kk, axis=1)[:, len(cols) - kk:]
            part = np.where(np.isfinite(part), part, np.nan)
            with np.errstate(invalid="ignore"):
                scores[:, c] = np.nan_to_num(np.nanmean(part, axis=1), nan=0.0)
            nearest[:, c] = cols[np.argmax(sub, axis=1)]
        return scores, nearest

    def save(self, folder: Any, prefix: str) -> dict[str, Any]:
        """Write the vectors as ``<prefix>_vectors.npy``; return the JSON-able rest."""
        np.save(Path(folder) / f"{prefix}_vectors.npy", self.vectors, allow_pickle=False)
        return {"categories": self.categories, "texts": self.texts,
                "labels": self.labels.tolist()}

    @classmethod
    def load(cls, folder: Any, prefix: str, config: dict[str, Any]) -> Prototypes:
        """Read what :meth:`save` wrote."""
        vectors = np.load(Path(folder) / f"{prefix}_vectors.npy", allow_pickle=False)
        return cls(list(config["categories"]), list(config["texts"]),
                   np.asarray(config["labels"], dtype=np.int64), vectors)
