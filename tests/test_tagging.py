"""mining.tagging: the named steps, model reuse with another taxonomy (E502), config files."""

from __future__ import annotations

import json

import pytest
from _handmade import write_mini_corpus
from typer.testing import CliRunner

from mining.config import Settings
from mining.errors import ConfigError


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    import mining

    data = write_mini_corpus(tmp_path_factory.mktemp("tagging"), n_journeys=12)
    return data, mining.load_corpus([data["chats"]])


def _fast() -> Settings:
    settings = Settings()
    settings.embed.model = "hash"
    settings.themes.reducer = "pca"
    return settings


def test_tagging_steps_are_named_short_functions_in_data_order():
    import inspect

    from mining.tagging import STEPS, tag

    names = [step.__name__ for step, _ in STEPS]
    assert names[0] == "build_journeys" and names[-1] == "assemble_tags"
    assert names.index("embed_units") < names.index("detect_objections") \
        < names.index("start_themes") < names.index("tag_stages") \
        < names.index("fit_or_assign_themes") < names.index("assemble_tags")
    assert len(inspect.getsource(tag).splitlines()) < 40


def test_tagging_saved_detector_with_other_taxonomy_raises_e502(mini, hash_detector, tmp_path):
    from mining.tagging import tag

    _, corpus = mini
    hash_detector.save(tmp_path / "model" / "objections")
    first = hash_detector.taxonomy_.names[0]
    taxonomy = tmp_path / "tax"
    taxonomy.mkdir()
    (taxonomy / "objections.yaml").write_text(
        f"kind: objections\nextends: base\nremove: [{first}]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[E502\]") as err:
        tag(corpus, settings=_fast(), taxonomy_dir=taxonomy, model_dir=tmp_path / "model",
            progress=False, themes=False)
    assert first in str(err.value) and "objections" in str(err.value)


def test_tagging_config_file_drives_run(mini, tmp_path):
    from mining.cli import app

    data, _ = mini
    config = tmp_path / "journeymine.toml"
    config.write_text('[embed]\nmodel = "hash"\n\n[themes]\nreducer = "pca"\nseed = 7\n\n'
                      '[tagging]\nobjection_threshold = 0.8\n\n[reports]\ncold_after_days = 9\n',
                      encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["--no-progress", "run", str(data["chats"]), "--outcomes",
                                   str(data["outcomes"]), "--config", str(config), "-o", str(out)])
    assert res.exit_code == 0, res.output
    settings = json.loads((out / "run.json").read_text())["settings"]
    assert settings["embed"]["model"] == "hash" and settings["themes"]["reducer"] == "pca"
    assert settings["themes"]["seed"] == 7 and settings["tagging"]["objection_threshold"] == 0.8
    assert settings["reports"]["cold_after_days"] == 9
    model = json.loads((out / "model" / "objections" / "config.json").read_text())
    assert model["params"]["threshold"] == 0.8


def test_tagging_config_file_errors_are_numbered(tmp_path):
    from mining.cli import app

    bad = tmp_path / "bad.toml"
    bad.write_text("[themes]\nseed = 'x'\nunknown = 1\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(tmp_path), "--config", str(bad), "-o",
                                   str(tmp_path / "o")])
    assert res.exit_code == 2 and "[E001]" in res.output
    assert "themes -> seed" in res.output and "themes -> unknown" in res.output
    bad.write_text("[themes\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(tmp_path), "--config", str(bad), "-o",
                                   str(tmp_path / "o")])
    assert res.exit_code == 2 and "[E007]" in res.output


def test_tagging_parallel_theme_fits_and_blocks_give_the_same_tags(mini, monkeypatch):
    """Theme kinds fitted side by side in the background, objections and stages scored in blocks
    (issue 14): the same tags and themes as one kind after another in the themes step and one
    call for everything."""
    import pandas as pd

    from mining.tagging import steps, tag, themes

    _, corpus = mini
    started, real = [], themes.Background
    monkeypatch.setattr(themes, "Background", lambda *a: started.append(a) or real(*a))
    one = _fast()
    one.tagging.theme_threads = 1
    base = tag(corpus, settings=one, progress=False)
    assert not started  # one thread: the themes step fits them itself
    monkeypatch.setattr(steps, "OBJECTION_BLOCK", 7)
    monkeypatch.setattr(steps, "STAGE_BLOCK", 9)
    two = _fast()
    two.tagging.theme_threads = 2
    other = tag(corpus, settings=two, progress=False)
    # two threads: fitted in the background beside the stage steps
    assert [a[0] for a in started].count(themes._fit_kinds) == 1
    pd.testing.assert_frame_equal(other.tags, base.tags)
    pd.testing.assert_frame_equal(other.themes, base.themes)


def test_tagging_error_in_background_theme_fit_is_raised_by_the_themes_step(mini, monkeypatch):
    from mining.tagging import tag, themes

    def broken(*args, **kwargs):
        raise RuntimeError("theme fit failed")

    monkeypatch.setattr(themes, "_fit_one", broken)
    settings = _fast()
    settings.tagging.theme_threads = 2
    with pytest.raises(RuntimeError, match="theme fit failed"):
        tag(mini[1], settings=settings, progress=False)


def test_tagging_journey_blocks_keep_journeys_whole():
    import pandas as pd

    from mining.tagging.steps import journey_blocks

    ids = pd.Series(list("aaabbbbcdd"))
    assert journey_blocks(ids, 4) == [(0, 7), (7, 10)]
    assert journey_blocks(ids, 100) == [(0, 10)]
    assert journey_blocks(pd.Series(list("aabaa")), 2) == [(0, 5)]  # not contiguous: one block


def test_tagging_theme_fits_run_on_daemon_threads(mini, monkeypatch):
    """The interpreter does not wait for daemon threads at exit: Ctrl-C during the background
    theme fits ends the run at once (exit 130) instead of after the fits."""
    import threading

    from mining.tagging import tag, themes

    seen, real = [], themes._fit_one

    def spy(*args, **kwargs):
        seen.append(threading.current_thread().daemon)
        return real(*args, **kwargs)

    monkeypatch.setattr(themes, "_fit_one", spy)
    settings = _fast()
    settings.tagging.theme_threads = 2
    tag(mini[1], settings=settings, progress=False)
    assert len(seen) >= 2 and all(seen)
