"""``ThemeModel``: reduce -> cluster -> represent, with the scikit-learn contract.

Usage::

    import mining
    model = mining.ThemeModel(kind="intent").fit(texts)       # embeds with the default model
    model = mining.ThemeModel().fit(texts, vectors=vectors)   # or with your own vectors
    model.themes_                                             # mining.schema.THEMES table
    model.predict(new_texts)                                  # theme id per text (-1: none)
    model.predict_proba(new_texts)                            # (n, n_themes) membership
    model.transform(new_texts)                                # (n, n_themes) cosine similarity
    ids, probs = model.assign(new_texts)                      # predict + chosen probability
    model.save("out/model"); model = mining.ThemeModel.load("out/model")

It is a scikit-learn estimator (``BaseEstimator``): ``get_params``/``set_params``/``clone`` work,
defaults come from ``mining.config.ThemeSettings``, and ``reducer``/``clusterer`` take a
registered name or an object (see :mod:`mining.registry`).

The algorithm, its defaults and their measurements are in ``docs/themes.md``.
"""

from __future__ import annotations

import inspect
import json
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.base import clone as _clone

import mining.themes.cluster as _cl
from mining.config import ThemeSettings
from mining.embed import embed_texts
from mining.errors import ConfigError, Errors, InputError, NotFittedError
from mining.persist import write_model_files
from mining.reduce import make_reducer
from mining.registry import is_object, name_of
from mining.schema import THEMES, conform
from mining.text.segment import lemmatize
from mining.themes.focus import focus_texts
from mining.themes.hierarchy import describe_levels
from mining.themes.names import author_words, find_names
from mining.themes.sample import fit_sample, sample_min_size

KINDS = ("intent", "objection", "reply")
FORMAT = 1
#: The defaults of every parameter (one source: ``mining.config.ThemeSettings``).
_DEFAULTS = ThemeSettings()
#: Smallest cosine similarity between an item's embedding and the nearest theme centroid (the
#: normalised mean of the members' embeddings) for the item to join that theme; below it the
#: item stays unassigned (-1). With MiniLM unrelated sentences score ~0.1-0.2, theme members
#: mostly 0.67-0.97.
DEFAULT_THRESHOLD = _DEFAULTS.threshold
#: Themes whose centroids are at least this similar are merged after clustering (None: never).
DEFAULT_MERGE_SIMILARITY: float | None = _DEFAULTS.merge_similarity
_MIN_ITEMS = 3


