"""Cue matching on more than one core: large batches are split with helper processes.

spaCy's tokenizer and Matcher hold the GIL, so threads do not help; cue matching was the largest
single-core stretch of a big run (objections, stages, replies and intents each match every
text). :meth:`mining.cues.CueMatcher.match` hands all but the first part of a large batch
(:data:`SPLIT_MIN` texts or more) to :func:`submit`, matches the first part itself meanwhile and
joins the parts in order. Each text is matched on its own, so the result equals matching the
whole batch in one process.

The helpers are ``spawn``-ed processes (no copy of this process's memory or threads), started on
first use and kept for the life of the process; each builds the matcher of a taxonomy once and
keeps it. Nothing is split, and no process is started, when ``tagging.cue_processes`` is 1, on a
one-core machine, or inside a daemonic process (a Dask worker, which cannot have children; the
cluster spreads the work there already). A helper that dies is replaced by matching its part in
this process (:data:`mining.errors.Warnings.W212`), so a result is never lost.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from mining.errors import Warnings

if TYPE_CHECKING:
    from mining.cues import CueMatcher, CueResult
    from mining.taxonomy import TaxonomyFile

log = logging.getLogger(__name__)

#: Fewest texts for which a batch is split (below it, starting and feeding a helper costs more
#: than it saves).
SPLIT_MIN = 2000

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_pool_size = 0
#: In a helper process: taxonomy key -> its matcher, built on first use.
_matchers: dict[str, CueMatcher] = {}


def processes(setting: int) -> int:
    """How many processes match one batch (this one included) for ``tagging.cue_processes``.

    Args:
        setting: ``tagging.cue_processes``: 0 one per core, 1 this process only, N at most N.
    """
    if not can_share():
        return 1
    cores = os.cpu_count() or 1
    return max(1, min(int(setting) or cores, cores))


def can_share() -> bool:
    """Whether this process may start helpers: not inside a daemonic process (a Dask worker).

    Asked when a batch is matched, not only when the setting is read: a model whose matcher was
    set to share on the client is pickled to the workers as it is.
    """
    return not multiprocessing.current_process().daemon


def parts(n: int, count: int) -> list[tuple[int, int]]:
    """``count`` contiguous ``(start, stop)`` ranges covering ``range(n)``, sizes within one."""
    count = max(1, min(count, n))
    cuts = [n * i // count for i in range(count + 1)]
    return [(cuts[i], cuts[i + 1]) for i in range(count)]


def key_of(tf: TaxonomyFile, nlp_name: str) -> str:
    """A taxonomy file's identity for the helpers' matcher cache."""
    text = f"{nlp_name}\n{tf.model_dump_json()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _executor(helpers: int) -> ProcessPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < helpers:
            if _pool is not None:
                _pool.shutdown(wait=False, cancel_futures=False)
            _pool = ProcessPoolExecutor(helpers, mp_context=multiprocessing.get_context("spawn"))
            _pool_size = helpers
            log.info("cue matching: %d helper process(es) started (tagging.cue_processes)",
                     helpers)
        return _pool


def submit(matcher: CueMatcher, texts: list[str], batch_size: int, helpers: int
           ) -> Future[CueResult]:
    """Match ``texts`` in a helper process; the future's result is a ``CueResult``."""
    return _executor(helpers).submit(_match_in_helper, key_of(matcher.tf, matcher.nlp_name),
                                     matcher.tf, matcher.nlp_name, texts, batch_size)


def result(future: Future[CueResult], matcher: CueMatcher, texts: list[str], batch_size: int
           ) -> CueResult:
    """The helper's result, or the part matched here when the helper process died."""
    global _pool
    try:
        return future.result()
    except BrokenProcessPool as exc:
        log.warning("%s", Warnings.W212.format(detail=str(exc) or type(exc).__name__))
        with _lock:
            _pool = None
        return matcher.match_here(texts, batch_size)


def prestart(tfs: list[TaxonomyFile], nlp_name: str, count: int) -> None:
    """Start the helpers for ``count`` matching processes and build ``tfs``' matchers there.

    Returns at once: the helpers start while this process goes on (e.g. embeds), so the first
    shared batch does not wait for them. Nothing happens for ``count`` below 2.
    """
    if count < 2:
        return
    pool = _executor(count - 1)
    for _ in range(count - 1):
        pool.submit(_build_in_helper, [(key_of(tf, nlp_name), tf) for tf in tfs], nlp_name)


def _build_in_helper(tfs: list[tuple[str, TaxonomyFile]], nlp_name: str) -> int:
    """Run in a helper: build (and keep) the matchers of ``tfs``; how many were new."""
    new = sum(key not in _matchers for key, _ in tfs)
    for key, tf in tfs:
        _matcher(key, tf, nlp_name)
    return new


def _match_in_helper(key: str, tf: TaxonomyFile, nlp_name: str, texts: list[str],
                     batch_size: int) -> CueResult:
    """Run in a helper: match ``texts`` with the (cached) matcher of ``tf``."""
    return _matcher(key, tf, nlp_name).match_here(texts, batch_size)


def _matcher(key: str, tf: TaxonomyFile, nlp_name: str) -> CueMatcher:
    """In a helper: the matcher of ``tf`` under ``key``, built on first use and kept."""
    if key not in _matchers:
        # cycle: mining.cues imports this module (the helper imports it when it first runs)
        from mining.cues import CueMatcher

        _matchers[key] = CueMatcher(tf, nlp_name, processes=1)
    return _matchers[key]


def shutdown() -> None:
    """Stop the helper processes (they are started again when needed)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
