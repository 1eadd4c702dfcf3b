"""Writing a fitted model's folder: ``config.json`` and ``meta.json``, the same way for every model.

Every saved model (ThemeModel, ObjectionDetector, StageTagger) is a folder with a JSON config,
``.npy`` arrays and a ``meta.json`` naming the model and the library version. No pickles.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mining import __version__


def write_model_files(folder: str | Path, model: str, config: dict[str, Any],
                      **meta: Any) -> Path:
    """Create ``folder`` and write ``config.json`` and ``meta.json`` into it.

    Args:
        folder: The model folder (created with its parents).
        model: The model's class name, recorded in ``meta.json``.
        config: JSON-serialisable parameters and learned scalars.
        **meta: Extra ``meta.json`` fields (e.g. a format version or sizes).

    Returns:
        The folder as a ``Path``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    info = {"library": "journeymine", "version": __version__, "model": model,
            "created": datetime.now(timezone.utc).isoformat(), **meta}
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (folder / "meta.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return folder


def embedder_name(embedder: Any) -> str | None:
    """The name to save for an embedder given as a name, None or an embedder object."""
    if embedder is None or isinstance(embedder, str):
        return embedder
    return getattr(embedder, "name", None)