class ThemeModel(BaseEstimator):
    """Find themes in texts and assign new texts to them.

    Args:
        kind: ``"intent"``, ``"objection"`` or ``"reply"`` (stored in the themes table; see
            ``mining.themes.focus`` for the per-kind unit choice).
        reducer: A reducer name registered in :mod:`mining.registry` (``"umap"``, ``"pca"``) or
            an object with ``fit_transform`` (used as given; cloned first when it is a
            scikit-learn estimator).
        clusterer: A clusterer name registered in :mod:`mining.registry` (``"hdbscan"``, ...) or
            an object with ``fit_predict`` (or ``fit`` setting ``labels_``).
        min_theme_size: Smallest theme; None chooses it from the data size
            (:func:`mining.themes.cluster.auto_min_size`).
        n_themes: Target number of themes; None lets the data decide. More themes are merged
            (closest centroids first); fewer trigger re-clustering with smaller sizes.
        seed: Random seed; a fit is deterministic for a given seed.
        n_keywords: Keywords per theme.
        n_examples: Typical examples per theme.
        threshold: Outlier threshold (see :data:`DEFAULT_THRESHOLD`).
        merge_similarity: Merge themes with centroid similarity at or above this.
        n_components: Dimensions of the reduced space.
        n_neighbors: Neighbourhood size of the reducer (UMAP).
        center: Subtract the corpus mean vector before clustering and assignment (removes the
            direction every text of the corpus shares). Off by default: measured neutral to
            harmful (``docs/themes.md``).
        embedder: Embedder name (or object with ``encode``) used when ``fit``/``transform`` get
            no vectors; None uses the default of ``mining.config.EmbedSettings``.
        fit_sample_max: Cluster at most this many items (a seeded random sample, distinct
            texts first) and assign the rest to the themes found, so the fit does not grow with
            the corpus; None clusters everything (``mining.themes.sample``).
        coarse_max_themes: Largest number of coarse themes (``coarse_themes_``, the
            ``parent_theme_id`` of each fine theme; ``mining.themes.hierarchy``).

    Every default is the matching field of ``mining.config.ThemeSettings``.
    """

    def __init__(self, kind: str = "intent", reducer: Any = _DEFAULTS.reducer,
                 clusterer: Any = _DEFAULTS.clusterer,
                 min_theme_size: int | None = _DEFAULTS.min_theme_size,
                 n_themes: int | None = _DEFAULTS.n_themes, seed: int = _DEFAULTS.seed,
                 n_keywords: int = _DEFAULTS.n_keywords, n_examples: int = _DEFAULTS.n_examples,
                 threshold: float = DEFAULT_THRESHOLD,
                 merge_similarity: float | None = DEFAULT_MERGE_SIMILARITY,
                 n_components: int = _DEFAULTS.n_components,
                 n_neighbors: int = _DEFAULTS.n_neighbors, center: bool = _DEFAULTS.center,
                 embedder: Any = None,
                 fit_sample_max: int | None = _DEFAULTS.fit_sample_max,
                 coarse_max_themes: int = _DEFAULTS.coarse_max_themes) -> None:
        self.kind = kind
        self.reducer = reducer
        self.clusterer = clusterer
        self.min_theme_size = min_theme_size
        self.n_themes = n_themes
        self.seed = seed
        self.n_keywords = n_keywords
        self.n_examples = n_examples
        self.threshold = threshold
        self.merge_similarity = merge_similarity
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.center = center
        self.embedder = embedder
        self.fit_sample_max = fit_sample_max
        self.coarse_max_themes = coarse_max_themes

    # ------------------------------------------------------------------ parameters

    @classmethod
    def from_settings(cls, settings: ThemeSettings | None = None, **overrides: Any) -> ThemeModel:
        """Build a model from ``ThemeSettings`` (None: the defaults), with ``overrides`` on top.

        Args:
            settings: The ``themes`` section of ``mining.config.Settings``.
            **overrides: Parameters that replace the settings (``kind``, ``embedder``, a
                ``reducer`` or ``clusterer`` object, ...); None values are ignored for
                ``reducer`` and ``clusterer``.

        Returns:
            An unfitted model.
        """
        params = (settings or ThemeSettings()).model_dump()
        params.update({k: v for k, v in overrides.items()
                       if v is not None or k not in ("reducer", "clusterer")})
        return cls(**{k: v for k, v in params.items() if k in _PARAMS})

    def __sklearn_is_fitted__(self) -> bool:
        """True after ``fit`` or ``load`` (read by ``sklearn.utils.validation.check_is_fitted``)."""
        return hasattr(self, "centroids_")

    def _check_params(self) -> None:
        problems = []
        if self.kind not in KINDS:
            raise ConfigError(Errors.E002.format(kind="theme kind", name=self.kind,
                                                 choices=", ".join(KINDS)))
        is_object("reducer", self.reducer)
        if not is_object("clusterer", self.clusterer) and self.clusterer not in _cl.CLUSTERERS:
            raise ConfigError(Errors.E002.format(kind="clusterer", name=self.clusterer,
                                                 choices=", ".join(sorted(_cl.CLUSTERERS))))
        if self.min_theme_size is not None and int(self.min_theme_size) < 2:
            problems.append(f"min_theme_size must be at least 2, got {self.min_theme_size}")
        if self.n_themes is not None and int(self.n_themes) < 1:
            problems.append(f"n_themes must be at least 1, got {self.n_themes}")
        if not -1.0 <= float(self.threshold) <= 1.0:
            problems.append(f"threshold must lie in [-1, 1], got {self.threshold}")
        if problems:
            raise ConfigError(Errors.E001.format(problems="\n".join(f"  themes -> {p}"
                                                                     for p in problems)))

    # ------------------------------------------------------------------ inputs

    def focus(self, texts: Sequence[str]) -> list[str]:
        """Return the texts to embed for ``texts`` (filler removed, see ``mining.themes.focus``)."""
        return focus_texts(texts)

    def _embed(self, texts: list[str]) -> np.ndarray:
        return embed_texts(self.focus(texts), model=self.embedder)

    @staticmethod
    def _texts_of(data: Any) -> list[str]:
        if hasattr(data, "columns"):  # a DataFrame of units or messages
            col = next((c for c in ("text", "clean_text") if c in data.columns), None)
            if col is None:
                raise InputError(Errors.E303.format(columns=", ".join(map(str, data.columns))))
            data = data[col].tolist()
        return [t if isinstance(t, str) else "" for t in data]

    def _vectors(self, texts: list[str], vectors: Any) -> np.ndarray:
        if vectors is None:
            vectors = self._embed(texts)
        X = np.asarray(vectors, dtype=np.float32)
        if X.ndim != 2 or len(X) != len(texts):
            raise InputError(Errors.E304.format(shape=X.shape, n=len(texts)))
        return _cl.canonical(X)  # rounded: the same texts give the same themes (docs/themes.md)

    # ------------------------------------------------------------------ fit

    def fit(self, X: Any, y: Any = None, *, vectors: Any = None,
            lemmas: Sequence[Sequence[str]] | None = None,
            authors: Iterable[str] | None = None, assign_with: Any = None) -> ThemeModel:
        """Learn themes from texts and their embeddings.

        Args:
            X: Texts, or a DataFrame with a ``text`` (units) or ``clean_text`` column. Empty
                texts are never clustered and stay unassigned.
            y: Ignored (scikit-learn convention; themes are unsupervised). A 2-D array here is
                taken as ``vectors`` with a ``DeprecationWarning`` (the former signature).
            vectors: Fit parameter: float array ``(n, dim)``, one row per text, embedded from
                :meth:`focus` of the texts; None embeds them with ``embedder``.
            lemmas: Lemmas per text for keywords (stop words removed); None computes them from
                the focus texts with ``mining.text.segment.lemmatize``.
            authors: Author display names / e-mail addresses of the corpus, so their names are
                kept out of keywords, labels and examples (``mining.themes.names``); None uses
                an ``author`` column of a DataFrame input, if any. Names the texts address
                people by ("Hi Jordan") are found without it.
            assign_with: How every item is assigned to the nearest centroid: a function with
                the signature and result of ``mining.themes.cluster.assign`` (e.g. in blocks on
                Dask workers, ``mining.distributed``); None: in this process.

        Returns:
            self, with ``themes_``, ``labels_`` (final theme per text, -1 unassigned),
            ``probabilities_``, ``cluster_labels_`` (the clusterer's own labels in theme ids,
            before outliers were reassigned), ``centroids_``, ``mean_``, ``min_theme_size_``
            and ``n_features_in_`` set.

        Raises:
            ConfigError: for invalid parameters.
            InputError: [E302] with fewer than three non-empty texts; [E304] when vectors and
                texts do not match.
        """
        self._check_params()
        if y is not None and vectors is None and np.ndim(y) == 2:  # the old fit(texts, vectors)
            warnings.warn("ThemeModel.fit(X, vectors): pass the embeddings as vectors=; y is "
                          "ignored in a future version", DeprecationWarning, stacklevel=2)
            vectors = y
        if authors is None and hasattr(X, "columns") and "author" in X.columns:
            authors = X["author"].dropna().astype(str).unique().tolist()
        texts = self._texts_of(X)
        X = self._vectors(texts, vectors)
        ok = np.array([bool(t.strip()) for t in texts], dtype=bool)
        if ok.sum() < _MIN_ITEMS:
            raise InputError(Errors.E302.format(need=_MIN_ITEMS, got=int(ok.sum())))
        self.n_features_in_ = X.shape[1]
        self.mean_ = ((X if ok.all() else X[ok]).mean(axis=0) if self.center
                      else np.zeros(X.shape[1])).astype(np.float32)
        # X is _vectors()' own copy: centred and scaled in place, one corpus-sized array
        X -= self.mean_
        Xc = _cl.unit(X, inplace=True)
        del X
        idx = np.flatnonzero(ok)
        n_ok = len(idx)
        idx = idx[fit_sample(texts, idx, self.fit_sample_max, self.seed)]  # capped (sample.py)
        labels = self._cluster(Xc[idx], n_ok)
        C = _cl.centroids(Xc[idx], labels)
        assigned, prob = (assign_with or _cl.assign)(Xc, C, self.threshold)
        assigned[~ok] = -1
        prob[~ok] = 0.0
        # renumber themes by final size (largest first), dropping themes nobody joined
        sizes = np.bincount(assigned[assigned >= 0], minlength=len(C))
        order = [int(t) for t in np.argsort(-sizes, kind="stable") if sizes[t] > 0]
        remap = np.full(len(C) + 1, -1, dtype=np.int64)
        remap[order] = np.arange(len(order))
        self.centroids_ = C[order].astype(np.float32)
        self.labels_ = remap[assigned]
        self.cluster_labels_ = np.full(len(texts), -1, dtype=np.int64)
        self.cluster_labels_[idx] = remap[labels]
        self.probabilities_ = prob
        focused = self.focus(texts)
        if lemmas is None:
            lemmas = lemmatize(focused)
        names = find_names(texts, authors or ())
        self.themes_ = self._represent(focused, Xc, list(lemmas), names,
                                       author_words(authors or (), names))
        return self

    def _reducer(self) -> Any:
        """The reducer to fit: made from its registered name, or (a clone of) the object."""
        if is_object("reducer", self.reducer):
            return clone(self.reducer) if hasattr(self.reducer, "get_params") else self.reducer

        return make_reducer(self.reducer, n_components=self.n_components, seed=self.seed,
                            n_neighbors=self.n_neighbors)

    def _run_clusterer(self, Z: np.ndarray, size: int) -> np.ndarray:
        """Cluster reduced vectors with the named clusterer or the given object."""
        if not is_object("clusterer", self.clusterer):
            return _cl.run_clusterer(self.clusterer, Z, size, self.seed)
        est = clone(self.clusterer) if hasattr(self.clusterer, "get_params") else self.clusterer
        labels = est.fit_predict(Z) if hasattr(est, "fit_predict") else est.fit(Z).labels_
        return _cl.relabel(np.asarray(labels, dtype=np.int64))

    def _cluster(self, X: np.ndarray, n_total: int | None = None) -> np.ndarray:
        n = len(X)
        size = int(self.min_theme_size) if self.min_theme_size else \
            sample_min_size(n, n_total or n)  # a sample's themes are smaller (sample.py)
        size = max(2, min(size, n))
        Z = np.asarray(self._reducer().fit_transform(X))
        labels = self._run_clusterer(Z, size)
        if self.n_themes and isinstance(self.clusterer, str):
            target = int(self.n_themes)
            while labels.max() + 1 < target and size > 2:  # too few: smaller themes
                size = max(2, int(size * 0.7))
                labels = self._run_clusterer(Z, size)
        if labels.max() < 0:  # nothing dense enough: one theme of everything
            labels = np.zeros(n, dtype=np.int64)
        if self.merge_similarity is not None:
            labels = _cl.merge_closest(X, labels, min_similarity=float(self.merge_similarity))
        if self.n_themes:
            labels = _cl.merge_closest(X, labels, until=int(self.n_themes))
        self.min_theme_size_ = size
        return labels

    def _represent(self, texts: list[str], X: np.ndarray, lemmas: list,
                   names: frozenset[str] = frozenset(),
                   vocatives: frozenset[str] = frozenset()) -> pd.DataFrame:
        """Describe the fine themes and their coarse groups (sets ``coarse_themes_``)."""
        fine, coarse = describe_levels(self, texts, X, lemmas, names, vocatives)
        self.coarse_themes_ = coarse
        return fine

    # ------------------------------------------------------------------ transform

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(Errors.E300.format(name="ThemeModel"))

    def _centered(self, X: Any, vectors: Any) -> tuple[list[str], np.ndarray]:
        """Texts and their centred unit vectors, checked against the fitted width."""
        self._check_fitted()
        texts = self._texts_of(X)
        if not texts:
            return texts, np.zeros((0, int(self.n_features_in_)), dtype=np.float32)
        V = self._vectors(texts, vectors)
        if V.shape[1] != self.n_features_in_:
            raise InputError(Errors.E305.format(got=V.shape[1], want=self.n_features_in_))
        return texts, _cl.unit(V - self.mean_).astype(np.float32, copy=False)

    def transform(self, X: Any, vectors: Any = None) -> np.ndarray:
        """Cosine similarity of each text to each theme centroid.

        Args:
            X: Texts (or a DataFrame as for :meth:`fit`).
            vectors: Their vectors; None embeds them with ``embedder``.

        Returns:
            float64 ``(n_texts, n_themes)``; rows of empty texts are 0.

        Raises:
            NotFittedError: [E300] before ``fit`` or ``load``.
        """
        return self._similarity(*self._centered(X, vectors))

    def _similarity(self, texts: list[str], V: np.ndarray) -> np.ndarray:
        S = np.asarray(V, dtype=np.float64) @ np.asarray(self.centroids_, dtype=np.float64).T
        S[[not t.strip() for t in texts]] = 0.0
        return S

    def predict(self, X: Any, vectors: Any = None) -> np.ndarray:
        """Theme id per text: the nearest centroid within ``threshold``, else -1.

        Args:
            X: Texts (or a DataFrame as for :meth:`fit`).
            vectors: Their vectors; None embeds them with ``embedder``.

        Returns:
            int64 ``(n_texts,)``.
        """
        return self.assign(X, vectors)[0]

    def predict_proba(self, X: Any, vectors: Any = None, temperature: float = 0.05
                      ) -> np.ndarray:
        """Soft membership of each text in each theme (softmax of the similarities).

        Args:
            X: Texts (or a DataFrame as for :meth:`fit`).
            vectors: Their vectors; None embeds them with ``embedder``.
            temperature: Softmax temperature (the one :meth:`assign` uses).

        Returns:
            float64 ``(n_texts, n_themes)``, rows summing to 1 (0 for empty texts).
        """
        texts, V = self._centered(X, vectors)
        S = self._similarity(texts, V)
        if S.shape[1] == 0:
            return S
        E = np.exp((S - S.max(axis=1, keepdims=True)) / temperature)
        P = E / E.sum(axis=1, keepdims=True)
        P[[not t.strip() for t in texts]] = 0.0
        return P

    def assign(self, X: Any, vectors: Any = None, *, assign_with: Any = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Assign texts to the learned themes, without re-clustering.

        On the training texts and vectors this returns exactly ``labels_`` and
        ``probabilities_``: both use nearest-centroid assignment with the outlier threshold.

        Args:
            X: Texts (or a DataFrame as for :meth:`fit`).
            vectors: Their vectors (embedded from :meth:`focus` of the texts); None embeds them
                with ``embedder``.
            assign_with: The nearest-centroid function (as for :meth:`fit`); None: in process.

        Returns:
            ``(theme_ids, probabilities)``: int64 theme id per text (-1 unassigned or empty) and
            the membership probability of that theme (0.0 when unassigned).

        Raises:
            NotFittedError: [E300] before ``fit`` or ``load``.
        """
        texts, Xc = self._centered(X, vectors)
        if not texts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        labels, prob = (assign_with or _cl.assign)(Xc, self.centroids_, self.threshold)
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        labels[empty] = -1
        prob[empty] = 0.0
        return labels, prob

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit (``fit_params`` as for :meth:`fit`), then return :meth:`transform` of ``X``."""
        self.fit(X, y, **fit_params)
        return self.transform(X, fit_params.get("vectors"))

    def fit_predict(self, X: Any, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit (``fit_params`` as for :meth:`fit`), then return ``labels_``."""
        return self.fit(X, y, **fit_params).labels_

    def label_of(self, theme_ids: Sequence[int]) -> list[str]:
        """Return the theme label of each id (empty string for -1)."""
        self._check_fitted()
        labels = dict(zip(self.themes_["theme_id"].astype(int), self.themes_["label"].astype(str),
                          strict=True))
        return [labels.get(int(t), "") for t in theme_ids]

    # ------------------------------------------------------------------ persistence

    def save(self, folder: str | Path) -> Path:
        """Write the fitted model to ``folder``: JSON config and themes, ``.npy`` arrays.

        Files: ``config.json`` (parameters and learned scalars), ``meta.json`` (library
        version, format, creation time), ``themes.json`` (the themes table: labels, keywords and
        the redacted examples), ``centroids.npy``, ``mean.npy``. No pickles and no other text of
        the training data.

        Args:
            folder: Output folder (created).

        Returns:
            The folder.

        Raises:
            NotFittedError: [E300] before ``fit``.
        """
        self._check_fitted()

        params = self.get_params(deep=False)
        params.update({k: name_of(params[k]) for k in ("reducer", "clusterer", "embedder")})
        config = {"params": params,
                  "fitted": {"min_theme_size_": int(self.min_theme_size_),
                             "n_features_in_": int(self.n_features_in_)}}
        folder = write_model_files(folder, "ThemeModel", config, format=FORMAT,
                                   n_themes=int(len(self.centroids_)))
        themes = self.themes_.astype(object).where(self.themes_.notna(), None)
        (folder / "themes.json").write_text(json.dumps(themes.to_dict(orient="records"),
                                                       indent=2, ensure_ascii=False))
        coarse = getattr(self, "coarse_themes_", None)
        if coarse is not None:
            coarse = coarse.astype(object).where(coarse.notna(), None)
            (folder / "coarse_themes.json").write_text(json.dumps(
                coarse.to_dict(orient="records"), indent=2, ensure_ascii=False))
        np.save(folder / "centroids.npy", self.centroids_, allow_pickle=False)
        np.save(folder / "mean.npy", self.mean_, allow_pickle=False)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> ThemeModel:
        """Load a model written by :meth:`save`.

        Args:
            folder: The model folder.

        Returns:
            The fitted model (``labels_``/``probabilities_`` of the training data are not saved).

        Raises:
            InputError: [E301] when the folder is not a saved theme model.
        """
        folder = Path(folder)
        need = ("config.json", "meta.json", "themes.json", "centroids.npy", "mean.npy")
        missing = [f for f in need if not (folder / f).is_file()]
        if missing:
            raise InputError(Errors.E301.format(path=folder, missing=", ".join(missing)))
        try:
            config = json.loads((folder / "config.json").read_text())
            params = {k: v for k, v in config["params"].items() if k in _PARAMS}
            model = cls(**params)
            for k, v in config.get("fitted", {}).items():
                setattr(model, k, v)
            model.centroids_ = np.load(folder / "centroids.npy", allow_pickle=False)
            model.mean_ = np.load(folder / "mean.npy", allow_pickle=False)
            model.themes_ = conform(pd.DataFrame(json.loads((folder / "themes.json").read_text()),
                                                 columns=list(_THEME_COLUMNS())), "themes")
            if (folder / "coarse_themes.json").is_file():
                model.coarse_themes_ = conform(pd.DataFrame(
                    json.loads((folder / "coarse_themes.json").read_text()),
                    columns=list(_THEME_COLUMNS())), "themes")
        except (ValueError, KeyError, TypeError, OSError) as err:
            raise InputError(Errors.E301.format(path=folder, missing=f"valid content ({err})")) \
                from None
        return model


_PARAMS = tuple(p for p in inspect.signature(ThemeModel.__init__).parameters if p != "self")


def clone(estimator: Any) -> Any:
    """``sklearn.base.clone`` (imported here, where it is needed)."""
    return _clone(estimator)


def _THEME_COLUMNS() -> tuple[str, ...]:  # noqa: N802 - reads like the constant it returns

    return tuple(THEMES)
