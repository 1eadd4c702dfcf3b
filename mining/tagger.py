"""Tag a corpus: one row per message with stage, objection, intent, reply strategy and evidence.

:func:`tag_corpus` is the tagging stage of ``mining.run`` and of ``journeymine tag``::

    segment -> embed -> objections (per customer unit) -> objection / intent / reply themes
            -> journeys (events, outcomes) -> stages (HMM per journey) -> replies_to, strategies

The result's ``tags`` frame has exactly the columns of ``mining.schema.TAGS`` (documented in
``docs/tags-schema.md``); ``evidence`` is a JSON object per message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

#: Cosine similarity between an objection theme's centroid and a category's examples above
#: which the theme is mapped to that taxonomy category; below it the theme is "discovered".
THEME_MATCH_SIMILARITY = 0.45
#: Similarity at which an intent or reply strategy qualifies without a cue (real model scale).
MIN_CATEGORY_SIMILARITY = 0.45
#: Fewest texts for which themes are fitted.
MIN_THEME_TEXTS = 10


@dataclass
class TagResult:
    """What :func:`tag_corpus` returns.

    Attributes:
        tags: One row per message, columns of ``mining.schema.TAGS``.
        themes: Objection, intent and reply themes (columns of ``mining.schema.THEMES``).
        units: The sentence units (``mining.schema.UNITS``) with ``objection_probability``,
            ``objection_category`` and ``theme`` columns added for customer units.
        models: Fitted models by name (``objections``, ``stages``, ``themes_<kind>``).
        timings: Seconds per step.
    """

    tags: pd.DataFrame
    themes: pd.DataFrame
    units: pd.DataFrame
    models: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def save_models(self, model_dir: str | Path) -> None:
        """Save every fitted model in its own sub-folder of ``model_dir``."""
        folder = Path(model_dir)
        for name, model in self.models.items():
            if hasattr(model, "save"):
                model.save(folder / name)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._t, 3)
        self._t = now


def _message_vectors(units: pd.DataFrame, unit_vecs: np.ndarray, message_ids: list[str],
                     dim: int) -> np.ndarray:
    """Mean of a message's unit vectors, L2-normalised (zero for messages without units)."""
    index = {m: i for i, m in enumerate(message_ids)}
    rows = np.array([index.get(m, -1) for m in units["message_id"].astype(str)], dtype=np.int64)
    out = np.zeros((len(message_ids), dim), dtype=np.float32)
    ok = rows >= 0
    np.add.at(out, rows[ok], unit_vecs[ok])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def _status(progress: bool, what: str) -> Any:
    """A transient rich spinner on stderr while ``what`` runs.

    Like ``mining.embed``'s bar and the pipeline's stage lines: off when ``progress`` is False or
    stderr is not a terminal. ``what`` names the work and counts, never message text.
    """
    import contextlib

    if progress:
        from rich.console import Console

        console = Console(stderr=True)
        if console.is_terminal:
            return console.status(what)
    return contextlib.nullcontext()


def _load_or_fit(cls: Any, name: str, model_dir: Path | None, progress: bool,
                 **params: Any) -> Any:
    if model_dir is not None and (model_dir / name / "config.json").is_file():
        return cls.load(model_dir / name)
    return cls(**params).fit(progress=progress)


def _themes(kind: str, texts: list[str], settings: Any, embedder: Any,
            model_dir: Path | None, progress: bool,
            authors: list[str] | tuple[str, ...] = ()) -> tuple[Any, np.ndarray] | None:
    """Fit (or load) a ThemeModel on ``texts``; return it and each text's theme id (-1: none)."""
    if len(texts) < MIN_THEME_TEXTS:
        return None
    from mining.embed import embed_texts
    from mining.themes import ThemeModel

    saved = model_dir / f"themes_{kind}" if model_dir is not None else None
    if saved is not None and (saved / "config.json").is_file():
        model = ThemeModel.load(saved)
        vecs = embed_texts(model.focus(texts), model=embedder, settings=settings,
                           progress=progress)
        with _status(progress, f"Assigning {kind} themes ({len(texts):,} units)…"):
            ids, _ = model.transform(texts, vecs)
        return model, np.asarray(ids, dtype=np.int64)
    ts = settings.themes
    model = ThemeModel(kind=kind, reducer=ts.reducer, clusterer=ts.clusterer,
                       min_theme_size=ts.min_theme_size, n_themes=ts.n_themes, seed=ts.seed,
                       n_keywords=ts.n_keywords, n_examples=ts.n_examples,
                       embedder=embedder if isinstance(embedder, str) else None)
    vecs = embed_texts(model.focus(texts), model=embedder, settings=settings, progress=progress)
    # the embedding bar above has stopped: only one live display on stderr at a time
    with _status(progress, f"Finding {kind} themes ({len(texts):,} units)…"):
        model.fit(texts, vecs, authors=authors)  # author names stay out of keywords and labels
    return model, np.asarray(model.labels_, dtype=np.int64)


