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

import typer

from mining.cli._app import STATE, app, handle_errors


@app.command("themes")
@handle_errors
def themes_command(
    inputs: list[Path] = typer.Argument(  # noqa: B008
        ..., help="Message tables, chat exports, e-mail or folders."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder."),  # noqa: B008
    kind: str = typer.Option("intent", "--kind", help="intent, objection or reply."),
    text_column: str | None = typer.Option(
        None, "--text-column", help="Read plain tables: the column holding the text."),
    id_column: str | None = typer.Option(
        None, "--id-column", help="With --text-column: the id column (default: row number)."),
    min_theme_size: int | None = typer.Option(
        None, "--min-theme-size", min=2, help="Smallest theme (default: automatic)."),
    n_themes: int | None = typer.Option(
        None, "--themes", min=1, help="Target number of themes (default: automatic)."),
    seed: int = typer.Option(42, "--seed", help="Random seed."),
    embedder: str | None = typer.Option(
        None, "--embedder", help="Embedding model name or folder (default: all-MiniLM-L6-v2)."),
    reducer: str = typer.Option("umap", "--reducer", help="umap (default) or pca (faster)."),
    model_dir: Path | None = typer.Option(  # noqa: B008
        None, "--model", help="Assign to the themes of a saved model instead of fitting."),
    agent_domain: list[str] = typer.Option(  # noqa: B008
        None, "--agent-domain", help="E-mail domain of your side (repeatable; e-mail inputs)."),
    no_redact: bool = typer.Option(False, "--no-redact", help="Do not redact personal data."),
    level: str = typer.Option(
        "fine", "--level", help="fine (default) or coarse: the groups of fine themes."),
) -> None:
    """Find themes in customer messages, or assign messages to saved themes (--model)."""
    from mining.themes.hierarchy import apply_level, check_level
    from mining.themes.run import print_themes, run_themes

    check_level(level)

    result = run_themes(
        inputs, out, kind=kind, text_column=text_column, id_column=id_column,
        min_theme_size=min_theme_size, n_themes=n_themes, seed=seed, embedder=embedder,
        reducer=reducer,
        model_dir=model_dir, redact=not no_redact, progress=bool(STATE.get("progress")),
        agent_domains=agent_domain or (),
    )
    result = apply_level(result, level)  # parent_theme_id; coarse rows with --level coarse
    if not STATE.get("quiet"):
        print_themes(result)
