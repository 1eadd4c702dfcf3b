"""Teaching the objection detector: pick messages worth labelling, read the filled-in labels.

``journeymine label`` calls :func:`label_candidates`: every customer message is scored by the
detector (its most probable sentence, with the agent turn it answers as context). The corpus
is split by k-means on the message embeddings into ``n`` groups, one label per group; in each
group, among the ``NEAR_SHARE`` of its messages nearest its centre, the one the detector is
least sure about is taken. Representative (every kind of message in the corpus gets a label,
common kinds are not skipped as random sampling can skip them, and the labels show how common
objections are), diverse (no near-copies) and uncertain (each label is where the detector
hesitates most within its kind of message).

``journeymine tag|run --labels FILE`` calls :func:`read_labels` and :func:`fit_with_labels`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mining.embed import embed_texts
from mining.errors import ConfigError, Errors, InputError, Warnings
from mining.taxonomy import load_taxonomy
from mining.text.pseudonyms import known_message_ids
from mining.text.segment import segment

#: Within each k-means group, the share of its messages nearest the centre considered.
NEAR_SHARE = 0.5
#: Values accepted in the ``is_objection`` column (case-insensitive); blank skips the row.
YES = frozenset({"yes", "y", "1", "true", "t"})
NO = frozenset({"no", "n", "0", "false", "f"})
#: Columns of the file ``journeymine label`` writes, in order.
LABEL_COLUMNS = ("message_id", "conversation_id", "agent_turn_before", "text", "probability",
                 "is_objection", "category")


def customer_messages(journeys: pd.DataFrame) -> pd.DataFrame:
    """Customer messages with text, with the agent turn each replies to (column ``context``).

    Args:
        journeys: Messages in conversation order (``mining.journeys.build_journeys``).

    Returns:
        Columns ``message_id``, ``conversation_id``, ``text`` (``clean_text``), ``context``.
    """
    # heavy: mining.objections loads sklearn; only when customer_messages() runs
    from mining.objections import reply_context

    col = "clean_text" if "clean_text" in journeys.columns else "text"
    ctx = reply_context(journeys)
    text = journeys[col].astype("string").fillna("")
    keep = ((journeys["role"].astype("string") == "customer").fillna(False).to_numpy(bool)
            & text.str.strip().ne("").to_numpy(bool))
    return pd.DataFrame({"message_id": journeys["message_id"].astype(str).to_numpy()[keep],
                         "conversation_id": journeys["conversation_id"].astype("string")
                         .to_numpy()[keep],
                         "text": text.to_numpy()[keep].astype(str),
                         "context": ctx.to_numpy()[keep].astype(str)})


def score_messages(messages: pd.DataFrame, detector: Any, *, settings: Any = None,
                   progress: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Score messages the way ``journeymine tag`` does: the most probable sentence counts.

    Args:
        messages: ``message_id``, ``text``, ``context`` (from :func:`customer_messages`).
        detector: A fitted :class:`mining.objections.ObjectionDetector`.
        settings: ``Settings`` (spaCy pipeline for sentences; embedder cache).
        progress: Show embedding progress.

    Returns:
        ``(scores, unit_vectors)``: per message ``probability``, ``is_objection``, ``cue``
        (a counted cue in any sentence) and ``category`` (of the most probable sentence); and
        the vectors of the sentence units (for callers that reuse them).
    """
    nlp = getattr(getattr(settings, "embed", None), "spacy_model", "") or ""
    frame = pd.DataFrame({"message_id": messages["message_id"].astype(str),
                          "clean_text": messages["text"].astype(str)})
    units = segment(frame, nlp_name=nlp)
    ctx = dict(zip(messages["message_id"].astype(str), messages["context"].astype(str),
                   strict=True))
    vecs = embed_texts(units["text"].tolist(), model=detector.embedder, settings=settings,
                       progress=progress)
    scored = detector.transform(units["text"].tolist(), vecs,
                                context=[ctx.get(m, "") for m in units["message_id"]])
    scored["message_id"] = units["message_id"].to_numpy()
    best = scored.sort_values("probability", ascending=False, kind="stable") \
        .drop_duplicates("message_id").set_index("message_id")
    cue = scored.groupby("message_id")["cue"].any()
    out = pd.DataFrame({"message_id": messages["message_id"].astype(str).to_numpy()})
    out["probability"] = best["probability"].reindex(out["message_id"]).fillna(0.0).to_numpy()
    out["is_objection"] = out["probability"] >= detector.threshold
    out["cue"] = cue.reindex(out["message_id"]).fillna(False).to_numpy(bool)
    out["category"] = best["category"].reindex(out["message_id"]).to_numpy()
    return out, vecs


