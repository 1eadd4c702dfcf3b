"""Shared statistics for the reports: Wilson intervals, exact tests, Benjamini-Hochberg, lift.

Every function accepts scalars or array-likes and is vectorised where that is cheap. Rates with a
zero denominator are ``nan`` (never 0 and never an error), so a report row with no data shows an
empty cell rather than a misleading number. scipy is imported inside the functions that need it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np


def _z(confidence: float) -> float:
    """Two-sided standard-normal quantile for ``confidence`` (1.959964 for 0.95)."""
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def wilson_interval(
    k: int | Sequence[int] | np.ndarray,
    n: int | Sequence[int] | np.ndarray,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion ``k / n``.

    With ``p = k / n`` and ``z`` the ``1 - (1 - confidence) / 2`` standard-normal quantile::

        centre = (p + z**2 / (2 n)) / (1 + z**2 / n)
        half   = z / (1 + z**2 / n) * sqrt(p (1 - p) / n + z**2 / (4 n**2))
        (lo, hi) = (centre - half, centre + half)

    Unlike the normal ("Wald") interval it stays inside [0, 1] and is sensible for ``k = 0`` or
    ``k = n`` and for small ``n`` (Wilson 1927; Brown, Cai & DasGupta 2001).

    Args:
        k: Number of successes (scalar or array).
        n: Number of trials, same shape as ``k``.
        confidence: Two-sided confidence level, e.g. 0.95.

    Returns:
        ``(lo, hi)`` as float arrays (0-d for scalar input); ``nan`` where ``n == 0``.
    """
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k_arr / n_arr
        denom = 1.0 + z * z / n_arr
        centre = (p + z * z / (2.0 * n_arr)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / n_arr + z * z / (4.0 * n_arr * n_arr))
        lo = np.clip(centre - half, 0.0, 1.0)
        hi = np.clip(centre + half, 0.0, 1.0)
    lo = np.where(k_arr <= 0, 0.0, lo)  # exact bounds at the edges (no rounding residue)
    hi = np.where(k_arr >= n_arr, 1.0, hi)
    empty = n_arr <= 0
    lo = np.where(empty, np.nan, lo)
    hi = np.where(empty, np.nan, hi)
    return lo, hi


def rate(k: int | Sequence[int] | np.ndarray, n: int | Sequence[int] | np.ndarray) -> np.ndarray:
    """Proportion ``k / n`` as float, ``nan`` where ``n == 0``.

    Args:
        k: Successes.
        n: Trials.

    Returns:
        Float array (0-d for scalars).
    """
    k_arr = np.asarray(k, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_arr > 0, k_arr / n_arr, np.nan)


def lift(rate_a: float | np.ndarray, rate_b: float | np.ndarray) -> np.ndarray:
    """Lift of one rate over another: ``rate_a / rate_b``.

    A lift of 2 means group A converts (or resolves) twice as often as group B; 1 means no
    difference. ``nan`` when ``rate_b`` is 0 or either rate is unknown.

    Args:
        rate_a: Rate of the group of interest.
        rate_b: Rate of the comparison group.

    Returns:
        Float array (0-d for scalars).
    """
    a = np.asarray(rate_a, dtype=float)
    b = np.asarray(rate_b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / b, np.nan)


def fisher_exact_p(k1: int, n1: int, k2: int, n2: int, alternative: str = "two-sided") -> float:
    """Fisher's exact test comparing ``k1 / n1`` with ``k2 / n2``.

    The 2x2 table is ``[[k1, n1 - k1], [k2, n2 - k2]]``; the p-value is the probability, under the
    hypergeometric distribution with all margins fixed, of a table at least as extreme as the
    observed one (two-sided: summing tables no more probable than the observed;
    ``scipy.stats.fisher_exact``).

    Args:
        k1: Successes in group 1.
        n1: Size of group 1.
        k2: Successes in group 2.
        n2: Size of group 2.
        alternative: ``"two-sided"``, ``"greater"`` (group 1 higher) or ``"less"``.

    Returns:
        The p-value, or ``nan`` when either group is empty.
    """
    if n1 <= 0 or n2 <= 0:
        return math.nan
    # heavy: scipy.stats loads only when fisher_exact_p() runs
    from scipy.stats import fisher_exact

    table = [[int(k1), int(n1 - k1)], [int(k2), int(n2 - k2)]]
    return float(fisher_exact(table, alternative=alternative).pvalue)


def fisher_exact_many(
    k1: Sequence[int] | np.ndarray,
    n1: Sequence[int] | np.ndarray,
    k2: Sequence[int] | np.ndarray,
    n2: Sequence[int] | np.ndarray,
) -> np.ndarray:
    """Two-sided Fisher exact p-values for many 2x2 comparisons (see :func:`fisher_exact_p`).

    Identical tables are computed once.

    Args:
        k1: Successes in group 1, one per comparison.
        n1: Sizes of group 1.
        k2: Successes in group 2.
        n2: Sizes of group 2.

    Returns:
        Float array of p-values (``nan`` where a group is empty).
    """
    cache: dict[tuple[int, int, int, int], float] = {}
    out = []
    for a, b, c, d in zip(k1, n1, k2, n2, strict=True):
        key = (int(a), int(b), int(c), int(d))
        if key not in cache:
            cache[key] = fisher_exact_p(*key)
        out.append(cache[key])
    return np.asarray(out, dtype=float)


def binom_test_p(k: int, n: int, p: float, alternative: str = "two-sided") -> float:
    """Exact binomial test of ``k`` successes in ``n`` trials against success probability ``p``.

    The two-sided p-value sums the probabilities of all outcomes no more likely than the observed
    one under ``Binomial(n, p)`` (``scipy.stats.binomtest``).

    Args:
        k: Successes.
        n: Trials.
        p: Success probability under the null hypothesis.
        alternative: ``"two-sided"``, ``"greater"`` or ``"less"``.

    Returns:
        The p-value, ``nan`` when ``n == 0``.
    """
    if n <= 0:
        return math.nan
    # heavy: scipy.stats loads only when binom_test_p() runs
    from scipy.stats import binomtest

    return float(binomtest(int(k), int(n), float(p), alternative=alternative).pvalue)


def bh_qvalues(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (false-discovery-rate adjusted p-values).

    With the ``m`` non-missing p-values sorted ascending, ``p_(1) <= ... <= p_(m)``::

        q_(i) = min(1, min_{j >= i} p_(j) * m / j)

    Rejecting every hypothesis with ``q <= alpha`` controls the false discovery rate at ``alpha``
    for independent or positively dependent tests (Benjamini & Hochberg 1995). Missing p-values
    (``nan``) stay ``nan`` and do not count towards ``m``.

    Args:
        pvalues: p-values, any order.

    Returns:
        q-values in the input order.
    """
    p = np.asarray(pvalues, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    idx = np.flatnonzero(ok)
    order = np.argsort(p[ok], kind="mergesort")
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q[idx[order]] = np.minimum(ranked, 1.0)
    return q
