"""Two theme levels (coarse themes over fine ones) and fitting on a capped sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mining.themes import ThemeModel
from mining.themes.hierarchy import coarse_parents, coarse_view, n_coarse
from mining.themes.sample import fit_sample


@pytest.mark.parametrize(("k", "want"), [(0, 0), (3, 3), (4, 4), (10, 6), (30, 11), (69, 17),
                                         (150, 24), (374, 25)])
def test_themes_levels_number_of_coarse_themes(k, want):
    assert n_coarse(k) == want
    assert n_coarse(374, max_groups=10) == 10


def _families(n_fam=3, per_fam=4, per_theme=15, dim=32, seed=0):
    """Fine themes in families: themes of a family share a direction."""
    rng = np.random.default_rng(seed)
    fam = rng.normal(size=(n_fam, dim))
    X, fine, family, texts = [], [], [], []
    words = ["refund", "delivery", "password", "invoice", "upgrade", "cancel"]
    for f in range(n_fam):
        for t in range(per_fam):
            centre = fam[f] + 0.45 * rng.normal(size=dim)
            for i in range(per_theme):
                X.append(centre + 0.08 * rng.normal(size=dim))
                fine.append(f * per_fam + t)
                family.append(f)
                texts.append(f"question about my {words[f]} number {t} {'abcdefghij'[i % 10]}")
    X = np.asarray(X, dtype=np.float32)
    return texts, X / np.linalg.norm(X, axis=1, keepdims=True), np.asarray(fine), \
        np.asarray(family)


def test_themes_levels_coarse_parents_group_related_fine_themes():
    _, X, fine, family = _families()
    C = np.stack([X[fine == t].mean(0) for t in range(12)])
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    parents = coarse_parents(C, np.bincount(fine), max_groups=3)
    assert sorted(set(parents.tolist())) == [0, 1, 2]
    for f in range(3):  # each family is one coarse theme
        assert len(set(parents[f * 4:(f + 1) * 4].tolist())) == 1


def test_themes_levels_model_has_parents_and_coarse_table():
    texts, X, fine, family = _families()
    m = ThemeModel(reducer="pca", min_theme_size=8, coarse_max_themes=5).fit(texts, vectors=X)
    th, coarse = m.themes_, m.coarse_themes_
    assert 1 <= len(coarse) <= 5 and len(coarse) < len(th)
    assert th["parent_theme_id"].notna().all() and coarse["parent_theme_id"].isna().all()
    assert set(th["parent_theme_id"].astype(int)) == set(coarse["theme_id"].astype(int))
    # a coarse theme's size is the sum of its fine themes'
    sums = th.groupby(th["parent_theme_id"].astype(int))["size"].sum()
    assert sums.to_dict() == dict(zip(coarse["theme_id"].astype(int), coarse["size"],
                                      strict=True))
    assert len(set(coarse["label"].str.lower())) == len(coarse)
    parent_label = dict(zip(coarse["theme_id"].astype(int), coarse["label"], strict=True))
    assert all(parent_label[int(p)] == lab for p, lab in zip(th["parent_theme_id"],
                                                              th["parent_label"], strict=True))
    # the coarse view of assignments
    a = pd.DataFrame({"message_id": ["a", "b"], "theme_id": [int(th["theme_id"].iloc[0]), -1],
                      "theme_label": [th["label"].iloc[0], ""]})
    table, out = coarse_view(th, a, coarse)
    assert out["theme_id"].tolist() == [int(th["parent_theme_id"].iloc[0]), -1]
    assert out["theme_label"].iloc[0] == th["parent_label"].iloc[0]
    assert table["size"].sum() == 1


def test_themes_levels_fit_sample_is_seeded_and_prefers_distinct_texts():
    texts = ["thanks!"] * 50 + [f"text {i}" for i in range(50)]
    idx = np.arange(100)
    assert fit_sample(texts, idx, None, 0).tolist() == list(range(100))
    assert fit_sample(texts, idx, 200, 0).tolist() == list(range(100))
    s = fit_sample(texts, idx, 30, 0)
    assert len(s) == 30 and len({texts[i] for i in s}) == 30  # no copies of "thanks!"
    np.testing.assert_array_equal(s, fit_sample(texts, idx, 30, 0))
    s = fit_sample(texts, idx, 60, 0)  # all 51 distinct texts, then copies
    assert len(s) == 60 and len({texts[i] for i in s}) == 51


def test_themes_levels_capped_fit_assigns_every_item():
    from sklearn.metrics import adjusted_rand_score

    from tests.test_themes import blobs

    texts, X, y = blobs(per=30)
    capped = ThemeModel(reducer="pca", min_theme_size=5, fit_sample_max=50).fit(texts, vectors=X)
    assert (capped.cluster_labels_ >= 0).sum() <= 50  # only the sample was clustered
    assert (capped.labels_ >= 0).all()  # every item is assigned
    ids, _ = capped.assign(texts, X)
    np.testing.assert_array_equal(ids, capped.labels_)
    assert adjusted_rand_score(y, capped.labels_) == 1.0


def test_themes_levels_cli_level_option(tmp_path):
    from typer.testing import CliRunner

    from mining.cli import app
    from tests.test_cli_themes import ROWS

    path = tmp_path / "t.csv"
    pd.DataFrame(ROWS, columns=["ticket", "body"]).to_csv(path, index=False)
    common = [str(path), "--text-column", "body", "--id-column", "ticket", "--embedder", "hash",
              "--reducer", "pca"]
    runner = CliRunner()
    res = runner.invoke(app, ["--no-progress", "themes", *common, "-o", str(tmp_path / "f")])
    assert res.exit_code == 0, res.output
    fine = pd.read_csv(tmp_path / "f" / "themes.csv")
    assert "parent_theme_id" in fine.columns and fine["parent_theme_id"].notna().all()
    res = runner.invoke(app, ["--no-progress", "themes", *common, "-o", str(tmp_path / "c"),
                              "--level", "coarse"])
    assert res.exit_code == 0, res.output
    coarse = pd.read_csv(tmp_path / "c" / "themes.csv")
    a = pd.read_csv(tmp_path / "c" / "assignments.csv", keep_default_na=False)
    assert set(a.loc[a["theme_id"] >= 0, "theme_id"]) <= set(coarse["theme_id"])
    assert coarse["size"].sum() == (a["theme_id"] >= 0).sum()
    res = runner.invoke(app, ["--no-progress", "themes", *common, "-o", str(tmp_path / "x"),
                              "--level", "middle"])
    assert res.exit_code == 2 and "middle" in res.output


def test_themes_levels_report_shows_coarse_themes_with_fine_ones_on_expand():
    from mining.reports.html import themes_html
    from mining.schema import conform

    th = conform(pd.DataFrame({
        "theme_id": [0, 1, 2], "kind": "intent",
        "label": ["where is my refund", "refund <b>late</b>", "reset my password"],
        "taxonomy_category": "", "keywords": ["refund", "refund, late", "password"],
        "size": [10, 5, 7], "examples": ["where is my refund | refund?", "late", "reset"],
        "parent_theme_id": [0, 0, 1], "parent_label": ["refunds", "refunds", "passwords"]}),
        "themes")
    out = themes_html(th)
    assert out.count("<details>") == 2 and "2 fine themes" in out and "1 fine theme<" in out
    assert out.index("refunds") < out.index("passwords")  # largest coarse theme first
    assert "<td>15</td>" in out and "refund &lt;b&gt;late&lt;/b&gt;" in out
    # without parents: one row per theme, as before
    assert "<details>" not in themes_html(th.drop(columns=["parent_theme_id", "parent_label"]))
