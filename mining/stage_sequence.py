"""The stage sequence model: transitions, session steps and Viterbi decoding per journey.

A journey's stages form a hidden Markov chain over its messages. The transition into a message
depends on its kind (:func:`step_kinds`): a customer message in the same session (0), a customer
message opening a new session (1: the customer comes back after ``session_gap_hours`` of their
own silence, per channel ``session_gap_by_channel``, or writes in another conversation of the
journey), or an agent, bot or system message (2). Each kind has four tied move weights in
stages.yaml (stay, forward one stage, skip ahead, fall back), and the chain has start weights.

The packaged weights are estimated by :func:`fit_transitions` from labelled journeys (the
sample transcripts' ground truth, ``benchmarks/stage_transitions.py``), with every move and
start weight floored at ``min_move`` so that paths the labelled data never shows (a chat that
opens with a support question, a setback) stay possible when the messages say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mining.taxonomy import Transitions

if TYPE_CHECKING:
    from mining.taxonomy import TaxonomyFile

#: Step kinds, in the order of the transition matrices.
STEP_KINDS = ("same_session", "new_session", "other_roles")


def logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """Numerically stable ``log(sum(exp(a)))`` along ``axis``."""
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def _moves_matrix(k: int, m: Any, stay: dict[int, float] | None = None) -> np.ndarray:
    trans = np.zeros((k, k))
    stay = stay or {}
    for i in range(k):
        for j in range(k):
            if j == i:
                w = stay.get(i, m.stay)
            elif j == i + 1:
                w = m.forward
            elif j > i + 1:
                w = m.skip / (j - i - 1)  # further jumps are rarer
            else:
                w = m.back / (i - j)
            trans[i, j] = w
        trans[i] /= trans[i].sum()
    return np.log(np.maximum(trans, 1e-12))


def transition_matrix(tf: TaxonomyFile) -> tuple[np.ndarray, np.ndarray]:
    """Build log transition and log start probabilities from a stages taxonomy.

    Args:
        tf: The stages taxonomy file.

    Returns:
        ``(log_trans, log_start)``: ``(3, k, k)`` row-normalised log transition probabilities
        (row = from) for the three :data:`STEP_KINDS`, and ``(k,)`` log start probabilities.
    """
    k = len(tf.categories)
    t = tf.transitions or Transitions()
    stay = {tf.names.index(n): w for n, w in t.stay_by_stage.items() if n in tf.categories}
    log_trans = np.stack([_moves_matrix(k, t, stay), _moves_matrix(k, t.new_session, stay),
                          _moves_matrix(k, t.other_roles)])
    if t.start:
        start = np.array([t.start.get(n, 0.0) for n in tf.names], dtype=float)
    else:
        start = np.array([1.0] + [0.1 / max(k - 1, 1)] * (k - 1))
    start = np.maximum(start, 1e-6)
    start /= start.sum()
    return log_trans, np.log(start)


def viterbi(log_emit: np.ndarray, log_trans: np.ndarray, log_start: np.ndarray,
            kinds: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Decode the most likely stage path and the posterior of each step.

    Args:
        log_emit: ``(n, k)`` per-step log scores of each stage.
        log_trans: ``(k, k)`` log transition probabilities, or ``(m, k, k)`` with ``kinds``.
        log_start: ``(k,)`` log start probabilities.
        kinds: ``(n,)`` index into ``log_trans`` of the transition into each step (the first
            entry is unused); None when ``log_trans`` is one matrix.

    Returns:
        ``(path, posterior)``: ``(n,)`` stage indices and ``(n, k)`` posterior probabilities
        (forward-backward).
    """
    n, k = log_emit.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, k))
    mats = log_trans if log_trans.ndim == 3 else log_trans[None]
    kinds = np.zeros(n, dtype=np.int64) if kinds is None else np.asarray(kinds, dtype=np.int64)
    delta = log_start + log_emit[0]
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        cand = delta[:, None] + mats[kinds[t]]
        back[t] = np.argmax(cand, axis=0)
        delta = cand[back[t], np.arange(k)] + log_emit[t]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(np.argmax(delta))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    fwd = np.zeros((n, k))
    bwd = np.zeros((n, k))
    fwd[0] = log_start + log_emit[0]
    for t in range(1, n):
        fwd[t] = logsumexp(fwd[t - 1][:, None] + mats[kinds[t]], axis=0) + log_emit[t]
    for t in range(n - 2, -1, -1):
        bwd[t] = logsumexp(mats[kinds[t + 1]] + (log_emit[t + 1] + bwd[t + 1])[None, :], axis=1)
    post = fwd + bwd
    post = np.exp(post - logsumexp(post, axis=1)[:, None])
    return path, post


