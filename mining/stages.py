"""Journey-stage tagging: per-message stage scores, then an HMM decoded with Viterbi per journey.

Per message and stage, a score (a logit) adds up:

- similarity: ``sim_scale`` x mean cosine of the message to the stage's ``top_k`` nearest
  examples in stages.yaml;
- cues: ``cue_weight`` when a stage cue matches (negated cues do not count);
  agent, bot and system messages count with ``agent_weight`` (they echo the customer's stage);
- events: the furthest stage reached by events of the journey up to the message time (each
  stage lists its ``events`` in stages.yaml) gets ``event_weight`` and earlier stages
  ``-event_weight`` (a purchase event moves the journey on; a setback stays possible);
- conversion: messages after ``converted_at`` are in ``post_conversion_stage`` (``hard_weight``);
  in a converted journey, no earlier message is past the conversion stage and the last message
  before ``converted_at`` leans to it (``hard_weight / 2``), as do the other messages of that
  customer session (``event_weight``: it is the buying session); journeys known not to have
  converted get ``-event_weight`` on the conversion stage and later;
- position: ``position_weight`` x closeness of the message's relative position in its journey
  to the stage's place in the order;
- first contact: the first stage is first contact, so messages of the journey's first
  customer session (before the customer comes back after ``session_gap_hours``) get
  ``first_contact_weight`` on it, and messages of later sessions ``-first_contact_weight``
  (a returning customer is past first contact; a setback stays possible).

Scores become per-message log-probabilities (log-softmax), and a hidden Markov model whose
transition preferences come from stages.yaml (stay, forward, skip, back) is decoded per journey
with Viterbi, so stages move forward with realistic setbacks instead of flickering. The
transitions depend on the message: a customer message in the same session, a customer message
opening a new session (the customer comes back after ``session_gap_hours`` (per channel:
``session_gap_by_channel``, e-mail 48 h) of their own
silence, even if an agent chased them meanwhile, or writes in another conversation than their
previous message: the customer has usually moved on), or an agent, bot or system message
(which follows the customer's stage).
``stage_confidence`` is the forward-backward posterior of the decoded stage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mining.errors import Errors, NotFittedError

if TYPE_CHECKING:
    import pandas as pd

    from mining.taxonomy import Taxonomy, TaxonomyFile


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
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
        (row = from) for a customer message in the same session (index 0), a customer message
        opening a new session (1) and any other role (2); and ``(k,)`` log start probabilities.
    """
    from mining.taxonomy import Transitions

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
        fwd[t] = _logsumexp(fwd[t - 1][:, None] + mats[kinds[t]], axis=0) + log_emit[t]
    for t in range(n - 2, -1, -1):
        bwd[t] = _logsumexp(mats[kinds[t + 1]] + (log_emit[t + 1] + bwd[t + 1])[None, :], axis=1)
    post = fwd + bwd
    post = np.exp(post - _logsumexp(post, axis=1)[:, None])
    return path, post


