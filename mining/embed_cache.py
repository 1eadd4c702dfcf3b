"""On-disk cache of embedding vectors, keyed by model identity and text hash.

Layout: ``<cache_dir>/embeddings/<identity>/`` holds ``meta.json`` and append-only shards
``shard-<pid>-<random>.npz``, each with ``keys`` (uint8 ``(k, 32)``, sha256 of the UTF-8 text)
and ``vectors`` (float32 ``(k, dim)``). A shard is written under a temporary name and renamed into
place, so concurrent runs never read half a shard; shards are read with ``allow_pickle=False``;
a damaged or vanished shard counts as a miss; more than ``MAX_SHARDS`` shards are merged into
one. No text is stored, only hashes. ``docs/decisions.md`` explains the choice.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CACHE_FORMAT = 1
MAX_SHARDS = 32  # more shards than this are merged into one on the next write


def default_cache_dir() -> Path:
    """``$JOURNEYMINE_CACHE``, or ``~/.cache/journeymine``."""
    env = os.environ.get("JOURNEYMINE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "journeymine"


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """Return the cache keys of ``texts``: sha256 of the UTF-8 text, uint8 ``(n, 32)``."""
    digests = b"".join(hashlib.sha256(t.encode("utf-8")).digest() for t in texts)
    return np.frombuffer(digests, dtype=np.uint8).reshape(len(texts), 32)


class VectorCache:
    """Append-only on-disk vectors of one embedder, keyed by text hash (see module docstring)."""

    def __init__(self, root: Path, identity: str, dim: int | None = None) -> None:
        self.folder = Path(root) / "embeddings" / identity
        self.identity = identity
        self.dim = dim

    def _shards(self) -> list[Path]:
        return sorted(self.folder.glob("shard-*.npz")) if self.folder.is_dir() else []

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Find cached vectors.

        Args:
            keys: uint8 ``(n, 32)`` keys from :func:`text_keys`.

        Returns:
            ``(found, vectors)``: a bool mask of the keys found, and float32 ``(n, dim)`` with the
            found rows filled (None when nothing was found).
        """
        want = {k.tobytes(): i for i, k in enumerate(keys)}
        found = np.zeros(len(keys), dtype=bool)
        out: np.ndarray | None = None
        for shard in self._shards():
            try:
                with np.load(shard, allow_pickle=False) as z:
                    skeys = z["keys"]
                    rows = [(want[k.tobytes()], j) for j, k in enumerate(skeys)
                            if k.tobytes() in want]
                    rows = [(i, j) for i, j in rows if not found[i]]
                    if not rows:
                        continue
                    vecs = z["vectors"]
            except (OSError, ValueError, KeyError, EOFError, zlib.error):
                continue  # removed by a concurrent compaction, or damaged: treat as a miss
            if out is None:
                out = np.zeros((len(keys), vecs.shape[1]), dtype=np.float32)
            if vecs.shape[1] != out.shape[1]:
                continue
            dst, src = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
            out[dst] = vecs[src]
            found[dst] = True
            if found.all():
                break
        return found, out

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Append a shard atomically (write to a temporary name, then rename)."""
        if len(keys) == 0:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = self.folder / "meta.json"
        if not meta.exists():
            self._atomic_json(meta, {"identity": self.identity, "dim": int(vectors.shape[1]),
                                     "format": CACHE_FORMAT})
        name = f"shard-{os.getpid()}-{os.urandom(6).hex()}.npz"
        self._atomic_npz(self.folder / name, keys, vectors)
        shards = self._shards()
        if len(shards) > MAX_SHARDS:
            self._compact(shards)

    def _compact(self, shards: list[Path]) -> None:
        keys, vecs, done = [], [], []
        for shard in shards:
            try:
                with np.load(shard, allow_pickle=False) as z:
                    keys.append(z["keys"])
                    vecs.append(z["vectors"])
                done.append(shard)
            except (OSError, ValueError, KeyError, EOFError, zlib.error):
                continue
        if len(done) < 2:
            return
        k = np.concatenate(keys)
        _, first = np.unique(k, axis=0, return_index=True)
        first.sort()
        name = f"shard-{os.getpid()}-{os.urandom(6).hex()}.npz"
        self._atomic_npz(self.folder / name, k[first], np.concatenate(vecs)[first])
        for shard in done:
            shard.unlink(missing_ok=True)

    @staticmethod
    def _atomic_npz(path: Path, keys: np.ndarray, vectors: np.ndarray) -> None:
        tmp = path.with_name(f".tmp-{path.name}")
        with open(tmp, "wb") as fh:
            np.savez(fh, keys=np.ascontiguousarray(keys, dtype=np.uint8),
                     vectors=np.ascontiguousarray(vectors, dtype=np.float32))
        os.replace(tmp, path)

    @staticmethod
    def _atomic_json(path: Path, data: dict) -> None:
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)
