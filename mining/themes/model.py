"""``ThemeModel``: reduce -> cluster -> represent, with the scikit-learn contract.

Usage::

    from mining.themes import ThemeModel
    model = ThemeModel(kind="intent").fit(texts)              # embeds with the default model
    model.themes_                                             # mining.schema.THEMES table
    ids, probs = model.transform(new_texts)                   # no re-clustering
    model.save("out/model"); model = ThemeModel.load("out/model")

The algorithm, its defaults and their measurements are in ``docs/themes.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mining.errors import ConfigError, Errors, InputError, NotFittedError
from mining.themes import cluster as _cl
from mining.themes.focus import focus_texts
from mining.themes.names import author_words, find_names
from mining.themes.sample import fit_sample, sample_min_size

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("intent", "objection", "reply")
FORMAT = 1
#: Smallest cosine similarity between an item's embedding and the nearest theme centroid (the
#: normalised mean of the members' embeddings) for the item to join that theme; below it the
#: item stays unassigned (-1). With MiniLM unrelated sentences score ~0.1-0.2, theme members
#: mostly 0.67-0.97.
DEFAULT_THRESHOLD = 0.3
#: Themes whose centroids are at least this similar are merged after clustering (None: never).
DEFAULT_MERGE_SIMILARITY: float | None = None
_MIN_ITEMS = 3
_PARAMS = ("kind", "reducer", "clusterer", "min_theme_size", "n_themes", "seed", "n_keywords",
           "n_examples", "threshold", "merge_similarity", "n_components", "n_neighbors",
           "center", "embedder", "max_coarse_themes", "max_fit_items")


class ThemeModel:
    """Find themes in texts and assign new texts to them.

    Args:
        kind: ``"intent"``, ``"objection"`` or ``"reply"`` (stored in the themes table; see
            ``mining.themes.focus`` for the per-kind unit choice).
        reducer: Reducer name from ``mining.reduce.REDUCERS`` (``"umap"`` or ``"pca"``).
        clusterer: Clusterer name from ``mining.themes.cluster.CLUSTERERS``.
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
        embedder: Embedder name used when ``fit``/``transform`` get no vectors; None uses the
            default of ``mining.config.EmbedSettings``.
        max_coarse_themes: Largest number of coarse themes (``coarse_themes_``, the
            ``parent_theme_id`` of each fine theme; ``mining.themes.hierarchy``).
        max_fit_items: Cluster at most this many items (a seeded random sample of the distinct
            texts) and assign the rest to the themes found, so the fit does not grow with the
            corpus; None clusters everything (``mining.themes.sample``).
    """

    def __init__(self, kind: str = "intent", reducer: str = "umap", clusterer: str = "hdbscan",
                 min_theme_size: int | None = None, n_themes: int | None = None, seed: int = 42,
                 n_keywords: int = 8, n_examples: int = 3,
                 threshold: float = DEFAULT_THRESHOLD,
                 merge_similarity: float | None = DEFAULT_MERGE_SIMILARITY,
                 n_components: int = 5, n_neighbors: int = 15, center: bool = False,
                 embedder: str | None = None, max_coarse_themes: int = 25,
                 max_fit_items: int | None = 20_000) -> None:
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
        self.max_coarse_themes = max_coarse_themes
        self.max_fit_items = max_fit_items

    # ------------------------------------------------------------------ parameters

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Return the constructor parameters (scikit-learn convention)."""
        return {p: getattr(self, p) for p in _PARAMS}

    def _check_params(self) -> None:
        problems = []
        if self.kind not in KINDS:
            raise ConfigError(Errors.E002.format(kind="theme kind", name=self.kind,
                                                 choices=", ".join(KINDS)))
        if self.clusterer not in _cl.CLUSTERERS:
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
        from mining.embed import embed_texts

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

    def fit(self, texts_or_units: Any, vectors: Any = None,
            lemmas: Sequence[Sequence[str]] | None = None, *,
            authors: Iterable[str] | None = None) -> ThemeModel:
        """Learn themes from texts and their embeddings.

        Args:
            texts_or_units: Texts, or a DataFrame with a ``text`` (units) or ``clean_text``
                column. Empty texts are never clustered and stay unassigned.
            vectors: float array ``(n, dim)``, one row per text, embedded from
                :meth:`focus` of the texts; None embeds them with ``embedder``.
            lemmas: Lemmas per text for keywords (stop words removed); None computes them from
                the focus texts with ``mining.text.segment.lemmatize``.
            authors: Author display names / e-mail addresses of the corpus, so their names are
                kept out of keywords, labels and examples (``mining.themes.names``); None uses
                an ``author`` column of a DataFrame input, if any. Names the texts address
                people by ("Hi Jordan") are found without it.

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
        if authors is None and hasattr(texts_or_units, "columns") \
                and "author" in texts_or_units.columns:
            authors = texts_or_units["author"].dropna().astype(str).unique().tolist()
        texts = self._texts_of(texts_or_units)
        X = self._vectors(texts, vectors)
        ok = np.array([bool(t.strip()) for t in texts], dtype=bool)
        if ok.sum() < _MIN_ITEMS:
            raise InputError(Errors.E302.format(need=_MIN_ITEMS, got=int(ok.sum())))
        self.n_features_in_ = X.shape[1]
        self.mean_ = (X[ok].mean(axis=0) if self.center else np.zeros(X.shape[1])).astype(
            np.float32)
        Xc = _cl.unit(X - self.mean_).astype(np.float32)
        idx = np.flatnonzero(ok)
        n_ok = len(idx)
        idx = idx[fit_sample(texts, idx, self.max_fit_items, self.seed)]  # capped (sample.py)
        labels = self._cluster(Xc[idx], n_ok)
        C = _cl.centroids(Xc[idx], labels)
        assigned, prob = _cl.assign(Xc, C, self.threshold)
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
            from mining.text.segment import lemmatize

            lemmas = lemmatize(focused)
        names = find_names(texts, authors or ())
        self.themes_ = self._represent(focused, Xc, list(lemmas), names,
                                       author_words(authors or (), names))
        return self

    def _cluster(self, X: np.ndarray, n_total: int | None = None) -> np.ndarray:
        from mining.reduce import make_reducer

        n = len(X)
        size = int(self.min_theme_size) if self.min_theme_size else \
            sample_min_size(n, n_total or n)  # a sample's themes are smaller (sample.py)
        size = max(2, min(size, n))
        red = make_reducer(self.reducer, n_components=self.n_components, seed=self.seed,
                           n_neighbors=self.n_neighbors)
        Z = red.fit_transform(X)
        labels = _cl.run_clusterer(self.clusterer, Z, size, self.seed)
        if self.n_themes:
            target = int(self.n_themes)
            while labels.max() + 1 < target and size > 2:  # too few: smaller themes
                size = max(2, int(size * 0.7))
                labels = _cl.run_clusterer(self.clusterer, Z, size, self.seed)
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
        from mining.themes.hierarchy import describe_levels

        fine, coarse = describe_levels(self, texts, X, lemmas, names, vocatives)
        self.coarse_themes_ = coarse
        return fine

    # ------------------------------------------------------------------ transform

    def _check_fitted(self) -> None:
        if not hasattr(self, "centroids_"):
            raise NotFittedError(Errors.E300.format(name="ThemeModel"))

    def transform(self, texts: Any, vectors: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Assign texts to the learned themes, without re-clustering.

        On the training texts and vectors this returns exactly ``labels_`` and
        ``probabilities_``: both use nearest-centroid assignment with the outlier threshold.

        Args:
            texts: Texts (or a DataFrame as for :meth:`fit`).
            vectors: Their vectors (embedded from :meth:`focus` of the texts); None embeds them
                with ``embedder``.

        Returns:
            ``(theme_ids, probabilities)``: int64 theme id per text (-1 unassigned or empty) and
            the membership probability of that theme (0.0 when unassigned).

        Raises:
            NotFittedError: [E300] before ``fit`` or ``load``.
        """
        self._check_fitted()
        texts = self._texts_of(texts)
        if not texts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        X = self._vectors(texts, vectors)
        if X.shape[1] != self.n_features_in_:
            raise InputError(Errors.E305.format(got=X.shape[1], want=self.n_features_in_))
        Xc = _cl.unit(X - self.mean_).astype(np.float32)
        labels, prob = _cl.assign(Xc, self.centroids_, self.threshold)
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        labels[empty] = -1
        prob[empty] = 0.0
        return labels, prob

    def fit_transform(
        self, texts_or_units: Any, vectors: Any = None,
        lemmas: Sequence[Sequence[str]] | None = None, *, authors: Iterable[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fit, then return ``(labels_, probabilities_)``."""
        self.fit(texts_or_units, vectors, lemmas, authors=authors)
        return self.labels_, self.probabilities_

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
        from mining.persist import write_model_files

        self._check_fitted()
        config = {"params": self.get_params(),
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
        import pandas as pd

        from mining.schema import conform

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


def _THEME_COLUMNS() -> tuple[str, ...]:  # noqa: N802 - reads like the constant it returns
    from mining.schema import THEMES

    return tuple(THEMES)