def select_uncertain_diverse(probability: np.ndarray, vectors: np.ndarray, n: int, *,
                             seed: int = 0, near_share: float = NEAR_SHARE) -> np.ndarray:
    """Indices of ``n`` rows worth labelling: one per k-means group, the uncertain typical one.

    The rows are split into ``n`` groups by k-means on ``vectors``. From each group, among the
    ``near_share`` of its rows nearest the group's centre (typical of the group, not an
    outlier), the row whose probability is nearest 0.5 is taken. The labels cover every kind
    of message in the corpus in proportion to how common it is, none is a near-copy of
    another, and each is where the detector hesitates within its kind.

    Args:
        probability: Objection probability per row.
        vectors: ``(rows, dim)`` embeddings.
        n: How many rows to pick.
        seed: Seed of k-means.
        near_share: Share of each group's rows (nearest its centre) to choose from.

    Returns:
        Row indices, most uncertain first (all rows when ``n`` is not smaller than their number).
    """
    # heavy: sklearn.cluster loads only when select_uncertain_diverse() runs
    from sklearn.cluster import KMeans

    p = np.asarray(probability, float)
    uncertainty = 1.0 - np.abs(2.0 * p - 1.0)
    if n >= len(p):
        return np.argsort(-uncertainty, kind="stable").astype(np.int64)
    vecs = np.asarray(vectors, np.float64)
    km = KMeans(n_clusters=n, n_init=1, random_state=seed).fit(vecs)
    picks = []
    for c in range(n):
        members = np.flatnonzero(km.labels_ == c)
        if not len(members):
            continue
        dist = ((vecs[members] - km.cluster_centers_[c]) ** 2).sum(axis=1)
        near = members[np.argsort(dist, kind="stable")[: max(1, int(len(members) * near_share))]]
        picks.append(near[np.argmax(uncertainty[near])])
    picks = np.asarray(picks, dtype=np.int64)
    if len(picks) < n:  # duplicate vectors can leave groups empty: fill with uncertain rows
        taken = set(picks.tolist())
        extra = [r for r in np.argsort(-uncertainty, kind="stable") if r not in taken]
        picks = np.r_[picks, extra[: n - len(picks)]].astype(np.int64)
    return picks[np.argsort(-uncertainty[picks], kind="stable")]


def label_candidates(journeys: pd.DataFrame, detector: Any, n: int, *, settings: Any = None,
                     seed: int = 0, exclude: Any = (), progress: bool = False
                     ) -> pd.DataFrame:
    """The ``n`` customer messages most worth labelling, as the CSV ``journeymine label`` writes.

    Args:
        journeys: Messages in conversation order (``mining.journeys.build_journeys``).
        detector: A fitted detector (the built-in one, or one taught with earlier labels).
        n: Number of messages.
        settings: ``Settings``.
        seed: Seed of the diversity step.
        exclude: Message ids already labelled.
        progress: Show embedding progress.

    Returns:
        Columns :data:`LABEL_COLUMNS`; ``is_objection`` and ``category`` are empty.

    Raises:
        ConfigError: [E516] when ``n`` is not positive; InputError: [E517] without customer
            messages.
    """
    if n <= 0:
        raise ConfigError(Errors.E516.format(value=n))
    msgs = customer_messages(journeys)
    msgs = msgs[~msgs["message_id"].isin(set(map(str, exclude)))].reset_index(drop=True)
    if msgs.empty:
        raise InputError(Errors.E517)
    scores, _ = score_messages(msgs, detector, settings=settings, progress=progress)
    vecs = embed_texts(msgs["text"].tolist(), model=detector.embedder, settings=settings,
                       progress=progress)
    rows = select_uncertain_diverse(scores["probability"].to_numpy(), vecs, n, seed=seed)
    out = msgs.iloc[rows].rename(columns={"context": "agent_turn_before"}).copy()
    out["probability"] = scores["probability"].to_numpy()[rows].round(3)
    out["is_objection"] = ""
    out["category"] = ""
    return out[list(LABEL_COLUMNS)].reset_index(drop=True)


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    idx = (np.flatnonzero(mask) + 2).tolist()  # spreadsheet row numbers (header is row 1)
    return ", ".join(map(str, idx[:limit])) + (", ..." if len(idx) > limit else "")


