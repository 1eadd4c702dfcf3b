"""tag_corpus: progress of the theme fits (the longest silent step of a run)."""

from __future__ import annotations

import pytest
from _handmade import write_mini_corpus

from mining.config import Settings


@pytest.fixture(scope="module")
def mini_corpus(tmp_path_factory):
    import mining

    data = write_mini_corpus(tmp_path_factory.mktemp("tagger"), n_journeys=15)
    return mining.load_corpus([data["chats"]])


def _fast() -> Settings:
    settings = Settings()
    settings.embed.model = "hash"
    settings.themes.reducer = "pca"
    return settings


@pytest.mark.parametrize("progress", [True, False])
def test_tagger_theme_fits_show_a_status_per_kind_on_a_terminal(mini_corpus, monkeypatch,
                                                                capsys, progress):
    from mining.tagger import tag_corpus

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: treat the captured stderr as a terminal
    result = tag_corpus(mini_corpus, settings=_fast(), progress=progress)
    err = capsys.readouterr().err
    kinds = sorted(k.removeprefix("themes_") for k in result.models if k.startswith("themes_"))
    assert kinds  # the corpus is big enough for at least one theme kind
    for kind in kinds:
        assert (f"Finding {kind} themes (" in err) is progress
    texts = mini_corpus.messages["clean_text"].dropna().astype(str)
    assert not any(t in err for t in texts if len(t) > 20)  # never message text


def test_tagger_theme_status_is_silent_when_stderr_is_not_a_terminal(monkeypatch, capsys):
    from mining.tagger import _status

    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    with _status(True, "Finding objection themes (3 units)…"):
        pass
    assert capsys.readouterr().err == ""
