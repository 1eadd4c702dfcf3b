"""spaCy is imported without torch (mining.text.spacy_import), and torch still imports later."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import sys
from mining.text.segment import get_nlp
from mining.cues import CueMatcher
from mining.taxonomy import load_taxonomy

nlp = get_nlp()
assert [s.text for s in nlp("Hi there. How much is it?").sents] == ["Hi there.", "How much is it?"]
CueMatcher(load_taxonomy().objections).match(["that's too expensive for us"])
print("torch after spacy:", "torch" in sys.modules)
import torch  # the torch embedding backend must still be able to import it
print("torch imports:", torch.tensor([1.0]).shape == (1,))
"""


def test_spacy_pipelines_load_without_torch_and_torch_imports_after():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert "torch after spacy: False" in out
    assert "torch imports: True" in out


def test_import_spacy_leaves_an_imported_torch_alone(monkeypatch):
    from mining.text import spacy_import

    marker = object()
    monkeypatch.setitem(sys.modules, "torch", marker)
    assert spacy_import.import_spacy() is sys.modules["spacy"]
    assert sys.modules["torch"] is marker
