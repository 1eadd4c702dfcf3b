from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _handmade import handmade_tables

from mining.reports import run_reports
from mining.reports.html import SECTIONS, build_report_html, write_report_html

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


@pytest.fixture(scope="module")
def tables():
    t = handmade_tables(40, seed=1)
    t["reports"] = run_reports(t["tags"], t["outcomes"], t["events"])
    return t


@pytest.fixture(scope="module")
def page(tables) -> str:
    return build_report_html(
        tables["tags"], tables["themes"], tables["reports"], tables["outcomes"], {"themes": 2}
    )


def test_report_html_is_self_contained(page):
    # no resource is fetched from anywhere: no external script, stylesheet, image or frame
    markup = re.sub(r"<script([^>]*)>.*?</script>", r"<script\1></script>", page, flags=re.S)
    assert not re.search(r"<script[^>]*\bsrc=", markup)
    assert not re.search(r"<(link|img|iframe)\b", markup)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", markup)
    # plotly.js is inlined exactly once, however many charts there are
    assert page.count("window.PlotlyConfig") == 1
    assert len(re.findall(r'<div id="chart-\w+"', page)) == len(SECTIONS)


def test_report_html_escapes_user_text(page):
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x>" not in page
    assert "<b>theme</b>" not in page


def test_report_html_journey_map_lists_stages_and_objections(page, tables):
    for stage in ("awareness", "consideration", "decision", "purchase", "retention"):
        assert f"<h3>{stage}</h3>" in page
    # the map's impact figures are the objections report's conv_with - conv_without
    rep = tables["reports"]["objections"]
    rep = rep[(rep["level"] == "category") & (rep["stage"] != "(any)")]
    row = rep.sort_values("journeys", ascending=False).iloc[0]
    pp = (row["conv_with"] - row["conv_without"]) * 100
    assert f"{pp:+.0f} pp" in page


def test_report_html_says_so_when_a_chart_has_no_data(tables):
    page = build_report_html(tables["tags"], tables["themes"], {}, None)
    assert page.count("Not enough data for this chart.") == 3  # replies, channels, cadence
    assert '<div id="chart-heatmap"' in page  # computed from the tags alone


def _chromium(args: list[str], tmp: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def render_in_chromium(
    html_path: Path, tmp: Path, screenshot: Path | None = None
) -> tuple[str, list[str]]:
    """Open ``html_path`` in headless Chromium; return the rendered DOM and console lines."""
    url = html_path.resolve().as_uri()
    res = _chromium(
        ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", url], tmp
    )
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    if screenshot is not None:
        _chromium(
            [
                "--virtual-time-budget=10000",
                "--window-size=1400,3000",
                f"--screenshot={screenshot}",
                url,
            ],
            tmp,
        )
    return res.stdout, console


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists() or not shutil.which(CHROMIUM), reason="no Chromium")
def test_report_html_renders_in_a_real_browser(tables, tmp_path):
    path = write_report_html(
        tmp_path / "report.html",
        tags=tables["tags"],
        themes=tables["themes"],
        reports=tables["reports"],
        outcomes=tables["outcomes"],
    )
    shot = tmp_path / "report.png"
    dom, console = render_in_chromium(path, tmp_path, screenshot=shot)
    assert console == [], console  # no errors, warnings or logs from the page
    for key, *_ in SECTIONS:
        start = dom.index(f'id="chart-{key}"')
        end = dom.find('id="chart-', start + 10)
        assert "main-svg" in dom[start : end if end > 0 else None], f"chart {key} did not render"
    assert shot.stat().st_size > 20_000  # a real picture, not a blank page


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium")
def test_report_html_demo_report_renders_in_a_real_browser(demo_run, tmp_path):
    shot = tmp_path / "demo-report.png"
    dom, console = render_in_chromium(demo_run.out_dir / "report.html", tmp_path, screenshot=shot)
    assert console == [], console
    for key, *_ in SECTIONS:
        start = dom.index(f'id="chart-{key}"')
        end = dom.find('id="chart-', start + 10)
        assert "main-svg" in dom[start : end if end > 0 else None], f"chart {key} did not render"
    assert shot.stat().st_size > 20_000


def test_report_html_handles_empty_tables():
    from mining import schema

    page = build_report_html(
        schema.empty("tags"), schema.empty("themes"), {}, schema.empty("outcomes"), {}
    )
    assert page.count("Not enough data for this chart.") == len(SECTIONS)
    assert "No tagged messages." in page and "No themes found." in page


_TIE_SCRIPT = """
import pandas as pd
from mining.reports.html import _coarse_rows
sub = pd.DataFrame({"parent_theme_id": [0, 0, 0, 0], "size": [9, 5, 4, 2],
                    "label": ["a", "b", "c", "d"], "parent_label": ["p"] * 4,
                    "keywords": [""] * 4, "examples": [""] * 4,
                    "taxonomy_category": ["timing", "price", "price", "timing"]})
print(_coarse_rows("objection", sub, 8, 2)[0])
"""


def test_report_html_coarse_category_tie_does_not_depend_on_string_hashing():
    """Two categories tied in a coarse theme: the larger fine theme's wins, in every process."""
    import os
    import sys

    rows = set()
    for seed in range(6):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        out = subprocess.run([sys.executable, "-c", _TIE_SCRIPT], env=env, check=True,
                             capture_output=True, text=True).stdout
        rows.add(out)
    assert len(rows) == 1
    assert '<span class="muted">timing</span>' in rows.pop()
