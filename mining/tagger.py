"""Former home of the tagging pipeline; kept so old imports work. Use ``mining.tag``.

The pipeline is now a list of named steps in :mod:`mining.tagging`.
"""

from __future__ import annotations

from mining.progress import status as _status
from mining.tagging import TagResult
from mining.tagging import tag as tag_corpus

__all__ = ["TagResult", "tag_corpus", "_status"]
