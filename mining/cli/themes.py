"""``journeymine themes``: find intent, objection or reply themes, or assign texts to saved ones.

Output folder (a contract other tools read):

- ``themes.csv``: ``theme_id, label, size, keywords, examples, kind, parent_theme_id`` (the
  coarse theme of each fine theme; ``--level coarse`` lists the coarse themes instead);
- ``assignments.csv``: one row per input row (or message): ``message_id, theme_id (-1 when
  unassigned), theme_label, probability, note`` (``note`` says why a row is unassigned
  without a theme, e.g. empty text);
- ``model/``: the fitted ``ThemeModel`` (``--model`` reuses it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mining.cli._app import STATE
from mining.cli._options import InputOptions, input_command
from mining.config import default


@input_command("themes")
def themes_command(
    inputs: Annotated[list[Path], typer.Argument(
        help="Message tables, chat exports, e-mail or folders.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    kind: Annotated[str, typer.Option("--kind", help="intent, objection or reply.")] = "intent",
    text_column: Annotated[str | None, typer.Option(
        "--text-column", help="Read plain tables: the column holding the text.")] = None,
    id_column: Annotated[str | None, typer.Option(
        "--id-column", help="With --text-column: the id column (default: row number).")] = None,
    min_theme_size: Annotated[int | None, typer.Option(
        "--min-theme-size", min=2, help="Smallest theme (default: automatic).")] = None,
    n_themes: Annotated[int | None, typer.Option(
        "--themes", min=1, help="Target number of themes (default: automatic).")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help=f"Random seed (default {default('themes', 'seed')}).")] = None,
    model_dir: Annotated[Path | None, typer.Option(
        "--model", help="Assign to the themes of a saved model instead of fitting.")] = None,
    level: Annotated[str, typer.Option(
        "--level", help="fine (default) or coarse: the groups of fine themes.")] = "fine",
    opts: InputOptions | None = None,
) -> None:
    """Find themes in customer messages, or assign messages to saved themes (--model)."""
    # startup: these load numpy, pandas, pyarrow only when the command runs
    from mining.themes.hierarchy import apply_level, check_level
    from mining.themes.run import print_themes, run_themes

    check_level(level)

    settings = opts.settings(
        themes={"min_theme_size": min_theme_size, "n_themes": n_themes, "seed": seed})
    result = run_themes(
        inputs, out, kind=kind, text_column=text_column, id_column=id_column, settings=settings,
        model_dir=model_dir, progress=bool(STATE.get("progress")), events=opts.events,
        outcomes=opts.outcomes,
    )
    result = apply_level(result, level)  # parent_theme_id; coarse rows with --level coarse
    if not STATE.get("quiet"):
        print_themes(result)