def _map_objection_themes(themes: pd.DataFrame, ids: np.ndarray, vectors: np.ndarray,
                          detector: Any) -> pd.DataFrame:
    """Map each objection theme to the nearest taxonomy category, or keep it as discovered."""
    themes = themes.copy()
    cats: list[Any] = []
    for tid in themes["theme_id"].astype("Int64").tolist():
        rows = np.flatnonzero(ids == tid)
        if tid is None or tid is np.nan or len(rows) == 0:
            cats.append(pd_na())
            continue
        centroid = vectors[rows].mean(axis=0, keepdims=True)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        sim, _ = detector.prototypes_.scores(centroid, top_k=detector.top_k)
        best = int(np.argmax(sim[0]))
        cats.append(detector.categories_[best] if sim[0, best] >= THEME_MATCH_SIMILARITY
                    else pd_na())
    themes["taxonomy_category"] = cats
    themes["taxonomy_category"] = themes["taxonomy_category"].astype("string")
    return themes


def pd_na() -> Any:
    """Return ``pd.NA`` (imported lazily)."""
    import pandas as pd

    return pd.NA


def tag_corpus(corpus: Any, *, settings: Any = None, taxonomy_dir: str | Path | None = None,
               embedder: Any = None, model_dir: str | Path | None = None,
               progress: bool = True, themes: bool = True) -> TagResult:
    """Tag every message of a corpus.

    Args:
        corpus: A ``Corpus`` (``.messages``, ``.events``, ``.outcomes``) from
            ``mining.load_corpus``.
        settings: ``mining.config.Settings``; None uses the defaults.
        taxonomy_dir: Taxonomy folder; None uses ``settings.tagging.taxonomy_dir`` or the
            packaged taxonomies.
        embedder: Embedder name or object; None uses ``settings.embed.model``.
        model_dir: Folder of models saved by :meth:`TagResult.save_models`; models found there
            are loaded instead of fitted (so theme ids stay stable across runs).
        progress: Show progress bars on stderr.
        themes: Fit (or load) objection, intent and reply themes; False skips them (theme
            columns stay empty, intent_theme falls back to the intents.yaml category).

    Returns:
        A :class:`TagResult`.

    Raises:
        ConfigError: When the settings or taxonomy are invalid or the embedder is unknown.
    """
    import pandas as pd

    from mining.config import Settings
    from mining.embed import embed_texts
    from mining.journeys import build_journeys, classify_replies, link_replies
    from mining.objections import ObjectionDetector
    from mining.prototypes import Prototypes
    from mining.schema import TAGS_SCHEMA_VERSION, conform, empty
    from mining.stages import StageTagger
    from mining.taxonomy import load_taxonomy
    from mining.text.segment import segment

    settings = settings or Settings()
    clock = _Clock()
    tax = load_taxonomy(taxonomy_dir or settings.tagging.taxonomy_dir)
    model = embedder if embedder is not None else settings.embed.model
    mdir = Path(model_dir) if model_dir is not None else None
    messages = corpus.messages
    events = getattr(corpus, "events", None)
    outcomes = getattr(corpus, "outcomes", None)
    if len(messages) == 0:
        return TagResult(empty("tags"), empty("themes"), empty("units"))

    journeys = build_journeys(messages, events, outcomes)
    clock.lap("journeys")
    units = segment(journeys, nlp_name=settings.embed.spacy_model)
    unit_vecs = embed_texts(units["text"].tolist(), model=model, settings=settings,
                            progress=progress)
    ids = journeys["message_id"].astype(str).tolist()
    dim = unit_vecs.shape[1] if len(unit_vecs) else 1
    msg_vecs = _message_vectors(units, unit_vecs, ids, dim)
    clock.lap("segment_embed")

    if settings.tagging.labels is not None:  # the user's labels: refit, saved in model/
        from mining.labels import fit_with_labels

        det = fit_with_labels(ObjectionDetector(taxonomy=tax, embedder=model, settings=settings,
                                                threshold=settings.tagging.objection_threshold),
                              journeys, settings.tagging.labels, progress=progress)
    else:
        det = _load_or_fit(ObjectionDetector, "objections", mdir, progress, taxonomy=tax,
                           embedder=model, settings=settings,
                           threshold=settings.tagging.objection_threshold)
    from mining.objections import reply_context

    roles = journeys.set_index("message_id")["role"].astype("string")
    unit_role = roles.reindex(units["message_id"]).fillna("").to_numpy()
    cust = np.flatnonzero(unit_role == "customer")
    ctx = reply_context(journeys).set_axis(journeys["message_id"].astype(str).to_numpy())
    scored = det.transform(units["text"].iloc[cust].tolist(), unit_vecs[cust],
                           context=ctx.reindex(units["message_id"].iloc[cust].astype(str))
                           .fillna("").tolist())
    units = units.copy()
    units["objection_probability"] = np.nan
    units["objection_category"] = pd.Series(pd.NA, index=units.index, dtype="string")
    units.loc[units.index[cust], "objection_probability"] = scored["probability"].to_numpy()
    units.loc[units.index[cust], "objection_category"] = scored["category"].to_numpy()
    unit_obj = np.zeros(len(units), dtype=bool)
    unit_obj[cust] = scored["is_objection"].to_numpy(bool)
    unit_evidence: dict[int, dict[str, Any]] = dict(
        zip(cust.tolist(), scored["evidence"].tolist(), strict=True))
    clock.lap("objections")

    # themes: objections, intents (other customer units), replies (agent units)
    theme_frames, models = [], {"objections": det}
    units["theme"] = pd.Series(pd.NA, index=units.index, dtype="string")
    unit_msg = units["message_id"].astype(str).to_numpy()
    people = journeys["role"].astype("string").isin(["customer", "agent"]).fillna(False)
    authors = journeys.loc[people.to_numpy(bool), "author"].dropna().astype(str).unique().tolist() \
        if "author" in journeys.columns else []
    for kind, mask in (("objection", unit_obj),
                       ("intent", (unit_role == "customer") & ~unit_obj),
                       ("reply", unit_role == "agent")):
        rows = np.flatnonzero(mask)
        fitted = _themes(kind, units["text"].iloc[rows].tolist(), settings, model, mdir,
                         progress, authors) if themes else None
        if fitted is None:
            continue
        tm, tids = fitted
        th = conform(tm.themes_, "themes")
        if kind == "objection":
            th = _map_objection_themes(th, tids, unit_vecs[rows], det)
        label = dict(zip(th["theme_id"].astype("Int64").tolist(), th["label"].tolist(),
                         strict=True))
        units.loc[units.index[rows], "theme"] = [label.get(int(t), pd.NA) if t >= 0 else pd.NA
                                                 for t in tids]
        theme_frames.append(th)
        models[f"themes_{kind}"] = tm
    clock.lap("themes")

    # per-message objection summary
    n = len(journeys)
    pos = {m: i for i, m in enumerate(ids)}
    prob = np.full(n, np.nan)
    best_unit = np.full(n, -1)
    for u in cust:
        i = pos.get(unit_msg[u], -1)
        p = units["objection_probability"].iat[u]
        if i >= 0 and (np.isnan(prob[i]) or p > prob[i]):
            prob[i], best_unit[i] = p, u
    is_cust = (journeys["role"].astype("string") == "customer").fillna(False).to_numpy(bool)
    thr = det.threshold
    is_obj = pd.array([bool(p >= thr) if c and not np.isnan(p) else (False if c else pd.NA)
                       for p, c in zip(prob, is_cust, strict=True)], dtype="boolean")
    journeys["is_objection"] = is_obj

    stager = _load_or_fit(StageTagger, "stages", mdir, progress, taxonomy=tax, embedder=model,
                          settings=settings)
    staged = stager.transform(journeys, msg_vecs)
    models["stages"] = stager
    clock.lap("stages")

    replies_to = link_replies(journeys)
    agent = np.flatnonzero((journeys["role"].astype("string") == "agent").fillna(False))
    texts = journeys["clean_text"].fillna("").astype(str)
    rep_protos = Prototypes.from_taxonomy(tax.replies, embedder=model, settings=settings)
    from mining.cues import CueMatcher

    answers = replies_to.iloc[agent].notna().to_numpy(bool)
    strategies, rep_ev = classify_replies(texts.iloc[agent].tolist(), msg_vecs[agent],
                                          rep_protos, CueMatcher(tax.replies),
                                          min_similarity=MIN_CATEGORY_SIMILARITY,
                                          always=answers)
    customer = np.flatnonzero(is_cust)
    int_protos = Prototypes.from_taxonomy(tax.intents, embedder=model, settings=settings)
    intents, int_ev = classify_replies(texts.iloc[customer].tolist(), msg_vecs[customer],
                                       int_protos, CueMatcher(tax.intents),
                                       min_similarity=MIN_CATEGORY_SIMILARITY)
    clock.lap("replies_intents")

    # assemble
    unit_theme = units["theme"].tolist()
    msg_theme: dict[str, list[str]] = {}
    for u, t in enumerate(unit_theme):
        if isinstance(t, str):
            msg_theme.setdefault(unit_msg[u], []).append(t)
    obj_theme, obj_cat, int_theme, rep_theme = ([pd.NA] * n for _ in range(4))
    strategy: list[Any] = [pd.NA] * n
    evidence: list[dict[str, Any]] = [dict(e) for e in staged["evidence"]]
    for i in range(n):
        if is_cust[i] and best_unit[i] >= 0:
            ev = unit_evidence.get(int(best_unit[i]), {})
            evidence[i]["objection"] = ev
            if is_obj[i]:
                obj_cat[i] = units["objection_category"].iat[best_unit[i]]
                t = unit_theme[best_unit[i]]
                obj_theme[i] = t if isinstance(t, str) else pd.NA
    for k, i in enumerate(customer):
        if not is_obj[i]:
            themes_i = msg_theme.get(ids[i])
            int_theme[i] = themes_i[0] if themes_i else intents[k]
        if isinstance(intents[k], str):
            evidence[i]["intent"] = intents[k]
            evidence[i].update({f"intent_{key[6:]}": v for key, v in int_ev[k].items()
                                if key.startswith("reply_") and key != "reply_strategies"})
    for k, i in enumerate(agent):
        strategy[i] = strategies[k]
        evidence[i].update(rep_ev[k])
        themes_i = msg_theme.get(ids[i])
        if themes_i:
            rep_theme[i] = themes_i[0]
    tags = pd.DataFrame({
        "message_id": journeys["message_id"], "conversation_id": journeys["conversation_id"],
        "journey_id": journeys["journey_id"], "timestamp": journeys["timestamp"],
        "role": journeys["role"], "channel": journeys["channel"],
        "stage": staged["stage"].to_numpy(), "stage_confidence": staged["stage_confidence"],
        "is_objection": is_obj, "objection_probability": prob,
        "objection_theme": obj_theme, "objection_category": obj_cat,
        "intent_theme": int_theme, "reply_theme": rep_theme, "reply_strategy": strategy,
        "replies_to": replies_to.to_numpy(),
        "evidence": [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in evidence],
        "schema_version": TAGS_SCHEMA_VERSION,
    })
    tags["_row"] = journeys["_row"].to_numpy()
    tags = tags.sort_values("_row", kind="stable").drop(columns="_row")
    tags = conform(tags, "tags")
    theme_table = (pd.concat(theme_frames, ignore_index=True) if theme_frames
                   else empty("themes"))
    clock.lap("assemble")
    return TagResult(tags=tags, themes=conform(theme_table, "themes"), units=units, models=models,
                     timings=clock.timings)
