"""Journey-stage tagging: a calibrated per-message stage classifier, then an HMM per journey.

**Per message** (text alone), a multinomial logistic regression gives the probability of each
stage. Its features are the MiniLM message vector, one flag per stage whose cue matched (negated
cues do not count) and whether the author is the customer. It is fitted on examples the
project writes: the ``examples`` of stages.yaml plus, for stages of the same name, the packaged
``taxonomies/examples/stage_examples.yaml`` (customer and agent messages across industries), and
its ``neutral`` messages ("ok", "thanks", "one moment") as a class of their own whose
probability is spread evenly over the stages (a filler message neither moves a conversation nor
holds it back). The probabilities are calibrated by a temperature fitted on out-of-fold
(5-fold) scores of the training examples. Users' own labelled messages can be added with
``fit(texts, stages)``.

**Per journey**, the log-probabilities are the emissions of a hidden Markov model decoded with
Viterbi (:mod:`mining.stage_sequence`), whose start and move weights (same session, new session,
agent/bot/system message) come from stages.yaml and are estimated from labelled journeys. Other
evidence adds to the emissions when present:

- role: customer messages count with ``customer_weight`` and agent, bot and system messages
  with ``agent_weight`` (a quote, a proposal, a closing question or onboarding steps are
  evidence too, but the customer leads); both scale the text evidence against the fitted
  transitions (docs/stages.md says how they were chosen);
- position: ``position_weight`` x closeness of the message's relative position in its journey to
  the stage's place in the order, centred over the stages, and faded in over the first four
  messages (a one-message journey gets none);
- first contact: in a journey of several customer sessions (a customer who comes back), the
  first session is first contact: ``first_session_weight`` on the first stage. A single-session
  chat gets none: there the whole journey happens in one session;
- events: stages before the furthest stage reached by events of the journey up to the message
  time (each stage lists its ``events``) get ``-event_weight``, and that stage gets
  ``event_weight`` at the first message after the event;
- conversion: messages after ``converted_at`` are in ``post_conversion_stage``
  (``hard_weight``); in a converted journey no earlier message is past the conversion stage, the
  last message before ``converted_at`` leans to it (``hard_weight / 2``; the rest of that
  session is left to the text and the sequence model); journeys known not to have converted
  get ``-event_weight`` on the conversion stage and later.

``stage_confidence`` is the forward-backward posterior of the decoded stage.
:func:`stage_warnings` says when the result is too flat or too unsure to trust.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as SkNotFitted
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from mining.cues import CueMatcher, cue_processes, spacy_name
from mining.embed import embed_texts
from mining.errors import ConfigError, Errors, InputError, NotFittedError, Warnings
from mining.persist import embedder_name, write_model_files
from mining.prototypes import Prototypes
from mining.stage_sequence import logsumexp, step_kinds, transition_matrix, viterbi
from mining.taxonomy import Taxonomy, TaxonomyFile, default_dir, load_taxonomy

__all__ = ["StageTagger", "stage_warnings", "training_examples", "transition_matrix", "viterbi"]

#: The packaged training examples, relative to the taxonomy folder.
EXAMPLES_FILE = Path("examples") / "stage_examples.yaml"
#: Folds of the cross-validation whose out-of-fold scores calibrate the temperature.
_FOLDS = 5
#: :func:`stage_warnings`: one stage holding at least this share of the messages is "flat".
FLAT_SHARE = 0.9
#: :func:`stage_warnings`: a stage whose mean confidence is below this is "unsure".
LOW_CONFIDENCE = 0.5
#: :func:`stage_warnings`: fewest messages (overall, and of a stage) before warning.
MIN_WARN_MESSAGES = 20


def training_examples(tf: TaxonomyFile, folder: str | Path | None = None
                      ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The stage classifier's training examples for a stages taxonomy.

    Args:
        tf: The stages taxonomy file.
        folder: Taxonomy folder holding :data:`EXAMPLES_FILE` (None: the packaged one).

    Returns:
        ``(texts, labels, is_customer)``: labels index ``tf.names``, and ``len(tf.names)``
        marks a neutral message; taxonomy examples count as customer messages.
    """
    path = Path(folder or default_dir()) / EXAMPLES_FILE
    extra = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    names = tf.names
    rows: dict[tuple[str, bool], int] = {}
    for i, name in enumerate(names):
        for ex in tf.categories[name].examples:
            rows.setdefault((ex, True), i)
        by_role = (extra.get("stages") or {}).get(name) or {}
        for role in ("customer", "agent"):
            for ex in by_role.get(role) or ():
                rows.setdefault((str(ex), role == "customer"), i)
    for ex in extra.get("neutral") or ():
        for cust in (True, False):
            rows.setdefault((str(ex), cust), len(names))
    texts = [t for t, _ in rows]
    return (texts, np.array(list(rows.values()), dtype=np.int64),
            np.array([c for _, c in rows], dtype=bool))


