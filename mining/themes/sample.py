"""Fit on a capped sample: which items a ``ThemeModel`` clusters when the corpus is large.

Clustering (UMAP + HDBSCAN) grows faster than linearly with the number of items, while the
themes of a corpus are already visible in a few thousand of its messages. Above
``fit_sample_max`` (``mining.config.ThemeSettings.fit_sample_max``, default 20,000) the model
clusters a seeded random sample and assigns every item, sampled or not, to the nearest theme
centroid (the same rule as ``transform``), so the fit's cost stops growing with the corpus and
the rest costs one matrix product per item. Below the cap every item is clustered, exactly as
before (quality unchanged). Distinct texts are sampled first, so a corpus full of repeated
"thanks!" does not spend the sample on copies. Measured in ``benchmarks/themes_quality.py``
("fit on 1,000, assign the rest").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mining.themes.cluster import MIN_AUTO_SIZE, auto_min_size


def fit_sample(texts: Sequence[str], idx: np.ndarray, cap: int | None, seed: int) -> np.ndarray:
    """Choose the items to cluster.

    Args:
        texts: All texts.
        idx: Indices of the items that may be clustered (non-empty texts).
        cap: Largest sample; None or ``len(idx) <= cap`` keeps all of ``idx``.
        seed: Random seed (the same inputs and seed give the same sample).

    Returns:
        Sorted positions into ``idx`` (not indices into ``texts``).
    """
    n = len(idx)
    if cap is None or n <= int(cap):
        return np.arange(n)
    cap = int(cap)
    rng = np.random.default_rng(seed)
    first: dict[str, int] = {}
    for pos, i in enumerate(idx):
        first.setdefault(" ".join(str(texts[i]).lower().split()), pos)
    distinct = np.fromiter(first.values(), dtype=np.int64)
    if len(distinct) >= cap:
        return np.sort(rng.choice(distinct, size=cap, replace=False))
    rest = np.setdiff1d(np.arange(n), distinct)
    extra = rng.choice(rest, size=cap - len(distinct), replace=False)
    return np.sort(np.concatenate([distinct, extra]))


def sample_min_size(n_sample: int, n_total: int) -> int:
    """Return the automatic smallest theme size for clustering ``n_sample`` of ``n_total`` items.

    A theme of the whole corpus has, in a sample, the sample fraction of its members, so the
    size for the whole corpus (``mining.themes.cluster.auto_min_size(n_total)``) is scaled by
    ``n_sample / n_total`` (at least ``MIN_AUTO_SIZE``): the sample then finds the themes a full
    fit would. Without a sample this is ``auto_min_size(n_sample)``.

    Args:
        n_sample: Items clustered.
        n_total: Items in the corpus (``>= n_sample``).

    Returns:
        The minimum theme size.
    """
    if n_total <= n_sample:
        return auto_min_size(n_sample)
    return max(MIN_AUTO_SIZE, int(round(auto_min_size(n_total) * n_sample / n_total)))