def step_kinds(journeys: pd.DataFrame, codes: np.ndarray, t: Transitions | None = None
               ) -> np.ndarray:
    """Transition kind into each message: 0 same session, 1 new session, 2 other role.

    Args:
        journeys: Messages in journey order (``role``, ``timestamp`` or ``_ts``; optional
            ``channel`` and ``conversation_id``).
        codes: ``(n,)`` journey code of each row (consecutive rows of a journey share one).
        t: The transition settings (session gaps); None uses the defaults.

    Returns:
        ``(n,)`` int64 step kinds.
    """
    t = t or Transitions()
    n = len(journeys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    is_cust = (journeys["role"].astype("string") == "customer").fillna(False).to_numpy(bool)
    ts = pd.to_datetime(journeys["_ts"] if "_ts" in journeys else journeys["timestamp"],
                        utc=True, errors="coerce")
    gap_h = ts.diff().dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 3600.0
    same_journey = np.r_[False, codes[1:] == codes[:-1]]
    # the session gap of the message's channel (e-mail replies are slower than chat)
    by_channel = {str(c).lower(): float(h) for c, h in t.session_gap_by_channel.items()}
    channel = (journeys["channel"].astype("string").str.lower().fillna("").tolist()
               if "channel" in journeys else [""] * n)
    limit = np.array([by_channel.get(c, t.session_gap_hours) for c in channel], dtype=float)
    late = np.nan_to_num(gap_h, nan=0.0) >= limit
    # the customer's previous message in the journey (bot greetings and agent chasers in
    # between do not make a returning customer's message part of the old session)
    own = pd.Series(np.arange(n, dtype=float)).where(is_cust)
    prev_cust = own.groupby(pd.Series(codes)).transform(lambda x: x.ffill().shift(1)).to_numpy()
    has_prev = ~np.isnan(prev_cust)
    prev_i = np.where(has_prev, prev_cust, 0).astype(np.int64)
    if "conversation_id" in journeys:
        conv = journeys["conversation_id"].astype("string").fillna("").to_numpy(object)
        other_conv = has_prev & (conv != conv[prev_i]) & (conv != "")
    else:
        other_conv = np.zeros(n, dtype=bool)
    tsv = ts.to_numpy(dtype="datetime64[ns]")
    cust_gap_h = np.where(has_prev, (tsv - tsv[prev_i]) / np.timedelta64(1, "h"), 0.0)
    cust_late = np.nan_to_num(cust_gap_h.astype(float), nan=0.0) >= limit
    # a new session: a late message, a customer back after session_gap_hours of their own
    # silence, or one in a new conversation (chat session, e-mail thread) of the journey
    new_session = same_journey & (other_conv | late | cust_late)
    return np.where(~is_cust, 2, np.where(new_session, 1, 0)).astype(np.int64)


def fit_transitions(journeys: pd.DataFrame, stages: list[str], names: list[str], *,
                    t: Transitions | None = None, min_move: float = 0.05) -> dict[str, Any]:
    """Estimate the move and start weights of the sequence model from labelled journeys.

    Every step between consecutive messages of a journey is counted by its kind
    (:func:`step_kinds`) and move (stay, forward one stage, skip ahead, back), and the first
    message of every journey by its stage. Each kind's four weights are the move shares, and
    the start weights the stage shares of first messages; every weight is then floored at
    ``min_move`` (and renormalised) so that moves the data never shows stay possible.

    Args:
        journeys: Messages in journey order (as :func:`mining.journeys.build_journeys` orders
            them), with ``journey_id``, ``role`` and time columns.
        stages: ``(n,)`` true stage name of each row.
        names: The stage names in order.
        t: Transition settings for the session gaps (None: defaults).
        min_move: Floor of every move and start weight.

    Returns:
        A mapping in the shape of stages.yaml's ``transitions`` (``stay``, ``forward``,
        ``skip``, ``back``, ``new_session``, ``other_roles``, ``start``) plus ``counts``
        (steps counted per kind) for the record.
    """
    codes = pd.factorize(journeys["journey_id"].astype("string").fillna(""))[0]
    kinds = step_kinds(journeys, codes, t)
    idx = np.array([names.index(s) if s in names else -1 for s in stages], dtype=np.int64)
    same = np.r_[False, codes[1:] == codes[:-1]] & (idx >= 0) & (np.r_[-1, idx[:-1]] >= 0)
    diff = idx - np.r_[0, idx[:-1]]
    out: dict[str, Any] = {"counts": {}}
    for kind, label in enumerate(STEP_KINDS):
        sel = same & (kinds == kind)
        d = diff[sel]
        raw = np.array([(d == 0).sum(), (d == 1).sum(), (d > 1).sum(), (d < 0).sum()], float)
        out["counts"][label] = int(sel.sum())
        share = raw / raw.sum() if raw.sum() else np.array([0.8, 0.15, 0.03, 0.02])
        share = np.maximum(share, min_move)
        share /= share.sum()
        moves = dict(zip(("stay", "forward", "skip", "back"),
                         (round(float(x), 3) for x in share), strict=True))
        if kind == 0:
            out.update(moves)
        else:
            out[label] = moves
    first = idx[np.r_[True, codes[1:] != codes[:-1]]]
    first = first[first >= 0]
    start = np.bincount(first, minlength=len(names)).astype(float)
    start = start / start.sum() if start.sum() else np.full(len(names), 1.0 / len(names))
    start = np.maximum(start, min_move)
    start /= start.sum()
    out["start"] = {n: round(float(s), 3) for n, s in zip(names, start, strict=True)}
    return out
