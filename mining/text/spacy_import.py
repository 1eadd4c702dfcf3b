"""spaCy without torch: thinc, which spaCy imports, imports torch whenever it is installed.

That costs about 190 MB of memory and a second of start-up in every process that segments or
matches cues (the run itself, each cue-matching helper, each Dask worker), although journeymine's
spaCy pipelines (blank English, sentencizer, lookup lemmatizer, Matcher) never use it. The
places that may import spaCy first therefore call :func:`import_spacy`: ``get_nlp`` (every
pipeline, matcher and cue check starts there) and the name finder's stop words and NER lookup. It
hides torch from that one import; torch imports normally afterwards (the torch embedding backend
still works), and thinc only believes it has no torch.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType

_lock = threading.Lock()


def import_spacy() -> ModuleType:
    """The ``spacy`` module, imported (the first time) without torch being imported with it."""
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    with _lock:
        hide = "torch" not in sys.modules
        if hide:
            sys.modules["torch"] = None  # type: ignore[assignment] - makes `import torch` fail
        try:
            # heavy: spacy loads only when a pipeline or matcher is first needed
            import spacy
        finally:
            if hide and sys.modules.get("torch", 0) is None:
                del sys.modules["torch"]
    return spacy
