"""Two levels of themes: fine themes (the clusters) and coarse themes that group them.

Nobody reads 374 themes. The coarse level merges fine themes into a few groups a person can
scan (``--level coarse``, the report's theme section), and each fine theme keeps a
``parent_theme_id`` so a reader can drill down.

Grouping: Ward agglomerative clustering of the fine themes' centroids (L2-normalised, so
Euclidean distance is a monotone function of cosine similarity), cut at
:func:`n_coarse` groups: ``round(2 * sqrt(k))`` for ``k`` fine themes, at most
``max_groups`` (default 25, ``mining.config.ThemeSettings.coarse_max_themes``): 11 groups for 30
fine themes, 17 for 69, 25 from 150 on. Up to 4 fine themes stay one group each. Coarse
themes are numbered by size, largest first, and described like fine ones (keywords, examples,
a readable label) from all their members.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from mining.errors import ConfigError, Errors
from mining.io.writers import csv_safe
from mining.text.segment import lemmatize
from mining.themes.cluster import centroids as _centroids
from mining.themes.labels import Lexicon
from mining.themes.names import mask_names
from mining.themes.represent import describe_themes

#: Default largest number of coarse themes per kind.
DEFAULT_MAX_COARSE = 25


def n_coarse(n_fine: int, max_groups: int = DEFAULT_MAX_COARSE) -> int:
    """Return the number of coarse themes for ``n_fine`` fine themes (module docstring)."""
    if n_fine <= 4:
        return n_fine
    return int(min(max_groups, n_fine, max(2, round(2.0 * math.sqrt(n_fine)))))


def coarse_parents(centroids: np.ndarray, sizes: np.ndarray,
                   max_groups: int = DEFAULT_MAX_COARSE) -> np.ndarray:
    """Group fine themes into coarse themes.

    Args:
        centroids: Fine theme centroids, L2-normalised, shape ``(k, dim)``.
        sizes: Members per fine theme (orders the coarse ids: largest group first).
        max_groups: Largest number of coarse themes.

    Returns:
        int64 coarse id per fine theme, ``0..g-1``, numbered by total size (ties: smallest
        fine id first).
    """
    k = len(centroids)
    g = n_coarse(k, max_groups)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if g >= k:
        groups = np.arange(k)
    else:
        # heavy: scipy.cluster loads only when coarse_parents() runs
        from scipy.cluster.hierarchy import fcluster, linkage

        Z = linkage(np.asarray(centroids, dtype=np.float64), method="ward")
        groups = fcluster(Z, t=g, criterion="maxclust") - 1
    sizes = np.asarray(sizes, dtype=np.int64)
    totals = {int(c): (-int(sizes[groups == c].sum()), int(np.flatnonzero(groups == c)[0]))
              for c in np.unique(groups)}
    order = sorted(totals, key=totals.get)
    remap = {c: i for i, c in enumerate(order)}
    return np.array([remap[int(c)] for c in groups], dtype=np.int64)


def describe_levels(model: Any, texts: list[str], X: np.ndarray, lemmas: list,
                    names: frozenset[str] = frozenset(),
                    vocatives: frozenset[str] = frozenset()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Describe a fitted model's fine themes and their coarse groups.

    Args:
        model: A ``ThemeModel`` with ``labels_`` and ``centroids_`` set.
        texts: Focus texts of the fitted items.
        X: Their vectors as clustered (L2-normalised).
        lemmas: Lemmas per item.
        names: Personal names of the corpus (never shown; masked in examples).
        vocatives: Author words masked only where they address someone.

    Returns:
        ``(fine themes with parent_theme_id and parent_label, coarse themes)``.
    """
    if names:  # personal names never become keywords or labels
        drop = set(names) | {w for lem in lemmatize(sorted(names)) for w in lem}
        lemmas = [[w for w in lem if w not in drop] for lem in lemmas]
    if names or vocatives:  # nor example text; each distinct text masked once
        masked = {t: mask_names(t, names, vocatives) for t in dict.fromkeys(texts)}
        texts = [masked[t] for t in texts]
    lex = Lexicon(texts)
    labels = np.asarray(model.labels_)
    fine = describe_themes(model.kind, texts, X, labels, model.centroids_, lemmas,
                           model.n_keywords, model.n_examples, lex)
    parents = coarse_parents(model.centroids_, fine["size"].to_numpy(),
                             int(getattr(model, "coarse_max_themes", DEFAULT_MAX_COARSE)))
    up = np.where(labels >= 0, parents[np.maximum(labels, 0)] if len(parents) else -1, -1)
    coarse = describe_themes(model.kind, texts, X, up, _centroids(X, up), lemmas,
                             model.n_keywords, model.n_examples, lex)
    coarse["parent_theme_id"] = pd.array([pd.NA] * len(coarse), dtype="Int64")
    fine["parent_theme_id"] = pd.array(parents, dtype="Int64")
    names_of = dict(zip(coarse["theme_id"].astype(int), coarse["label"], strict=True))
    fine["parent_label"] = pd.array([names_of.get(int(p), "") for p in parents], dtype="string")
    return fine, coarse


