from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mining.errors import ConfigError
from mining.taxonomy import KINDS, check_path, load_file, load_taxonomy, phrase_to_patterns

BAD_OBJECTIONS = """
kind: objections
colour: red
categories:
  price:
    description: too expensive
    cues:
      - "too expensive"
      - [{LEMMA: cost}]
      - [{LEMMA: {INN: [a]}}]
      - [{LEMMAX: price}]
    examples: ["one", "two"]
  timing:
    examples: ["x", "y", "z"]
    cues: [[{LEMMAX: later}]]
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_taxonomy_packaged_files_are_complete():
    tax = load_taxonomy()
    assert set(tax.files) == set(KINDS)
    assert tax.stages.names[:5] == ["awareness", "consideration", "decision", "purchase",
                                    "retention"]
    objections = tax.objections.categories
    assert len(objections) >= 12
    for name in ("price", "timing", "authority", "trust", "competitor", "need", "contract",
                 "implementation", "feature", "security", "information", "not_interested"):
        assert name in objections
        assert len(objections[name].examples) >= 15, name
        assert objections[name].cues, name
    assert {"discount", "value", "social_proof", "guarantee", "payment", "clarification",
            "scheduling", "empathy"} <= set(tax.replies.categories)


def test_taxonomy_reports_every_error_at_once_with_location(tmp_path):
    path = _write(tmp_path, "objections.yaml", BAD_OBJECTIONS)
    with pytest.raises(ConfigError) as err:
        load_file(path)
    msg = str(err.value)
    assert "objections.yaml: price -> cues[3]: unknown token attribute 'LEMMAX'" in msg
    assert "objections.yaml: timing -> cues[0]: unknown token attribute 'LEMMAX'" in msg
    assert "objections.yaml: price -> cues[2]: invalid Matcher pattern" in msg
    assert "objections.yaml: timing -> description: Field required" in msg
    assert "objections.yaml: colour: Extra inputs are not permitted" in msg
    assert "objections.yaml: price -> examples: needs at least 3" in msg


def test_taxonomy_stage_references_are_checked(tmp_path):
    _write(tmp_path, "stages.yaml", """
        kind: stages
        conversion_stage: buy
        transitions: {stay: 0.8, start: {nope: 1}, stay_by_stage: {c: 0.5}}
        categories:
          a: {description: a, examples: [x, y, z]}
          b: {description: b, examples: [x1, y1, z1], events: [purchase]}
    """)
    summaries, problems = check_path(tmp_path / "stages.yaml")
    assert summaries == []
    assert any("stages.yaml: conversion_stage: 'buy' is not a stage" in p for p in problems)
    assert any("stages.yaml: transitions -> start: 'nope'" in p for p in problems)
    assert any("stages.yaml: transitions -> stay_by_stage: 'c'" in p for p in problems)


def test_taxonomy_yaml_syntax_error_is_located(tmp_path):
    _write(tmp_path, "intents.yaml", "kind: intents\ncategories: [unclosed\n")
    _, problems = check_path(tmp_path)
    assert len(problems) == 1 and problems[0].startswith("[E402] intents.yaml: not valid YAML")


def test_taxonomy_extends_base_overrides_adds_and_removes(root):
    tax = load_taxonomy(root / "taxonomies" / "saas")
    base = load_taxonomy()
    obj = tax.objections
    assert "seat_pricing" in obj.categories and "not_interested" not in obj.categories
    assert obj.categories["feature"].examples == base.objections.categories["feature"].examples
    assert obj.categories["feature"].cues != base.objections.categories["feature"].cues
    assert obj.categories["price"] == base.objections.categories["price"]
    assert tax.stages.names == base.stages.names  # kinds the variant lacks come from the base


def test_taxonomy_extends_relative_path_and_unknown_base(tmp_path):
    _write(tmp_path / "base", "replies.yaml", """
        kind: replies
        categories:
          discount: {description: d, cues: ["% off"], examples: [a, b, c]}
    """)
    _write(tmp_path / "variant", "replies.yaml", """
        kind: replies
        extends: ../base/replies.yaml
        categories:
          empathy: {description: e, examples: [d, e, f]}
    """)
    tf = load_file(tmp_path / "variant" / "replies.yaml")
    assert tf.names == ["discount", "empathy"]
    _write(tmp_path / "broken", "replies.yaml", "kind: replies\nextends: nowhere.yaml\n"
                                                "categories: {}\n")
    _, problems = check_path(tmp_path / "broken")
    assert problems and "[E408]" in problems[0] and "nowhere.yaml" in problems[0]


def test_taxonomy_extends_cycle_is_reported(tmp_path):
    _write(tmp_path, "a-objections.yaml", "kind: objections\nextends: b-objections.yaml\n"
                                           "categories: {}\n")
    _write(tmp_path, "b-objections.yaml", "kind: objections\nextends: a-objections.yaml\n"
                                           "categories: {}\n")
    _, problems = check_path(tmp_path / "a-objections.yaml")
    assert any("[E409]" in p for p in problems)


def test_taxonomy_phrase_cues_expand_alternatives():
    pats = phrase_to_patterns("not * right_now|yet")
    assert len(pats) == 2
    assert pats[0][0]["LEMMA"]["IN"][:2] == ["not", "n't"]
    assert pats[0][1] == {"OP": "?"}
    assert [t["LEMMA"] for t in pats[1][2:]] == ["right", "now"]
    assert pats[0][2] == {"LEMMA": "yet"}
    with pytest.raises(ValueError):
        phrase_to_patterns("*")


def test_taxonomy_cli_check(root, tmp_path):
    from mining.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["taxonomy", "check", str(root / "taxonomies")])
    assert ok.exit_code == 0, ok.output
    assert "OK objections.yaml: objections, 12 categories" in ok.output
    path = _write(tmp_path, "objections.yaml", BAD_OBJECTIONS)
    bad = runner.invoke(app, ["taxonomy", "check", str(path)])
    assert bad.exit_code == 2
    assert "unknown token attribute 'LEMMAX'" in bad.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(app, ["taxonomy", "check", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "[E411]" in missing.output