def _softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(z - logsumexp(z, axis=1)[:, None])


class StageTagger(BaseEstimator):
    """Tag every message of every journey with a stage (a scikit-learn estimator).

    Args:
        taxonomy: A :class:`~mining.taxonomy.Taxonomy`, a folder, or None for the packaged one.
        embedder: Embedder name or object for ``mining.embed.embed_texts``.
        settings: ``mining.config.Settings``.
        C: Inverse L2 strength of the logistic regression.
        cue_weight: Value of a stage-cue feature when the cue matches.
        customer_weight: Factor on the log-probabilities of customer messages (the text
            evidence's weight against the fitted transitions; see docs/stages.md).
        agent_weight: Factor on the text evidence of agent, bot and system messages.
        position_weight: Logit for a message whose relative position fits the stage.
        first_session_weight: Logit for the first stage in the first customer session of a
            journey with later sessions (never in a single-session chat).
        event_weight: Logit for the stage reached by events (and against earlier stages).
        hard_weight: Logit that puts post-conversion messages in the post-conversion stage.
        top_k: Nearest examples averaged for the evidence similarity.
    """

    def __init__(self, taxonomy: Taxonomy | str | Path | None = None, *, embedder: Any = None,
                 settings: Any = None, C: float = 4.0, cue_weight: float = 1.0,
                 customer_weight: float = 0.7, agent_weight: float = 0.2,
                 position_weight: float = 0.5,
                 first_session_weight: float = 1.5, event_weight: float = 2.0,
                 hard_weight: float = 8.0, top_k: int = 3) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.settings = settings
        self.C = C
        self.cue_weight = cue_weight
        self.customer_weight = customer_weight
        self.agent_weight = agent_weight
        self.position_weight = position_weight
        self.first_session_weight = first_session_weight
        self.event_weight = event_weight
        self.hard_weight = hard_weight
        self.top_k = top_k

    _HYPER = ("C", "cue_weight", "customer_weight", "agent_weight", "position_weight",
              "first_session_weight", "event_weight", "hard_weight", "top_k")

    # ---------------------------------------------------------------------------------- fit
    def fit(self, X: Any = None, y: Any = None, **fit_params: Any) -> StageTagger:
        """Fit the per-message classifier on the taxonomy's examples (and any given labels).

        Args:
            X: Optional extra labelled messages (texts, taken as customer messages).
            y: Their stage names (required with ``X``).
            **fit_params: ``progress`` (bool): show a progress bar while embedding.

        Returns:
            self

        Raises:
            ConfigError: [E530] when ``y`` names a stage the taxonomy does not have.
        """
        tax = self.taxonomy
        if not isinstance(tax, Taxonomy):
            tax = load_taxonomy(tax)
        self._setup(tax.stages)
        texts, labels, is_cust = training_examples(self.taxonomy_)
        if X is not None:
            extra_y = [str(s) for s in y]
            bad = sorted(set(extra_y) - set(self.stages_))
            if bad:
                raise ConfigError(Errors.E530.format(names=", ".join(bad),
                                                     choices=", ".join(self.stages_)))
            texts = texts + [str(t) for t in X]
            labels = np.r_[labels, [self.stages_.index(s) for s in extra_y]].astype(np.int64)
            is_cust = np.r_[is_cust, np.ones(len(extra_y), bool)]
        vecs = embed_texts(texts, model=self.embedder, settings=self.settings,
                           progress=bool(fit_params.get("progress", False)))
        stage_rows = np.flatnonzero(labels < len(self.stages_))
        self.prototypes_ = Prototypes(list(self.stages_), [texts[i] for i in stage_rows],
                                      labels[stage_rows], vecs[stage_rows])
        feats, _ = self._features(texts, vecs, is_cust)
        self._fit_classifier(feats, labels)
        return self

    def _fit_classifier(self, feats: np.ndarray, labels: np.ndarray) -> None:
        """Fit the logistic regression and its temperature (out-of-fold NLL)."""
        # heavy: these sklearn modules load only when _fit_classifier() runs
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        def make() -> LogisticRegression:
            return LogisticRegression(C=self.C, class_weight="balanced", max_iter=5000)

        smallest = int(np.bincount(labels)[np.unique(labels)].min())
        folds = StratifiedKFold(max(2, min(_FOLDS, smallest)), shuffle=True, random_state=0)
        # small problems: one BLAS thread is much faster than several fighting for the cores
        with threadpool_limits(1):
            oof = cross_val_predict(make(), feats, labels, cv=folds,
                                    method="decision_function")
            lr = make().fit(feats, labels)
        k1 = len(self.stages_) + 1
        self.coef_ = np.zeros((k1, feats.shape[1]))
        self.intercept_ = np.full(k1, -1e3)
        self.coef_[lr.classes_] = lr.coef_
        self.intercept_[lr.classes_] = lr.intercept_
        full = np.full((len(labels), k1), -1e3)
        full[:, lr.classes_] = oof

        def nll(log_t: float) -> float:
            p = _softmax(full / np.exp(log_t))
            return -float(np.mean(np.log(np.maximum(p[np.arange(len(labels)), labels], 1e-12))))

        res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
        self.temperature_ = float(np.exp(res.x))
        pred = np.argmax(full, axis=1)
        recall = {name: round(float(np.mean(pred[labels == i] == i)), 3)
                  for i, name in enumerate([*self.stages_, "neutral"]) if np.any(labels == i)}
        self.training_ = {"n_examples": {name: int(np.sum(labels == i)) for i, name in
                                         enumerate([*self.stages_, "neutral"])},
                          "recall_out_of_fold": recall, "temperature": self.temperature_}

    def _setup(self, tf: TaxonomyFile) -> None:
        self.taxonomy_ = tf
        self.stages_ = tf.names
        self.classes_ = np.array(tf.names, dtype=object)
        self.log_trans_, self.log_start_ = transition_matrix(tf)
        self.matcher_ = CueMatcher(tf, spacy_name(self.settings), cue_processes(self.settings))
        self.event_stage_ = {ev.lower(): i for i, name in enumerate(self.stages_)
                             for ev in tf.categories[name].events}

    def _check(self) -> None:
        try:
            check_is_fitted(self, ["coef_", "temperature_"])
        except SkNotFitted:
            raise NotFittedError(Errors.E500.format(name=type(self).__name__)) from None

    # ------------------------------------------------------------------------------ per text
    def _features(self, texts: list[str], vectors: np.ndarray, is_cust: np.ndarray
                  ) -> tuple[np.ndarray, Any]:
        cues = self.matcher_.match(texts)
        flags = (cues.counts > 0).astype(float) * self.cue_weight if len(texts) else \
            np.zeros((0, len(self.stages_)))
        feats = np.hstack([np.asarray(vectors, np.float64).reshape(len(texts), -1), flags,
                           np.asarray(is_cust, float)[:, None]])
        return feats, cues

    def _proba(self, feats: np.ndarray) -> np.ndarray:
        """``(n, k)`` stage probabilities: the neutral class spread evenly over the stages."""
        full = _softmax((feats @ self.coef_.T + self.intercept_) / self.temperature_)
        k = len(self.stages_)
        return full[:, :k] + full[:, k:] / k

    def predict_proba(self, X: Any, *, vectors: np.ndarray | None = None,
                      roles: Any = None) -> np.ndarray:
        """Stage probabilities of single messages from their text alone.

        Args:
            X: Message texts (a sequence of str).
            vectors: ``(n, dim)`` message vectors (None: embedded with ``embedder``).
            roles: Author role per message (None: all ``customer``).

        Returns:
            ``(n, n_stages)`` probabilities, columns in :attr:`classes_` order.

        Raises:
            NotFittedError: [E500] before :meth:`fit` or :meth:`load`.
        """
        self._check()
        texts = ["" if t is None else str(t) for t in X]
        if vectors is None:
            vectors = embed_texts(texts, model=self.embedder, settings=self.settings,
                                  progress=False)
        is_cust = np.ones(len(texts), bool) if roles is None else \
            np.array([str(r) == "customer" for r in roles], dtype=bool)
        feats, _ = self._features(texts, vectors, is_cust)
        return self._proba(feats)

    def predict(self, X: Any, *, vectors: np.ndarray | None = None, roles: Any = None
                ) -> np.ndarray:
        """The most likely stage of single messages from their text alone (see predict_proba)."""
        return self.classes_[np.argmax(self.predict_proba(X, vectors=vectors, roles=roles),
                                       axis=1)]

    # --------------------------------------------------------------------------- per journey
    def scores(self, journeys: pd.DataFrame, vectors: np.ndarray
               ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Per-message stage log-scores and their evidence (before sequence smoothing).

        Args:
            journeys: Messages in journey order with the context columns of
                :func:`mining.journeys.build_journeys`.
            vectors: ``(n, dim)`` message vectors, row-aligned with ``journeys``.

        Returns:
            ``(logits, evidence)``: ``(n, k)`` scores and one evidence dict per message.
        """
        self._check()
        n, k = len(journeys), len(self.stages_)
        texts = journeys["clean_text"].fillna("").astype(str).tolist() if n else []
        is_cust = (journeys["role"].astype("string").fillna("") == "customer").to_numpy(bool) \
            if n else np.zeros(0, bool)
        feats, cues = self._features(texts, np.asarray(vectors, np.float32), is_cust)
        proba = self._proba(feats) if n else np.zeros((0, k))
        logits = np.where(is_cust, self.customer_weight, self.agent_weight)[:, None] * np.log(
            np.maximum(proba, 1e-9))
        logits += self._position(journeys, k)
        logits[:, 0] += self._first_session(journeys)
        reached_by = self._add_events(journeys, logits)
        post = self._add_conversion(journeys, logits)
        sim, nearest = self.prototypes_.scores(np.asarray(vectors, np.float32), top_k=self.top_k)
        evidence = []
        for i in range(n):
            best = int(np.argmax(logits[i]))
            near = int(nearest[i, best])
            ev: dict[str, Any] = {
                "stage_probability": round(float(proba[i, best]), 4),
                "stage_cues": [m["cue"] for m in cues.matches[i]
                               if m["category"] == self.stages_[best] and not m["negated"]],
                "stage_nearest_example": self.prototypes_.texts[near] if near >= 0 else None,
                "stage_similarity": round(float(sim[i, best]), 4),
            }
            if reached_by[i]:
                ev["event"] = reached_by[i]
            if post[i]:
                ev["after_conversion"] = True
            evidence.append(ev)
        return logits, evidence

    def _position(self, journeys: pd.DataFrame, k: int) -> np.ndarray:
        """Position evidence: centred closeness of position and stage order, faded in by length."""
        n = len(journeys)
        if n == 0 or k < 2 or not self.position_weight:
            return np.zeros((n, k))
        order = np.arange(k) / (k - 1)
        pos = journeys["_pos"].to_numpy(float)
        length = journeys["_n"].to_numpy(float) if "_n" in journeys else np.full(n, 5.0)
        close = 1.0 - np.abs(pos[:, None] - order[None, :])
        close -= close.mean(axis=1, keepdims=True)
        fade = np.clip((length - 1.0) / 4.0, 0.0, 1.0)[:, None]
        return self.position_weight * fade * np.nan_to_num(close)

    def _first_session(self, journeys: pd.DataFrame) -> np.ndarray:
        """First-stage evidence: the first customer session of a journey that has later ones."""
        n = len(journeys)
        if n == 0 or not self.first_session_weight:
            return np.zeros(n)
        codes, session = self._sessions(journeys)
        n_sessions = np.zeros(codes.max() + 1, dtype=np.int64)
        np.maximum.at(n_sessions, codes, session + 1)
        multi = n_sessions[codes] > 1
        return self.first_session_weight * (multi & (session == 0)).astype(float)

    def _add_events(self, journeys: pd.DataFrame, logits: np.ndarray) -> list[str | None]:
        """Add event evidence to ``logits`` in place; return the event behind each row."""
        n, k = logits.shape
        reached = np.full(n, -1)
        fresh = np.zeros(n, dtype=bool)
        reached_by: list[str | None] = [None] * n
        if n and "_events" in journeys:
            jids = journeys["journey_id"].astype("string").fillna("").tolist()
            for i, evs in enumerate(journeys["_events"].tolist()):
                for ev in evs or ():
                    s = self.event_stage_.get(str(ev).lower(), -1)
                    if s > reached[i]:
                        reached[i], reached_by[i] = s, str(ev)
                same = i > 0 and jids[i] == jids[i - 1]
                fresh[i] = reached[i] >= 0 and (not same or reached[i] > reached[i - 1])
        has = reached >= 0
        # the journey has reached at least that stage: earlier stages lose; the stage itself
        # gains only at the first message after the event (a visit long ago says nothing now)
        idx = np.flatnonzero(fresh)
        logits[idx, reached[idx]] += self.event_weight
        logits -= self.event_weight * (has[:, None] & (np.arange(k)[None, :] < reached[:, None]))
        return reached_by

    def _add_conversion(self, journeys: pd.DataFrame, logits: np.ndarray) -> np.ndarray:
        """Add outcome evidence to ``logits`` in place; return which rows follow conversion."""
        n = len(journeys)
        tf = self.taxonomy_
        post = (journeys["_after_conversion"].fillna(False).to_numpy(bool)
                if n and "_after_conversion" in journeys else np.zeros(n, bool))
        conv_i = self.stages_.index(tf.conversion_stage) if tf.conversion_stage else None
        post_i = self.stages_.index(tf.post_conversion_stage) if tf.post_conversion_stage else None
        if post_i is not None:
            logits[post, :] -= self.hard_weight
            logits[post, post_i] += 2 * self.hard_weight
        if conv_i is None or not n or "_converted" not in journeys:
            return post
        never = (journeys["_converted"].astype("boolean") == False).fillna(False)  # noqa: E712
        logits[never.to_numpy(bool), conv_i:] -= self.event_weight
        if "_before_conversion" in journeys:
            before = journeys["_before_conversion"].fillna(False).to_numpy(bool)
            logits[before, conv_i + 1:] -= self.hard_weight
            # the conversion timestamp pins the purchase: the last message before it (the
            # rest of that session is left to the text and the sequence model)
            last = journeys["_last_before_conversion"].fillna(False).to_numpy(bool)
            logits[last, conv_i] += self.hard_weight / 2
        return post

    def transform(self, journeys: pd.DataFrame, vectors: np.ndarray) -> pd.DataFrame:
        """Decode the stage of every message, journey by journey.

        Args:
            journeys: Messages in journey order with the context columns of
                :func:`mining.journeys.build_journeys` (``journey_id``, ``role``,
                ``clean_text``, ``_pos``; optional ``_n``, ``_events``, ``_after_conversion``,
                ``_converted``).
            vectors: ``(n, dim)`` message vectors, row-aligned with ``journeys``.

        Returns:
            Row-aligned with ``journeys``: ``stage`` (str), ``stage_confidence`` (float, the
            posterior of the decoded stage), ``raw_stage`` (the best stage before smoothing) and
            ``evidence`` (dict).

        Raises:
            NotFittedError: [E500] before :meth:`fit` or :meth:`load`.
        """
        self._check()
        logits, evidence = self.scores(journeys, vectors)
        n = len(journeys)
        path = np.zeros(n, dtype=np.int64)
        conf = np.zeros(n)
        if n:
            log_emit = logits - logsumexp(logits, axis=1)[:, None]
            codes = pd.factorize(journeys["journey_id"].astype("string").fillna(""))[0]
            kinds = self._step_kinds(journeys, codes)
            for j in np.unique(codes):
                rows = np.flatnonzero(codes == j)
                p, post = viterbi(log_emit[rows], self.log_trans_, self.log_start_,
                                  kinds[rows])
                path[rows] = p
                conf[rows] = post[np.arange(len(rows)), p]
        stages = [self.stages_[i] for i in path]
        raw = [self.stages_[i] for i in np.argmax(logits, axis=1)] if n else []
        return pd.DataFrame({"stage": pd.array(stages, dtype="string"),
                             "stage_confidence": conf.astype(float),
                             "raw_stage": pd.array(raw, dtype="string"),
                             "evidence": evidence}, index=journeys.index)

    def _sessions(self, journeys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Journey code and customer-session number (0 = first contact) of each message."""
        codes = pd.factorize(journeys["journey_id"].astype("string").fillna(""))[0]
        kinds = self._step_kinds(journeys, codes)
        out = np.zeros(len(journeys), dtype=np.int64)
        count: dict[int, int] = {}
        for i, (c, kind) in enumerate(zip(codes.tolist(), kinds.tolist(), strict=True)):
            if kind == 1:
                count[c] = count.get(c, 0) + 1
            out[i] = count.get(c, 0)
        return codes, out

    def _step_kinds(self, journeys: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
        """Transition kind into each message: 0 same session, 1 new session, 2 other role."""
        return step_kinds(journeys, codes, self.taxonomy_.transitions)

    # ------------------------------------------------------------------------------ persist
    def save(self, path: str | Path) -> Path:
        """Write the tagger to a folder (``config.json``, weights, example vectors, meta)."""
        self._check()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "stage_coef.npy", self.coef_, allow_pickle=False)
        config = {"params": {**{k: getattr(self, k) for k in self._HYPER},
                             "embedder": embedder_name(self.embedder)},
                  "taxonomy": self.taxonomy_.model_dump(mode="json"),
                  "intercept": self.intercept_.tolist(), "temperature": self.temperature_,
                  "training": self.training_,
                  "prototypes": self.prototypes_.save(folder, "examples")}
        return write_model_files(folder, "StageTagger", config)

    @classmethod
    def load(cls, path: str | Path) -> StageTagger:
        """Read a tagger written by :meth:`save`.

        Raises:
            InputError: [E501] when the folder is not a saved stage tagger.
        """
        folder = Path(path)
        for name in ("config.json", "meta.json", "examples_vectors.npy", "stage_coef.npy"):
            if not (folder / name).is_file():
                raise InputError(Errors.E501.format(path=folder, name="stage tagger",
                                                    missing=name))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        params = {k: v for k, v in config["params"].items() if k in (*cls._HYPER, "embedder")}
        tagger = cls(**params)
        tagger._setup(TaxonomyFile.model_validate(config["taxonomy"]))
        tagger.coef_ = np.load(folder / "stage_coef.npy", allow_pickle=False)
        tagger.intercept_ = np.asarray(config["intercept"], dtype=float)
        tagger.temperature_ = float(config["temperature"])
        tagger.training_ = config.get("training", {})
        tagger.prototypes_ = Prototypes.load(folder, "examples", config["prototypes"])
        return tagger


def stage_warnings(tags: pd.DataFrame, stages: list[str] | None = None, *,
                   flat_share: float = FLAT_SHARE, low_confidence: float = LOW_CONFIDENCE,
                   min_messages: int = MIN_WARN_MESSAGES) -> list[str]:
    """Say when the stage tags are too flat or too unsure to read a journey map from.

    Args:
        tags: The tags table (``stage``; ``stage_confidence`` when present).
        stages: The taxonomy's stage names (only used to name the stages in the message).
        flat_share: Warn [W510] when one stage holds at least this share of the messages.
        low_confidence: Warn [W511] for each stage whose mean confidence is below this.
        min_messages: No warning for fewer tagged messages (or, for W511, messages of a stage).

    Returns:
        The warning lines (empty when the tags look usable).
    """
    if "stage" not in tags or len(tags) == 0:
        return []
    staged = tags[tags["stage"].notna()]
    if len(staged) < min_messages:
        return []
    help_ = Warnings.W512.split("] ", 1)[1]  # the advice, without its own code
    out: list[str] = []
    shares = staged["stage"].astype(str).value_counts(normalize=True)
    top, share = str(shares.index[0]), float(shares.iloc[0])
    if share >= flat_share:
        n_stages = len(stages) if stages else len(shares)
        out.append(Warnings.W510.format(share=share, stage=top, n=len(staged),
                                        n_stages=n_stages, help=help_))
    if "stage_confidence" in staged:
        conf = staged.groupby(staged["stage"].astype(str))["stage_confidence"].agg(
            ["mean", "size"])
        low = conf[(conf["size"] >= min_messages) & (conf["mean"] < low_confidence)]
        for stage, row in low.iterrows():
            out.append(Warnings.W511.format(stage=stage, confidence=float(row["mean"]),
                                            n=int(row["size"]), threshold=low_confidence,
                                            help=help_))
    return out