def coarse_view(themes: pd.DataFrame, assignments: pd.DataFrame,
                coarse: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn fine ``themes.csv``/``assignments.csv`` tables into their coarse level.

    Args:
        themes: Fine themes with ``theme_id`` and ``parent_theme_id``.
        assignments: Rows with ``theme_id`` (fine, -1 unassigned) and ``theme_label``.
        coarse: The coarse themes table (``ThemeModel.coarse_themes_``).

    Returns:
        ``(coarse themes with sizes recounted, assignments with coarse ids and labels)``.
    """
    parent = dict(zip(themes["theme_id"].astype(int), themes["parent_theme_id"].astype(int),
                      strict=True))
    label = dict(zip(coarse["theme_id"].astype(int), coarse["label"].astype(str), strict=True))
    out = assignments.copy()
    ids = [parent.get(int(t), -1) if int(t) >= 0 else -1 for t in out["theme_id"]]
    out["theme_id"] = np.asarray(ids, dtype=np.int64)
    out["theme_label"] = [label.get(t, "") for t in ids]
    table = coarse.copy()
    counts = np.bincount([t for t in ids if t >= 0], minlength=len(table)) if len(table) else []
    table["size"] = [int(counts[int(t)]) if int(t) < len(counts) else 0
                     for t in table["theme_id"]]
    return table[[c for c in themes.columns if c in table.columns]].reset_index(drop=True), out


#: Levels of ``journeymine themes --level``.
LEVELS = ("fine", "coarse")


def check_level(level: str) -> None:
    """Raise ``ConfigError`` [E002] unless ``level`` is one of :data:`LEVELS`."""
    if level not in LEVELS:
        raise ConfigError(Errors.E002.format(kind="theme level", name=level,
                                             choices=", ".join(LEVELS)))


def apply_level(result: Any, level: str) -> Any:
    """Rewrite a ``journeymine themes`` output at ``level`` (``"fine"`` or ``"coarse"``).

    ``themes.csv`` gains ``parent_theme_id`` (the coarse theme of each fine theme; empty at the
    coarse level); at the coarse level ``themes.csv`` lists the coarse themes and
    ``assignments.csv`` gives each row its coarse theme.

    Args:
        result: What the themes command produced: ``themes``, ``assignments``, ``model`` and
            ``out_dir`` attributes (files already written there).
        level: ``"fine"`` or ``"coarse"``.

    Returns:
        The result with its tables replaced (also rewritten in ``out_dir``).

    Raises:
        ConfigError: [E002] for an unknown level.
    """
    check_level(level)
    model_themes = result.model.themes_
    parent = dict(zip(model_themes["theme_id"].astype(int), model_themes["parent_theme_id"],
                      strict=True))
    themes = result.themes.copy()
    themes["parent_theme_id"] = [parent.get(int(t), None) for t in themes["theme_id"]]
    themes["parent_theme_id"] = themes["parent_theme_id"].astype("Int64")
    assignments = result.assignments
    coarse = getattr(result.model, "coarse_themes_", None)
    if level == "coarse" and coarse is not None and themes["parent_theme_id"].notna().all():
        themes, assignments = coarse_view(themes, assignments, coarse)
    out = result.out_dir
    csv_safe(themes).to_csv(out / "themes.csv", index=False)
    csv_safe(assignments).to_csv(out / "assignments.csv", index=False)
    return dataclasses.replace(result, themes=themes, assignments=assignments)