class StageTagger:
    """Tag every message of every journey with a stage (scikit-learn contract).

    Args:
        taxonomy: A :class:`~mining.taxonomy.Taxonomy`, a folder, or None for the packaged one.
        embedder: Embedder name or object for ``mining.embed.embed_texts``.
        settings: ``mining.config.Settings``.
        top_k: Nearest examples averaged per stage.
        sim_scale: Logits per unit of cosine similarity.
        cue_weight: Logit added by a matching stage cue.
        agent_weight: Factor on similarity and cues of non-customer messages.
        event_weight: Logit for the stage reached by events (and against earlier stages).
        hard_weight: Logit that puts post-conversion messages in the post-conversion stage.
        position_weight: Logit for a message whose relative position fits the stage.
        first_contact_weight: Logit for the first stage in the first customer session, and
            against it in later sessions.
    """

    def __init__(self, taxonomy: Taxonomy | str | Path | None = None, *, embedder: Any = None,
                 settings: Any = None, top_k: int = 3, sim_scale: float = 10.0,
                 cue_weight: float = 1.5, agent_weight: float = 0.5, event_weight: float = 2.0,
                 hard_weight: float = 8.0, position_weight: float = 1.0,
                 first_contact_weight: float = 1.5) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.settings = settings
        self.top_k = top_k
        self.sim_scale = sim_scale
        self.cue_weight = cue_weight
        self.agent_weight = agent_weight
        self.event_weight = event_weight
        self.hard_weight = hard_weight
        self.position_weight = position_weight
        self.first_contact_weight = first_contact_weight

    def _params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("top_k", "sim_scale", "cue_weight", "agent_weight",
                                              "event_weight", "hard_weight", "position_weight",
                                              "first_contact_weight")}

    def fit(self, X: Any = None, y: Any = None, *, progress: bool = False) -> StageTagger:
        """Embed the stage examples and build the transition model from stages.yaml.

        Args:
            X: Ignored (stages are learned from the taxonomy, not from the data).
            y: Ignored.
            progress: Show a progress bar while embedding.

        Returns:
            self
        """
        from mining.prototypes import Prototypes
        from mining.taxonomy import load_taxonomy

        tax = self.taxonomy
        if tax is None or isinstance(tax, (str, Path)):
            tax = load_taxonomy(tax)
        self._setup(tax.stages)
        self.prototypes_ = Prototypes.from_taxonomy(self.taxonomy_, embedder=self.embedder,
                                                    settings=self.settings, progress=progress)
        return self

    def _setup(self, tf: TaxonomyFile) -> None:
        from mining.cues import CueMatcher

        self.taxonomy_ = tf
        self.stages_ = tf.names
        self.log_trans_, self.log_start_ = transition_matrix(tf)
        self.matcher_ = CueMatcher(tf)
        self.event_stage_ = {ev.lower(): i for i, name in enumerate(self.stages_)
                             for ev in tf.categories[name].events}

    def _check(self) -> None:
        if not hasattr(self, "prototypes_"):
            raise NotFittedError(Errors.E500.format(name=type(self).__name__))

    def scores(self, journeys: pd.DataFrame, vectors: np.ndarray
               ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """Per-message stage logits and their evidence (before sequence smoothing).

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
        sim, nearest = self.prototypes_.scores(np.asarray(vectors, np.float32), top_k=self.top_k)
        cues = self.matcher_.match(texts)
        is_cust = (journeys["role"].astype("string").fillna("") == "customer").to_numpy(bool) \
            if n else np.zeros(0, bool)
        w_role = np.where(is_cust, 1.0, self.agent_weight)[:, None]
        logits = w_role * (self.sim_scale * sim + self.cue_weight * (cues.counts > 0))
        # position in the journey
        order = np.arange(k) / max(k - 1, 1)
        pos = journeys["_pos"].to_numpy(float) if n else np.zeros(0)
        logits += self.position_weight * (1.0 - np.abs(pos[:, None] - order[None, :]))
        # first contact: the first customer session vs. later ones
        codes, session = self._sessions(journeys) if n else (np.zeros(0, np.int64),) * 2
        if n and k > 1 and self.first_contact_weight:
            logits[:, 0] += self.first_contact_weight * np.where(session > 0, -1.0, 1.0)
        # events reached so far
        reached = np.full(n, -1)
        reached_by: list[str | None] = [None] * n
        if n and "_events" in journeys:
            for i, evs in enumerate(journeys["_events"].tolist()):
                for ev in evs or ():
                    s = self.event_stage_.get(str(ev).lower(), -1)
                    if s > reached[i]:
                        reached[i], reached_by[i] = s, str(ev)
        has = reached >= 0
        idx = np.flatnonzero(has)
        logits[idx, reached[idx]] += self.event_weight
        earlier = has[:, None] & (np.arange(k)[None, :] < reached[:, None])
        logits -= self.event_weight * earlier
        # conversion
        tf = self.taxonomy_
        post = (journeys["_after_conversion"].fillna(False).to_numpy(bool) if n
                else np.zeros(0, bool))
        conv_i = self.stages_.index(tf.conversion_stage) if tf.conversion_stage else None
        post_i = self.stages_.index(tf.post_conversion_stage) if tf.post_conversion_stage else None
        if post_i is not None:
            logits[post, :] -= self.hard_weight
            logits[post, post_i] += 2 * self.hard_weight
        if conv_i is not None and n:
            never = (journeys["_converted"].astype("boolean") == False).fillna(False)  # noqa: E712
            logits[never.to_numpy(bool), conv_i:] -= self.event_weight
            # a converted journey reaches the conversion stage by its last message before
            # converted_at, and none of its earlier messages is past that stage
            if "_before_conversion" in journeys:
                before = journeys["_before_conversion"].fillna(False).to_numpy(bool)
                logits[before, conv_i + 1:] -= self.hard_weight
                last = journeys["_last_before_conversion"].fillna(False).to_numpy(bool)
                logits[last, conv_i] += self.hard_weight / 2
                # the customer session that ends with the conversion is the buying session
                conv_session = dict(zip(codes[last].tolist(), session[last].tolist(),
                                        strict=True))
                in_conv = before & np.array([conv_session.get(c, -1) == s for c, s in
                                             zip(codes.tolist(), session.tolist(), strict=True)],
                                            dtype=bool)
                logits[in_conv, conv_i] += self.event_weight
        evidence = []
        for i in range(n):
            best = int(np.argmax(logits[i]))
            near = int(nearest[i, best])
            ev: dict[str, Any] = {
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

    def transform(self, journeys: pd.DataFrame, vectors: np.ndarray) -> pd.DataFrame:
        """Decode the stage of every message, journey by journey.

        Args:
            journeys: Messages in journey order with the context columns of
                :func:`mining.journeys.build_journeys` (``journey_id``, ``role``,
                ``clean_text``, ``_pos``, ``_events``, ``_after_conversion``, ``_converted``).
            vectors: ``(n, dim)`` message vectors, row-aligned with ``journeys``.

        Returns:
            Row-aligned with ``journeys``: ``stage`` (str), ``stage_confidence`` (float, the
            posterior of the decoded stage), ``raw_stage`` (the best stage before smoothing) and
            ``evidence`` (dict).

        Raises:
            NotFittedError: [E500] before :meth:`fit` or :meth:`load`.
        """
        import pandas as pd

        self._check()
        logits, evidence = self.scores(journeys, vectors)
        n = len(journeys)
        path = np.zeros(n, dtype=np.int64)
        conf = np.zeros(n)
        if n:
            log_emit = logits - _logsumexp(logits, axis=1)[:, None]
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
        import pandas as pd

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
        import pandas as pd

        from mining.taxonomy import Transitions

        t = self.taxonomy_.transitions or Transitions()
        is_cust = (journeys["role"].astype("string") == "customer").fillna(False).to_numpy(bool)
        ts = pd.to_datetime(journeys["_ts"] if "_ts" in journeys else journeys["timestamp"],
                            utc=True, errors="coerce")
        gap_h = ts.diff().dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 3600.0
        same_journey = np.r_[False, codes[1:] == codes[:-1]]
        n = len(journeys)
        # the session gap of the message's channel (e-mail replies are slower than chat)
        by_channel = {str(c).lower(): float(h) for c, h in t.session_gap_by_channel.items()}
        channel = (journeys["channel"].astype("string").str.lower().fillna("").tolist()
                   if "channel" in journeys else [""] * n)
        limit = np.array([by_channel.get(c, t.session_gap_hours) for c in channel], dtype=float)
        late = np.nan_to_num(gap_h, nan=0.0) >= limit
        # the customer's previous message in the journey (bot greetings and agent chasers in
        # between do not make a returning customer's message part of the old session)
        own = pd.Series(np.arange(n, dtype=float)).where(is_cust)
        prev_cust = own.groupby(pd.Series(codes)).transform(
            lambda x: x.ffill().shift(1)).to_numpy()
        has_prev = ~np.isnan(prev_cust)
        prev_i = np.where(has_prev, prev_cust, 0).astype(np.int64)
        if "conversation_id" in journeys and n:
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

    def save(self, path: str | Path) -> Path:
        """Write the tagger to a folder (``config.json``, example vectors, ``meta.json``)."""
        from mining.persist import embedder_name, write_model_files

        self._check()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        emb = embedder_name(self.embedder)
        config = {"params": {**self._params(), "embedder": emb},
                  "taxonomy": self.taxonomy_.model_dump(mode="json"),
                  "prototypes": self.prototypes_.save(folder, "examples")}
        return write_model_files(folder, "StageTagger", config)

    @classmethod
    def load(cls, path: str | Path) -> StageTagger:
        """Read a tagger written by :meth:`save`.

        Raises:
            InputError: [E501] when the folder is not a saved stage tagger.
        """
        from mining.errors import InputError
        from mining.prototypes import Prototypes
        from mining.taxonomy import TaxonomyFile

        folder = Path(path)
        for name in ("config.json", "meta.json", "examples_vectors.npy"):
            if not (folder / name).is_file():
                raise InputError(Errors.E501.format(path=folder, name="stage tagger",
                                                    missing=name))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        params = dict(config["params"])
        tagger = cls(embedder=params.pop("embedder", None), **params)
        tagger._setup(TaxonomyFile.model_validate(config["taxonomy"]))
        tagger.prototypes_ = Prototypes.load(folder, "examples", config["prototypes"])
        return tagger