def read_labels(path: str | Path, *, known_ids: Any = None,
                categories: Any = None) -> tuple[pd.DataFrame, int]:
    """Read and check a filled-in labels file.

    Args:
        path: The CSV (``message_id``, ``is_objection``, optional ``category``).
        known_ids: Message ids of the corpus; every labelled id must be one of them (None: no
            check).
        categories: Allowed categories (``other`` is always allowed; None: no check).

    Returns:
        ``(labels, blank)``: ``message_id``, ``is_objection`` (bool), ``category`` ("" when
        none) for each filled-in row; and the number of blank rows skipped.

    Raises:
        InputError: [E511] unreadable or missing columns, [E512] unknown message ids, [E513]
            bad is_objection values, [E514] unknown categories, [E515] no usable labels.
    """
    p = Path(path)
    try:
        raw = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as err:
        raise InputError(Errors.E511.format(path=p, detail=str(err).splitlines()[0])) from None
    missing = [c for c in ("message_id", "is_objection") if c not in raw.columns]
    if missing:
        raise InputError(Errors.E511.format(path=p, detail=f"no column(s) {', '.join(missing)}"))
    value = raw["is_objection"].str.strip().str.lower()
    cat = raw["category"].str.strip() if "category" in raw.columns else pd.Series("", raw.index)
    bad = ~(value.isin(YES | NO) | value.eq("")).to_numpy(bool)
    if bad.any():
        raise InputError(Errors.E513.format(path=p, count=int(bad.sum()), rows=_rows(bad)))
    filled = value.ne("").to_numpy(bool)
    ids = raw["message_id"].str.strip()
    if known_ids is not None:  # raw Message-IDs written by hand still match a redacted corpus
        ids = pd.Series(known_message_ids(ids, known_ids), index=ids.index, dtype=object)
        unknown = filled & ~ids.isin(set(map(str, known_ids))).to_numpy(bool)
        if unknown.any():
            raise InputError(Errors.E512.format(path=p, count=int(unknown.sum()),
                                                rows=_rows(unknown)))
    if categories is not None:
        allowed = {*map(str, categories), "other"}
        wrong = filled & cat.ne("").to_numpy(bool) & ~cat.isin(allowed).to_numpy(bool)
        if wrong.any():
            values = ", ".join(sorted(set(cat[wrong])))[:120]
            raise InputError(Errors.E514.format(path=p, count=int(wrong.sum()), values=values,
                                                rows=_rows(wrong),
                                                choices=", ".join(sorted(allowed))))
    labels = pd.DataFrame({"message_id": ids[filled].to_numpy(),
                           "is_objection": value[filled].isin(YES).to_numpy(bool),
                           "category": cat[filled].to_numpy()})
    labels = labels.drop_duplicates("message_id", keep="last").reset_index(drop=True)
    pos = int(labels["is_objection"].sum())
    if pos == 0 or pos == len(labels):
        raise InputError(Errors.E515.format(path=p, blank=int((~filled).sum()), pos=pos,
                                            neg=len(labels) - pos))
    return labels, int((~filled).sum())


def fit_with_labels(detector: Any, journeys: pd.DataFrame, path: str | Path, *,
                    unlabelled_max: int | None = None, progress: bool = False) -> Any:
    """Fit ``detector`` on the built-in examples plus the labels in ``path``.

    The corpus's other customer messages (at most ``unlabelled_max``, a random sample seeded
    0) are given to the detector as unlabelled texts to self-train on.

    Args:
        detector: An unfitted (or fitted: it is refitted) ``ObjectionDetector``.
        journeys: The corpus messages in conversation order; labelled ids must be among them.
        path: The labels CSV.
        unlabelled_max: Most unlabelled messages used (0: none); None: the detector's
            ``settings.tagging.unlabelled_max`` (the default settings' without settings).
        progress: Show embedding progress.

    Returns:
        The fitted detector; ``detector.labels_report_`` says how many labels were used,
        how many blank rows were skipped and how well the built-in model agreed with them.
    """
    tax = detector.taxonomy
    names = (load_taxonomy(tax) if tax is None or isinstance(tax, (str, Path)) else tax
             ).objections.names
    msgs = customer_messages(journeys)
    labels, blank = read_labels(path, known_ids=journeys["message_id"].astype(str),
                                categories=names)
    if blank:
        logging.getLogger("mining").warning(Warnings.W500.format(path=path, count=blank))
    rows = msgs.set_index("message_id").reindex(labels["message_id"])
    texts = rows["text"].fillna("").astype(str).tolist()
    if unlabelled_max is None:
        from mining.config import Settings  # startup: pydantic only when needed

        unlabelled_max = (getattr(detector, "settings", None) or Settings()).tagging.unlabelled_max
    rest = msgs[~msgs["message_id"].isin(set(labels["message_id"]))]
    if len(rest) > unlabelled_max:
        keep = np.random.default_rng(0).choice(len(rest), unlabelled_max, replace=False)
        rest = rest.iloc[np.sort(keep)]
    detector.fit(texts, labels["is_objection"].astype(int).to_numpy(),
                 context=rows["context"].fillna("").astype(str).tolist(),
                 categories=labels["category"].tolist(),
                 unlabelled=rest[["text", "context"]] if len(rest) else None,
                 progress=progress)
    detector.labels_report_["blank_rows_skipped"] = blank
    detector.labels_report_["file"] = str(path)
    return detector


def labels_summary(detector: Any) -> str:
    """One line for the CLI: labels used, blank rows, agreement with the built-in model."""
    r = getattr(detector, "labels_report_", {}) or {}
    if not r:
        return "Objection detector: no labels used."
    auc = f", ROC AUC {r['builtin_auc']:.2f}" if "builtin_auc" in r else ""
    cv = (f"; the taught model's cross-validated ROC AUC on them is "
          f"{r['cross_validated_auc']:.2f}" if "cross_validated_auc" in r else "")
    self_trained = (f" It self-trained on {r['unlabelled']} unlabelled message(s), "
                    f"{r.get('pseudo_labels', 0)} of them sure enough to use."
                    if r.get("unlabelled") else "")
    return (f"Objection detector taught with {r.get('n_labels', 0)} label(s) "
            f"({r.get('n_objections', 0)} objections; {r.get('blank_rows_skipped', 0)} blank "
            f"row(s) skipped). The built-in model agreed with {r.get('builtin_agreement', 0):.0%}"
            f" of them{auc}{cv}.{self_trained}")
