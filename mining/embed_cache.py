"""On-disk cache of embedding vectors, keyed by model identity and text hash.

Layout: ``<cache_dir>/embeddings/<identity>/`` holds ``meta.json`` and append-only shards
``shard-<pid>-<random>.npz``, each with ``keys`` (uint8 ``(k, 32)``, sha256 of the UTF-8 text)
and ``vectors`` (float32 ``(k, dim)``). A shard is written under a temporary name and renamed into
place, so concurrent runs never read half a shard; shards are read with ``allow_pickle=False``;
a vanished shard counts as a miss, and so does a damaged one, which is removed with a warning
(W201); more than ``MAX_SHARDS`` shards are merged into one. No text is stored, only hashes.
``docs/decisions.md`` explains the choice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mining.errors import Warnings

CACHE_FORMAT = 1
MAX_SHARDS = 32  # more shards than this are merged into one on the next write

log = logging.getLogger(__name__)

#: What reading a damaged shard can raise (truncated zip, bad member, wrong shapes or dtypes).
_DAMAGED = (zipfile.BadZipFile, ValueError, KeyError, EOFError, zlib.error, IndexError)


def _load_shard(
    shard: Path, wanted: Callable[[np.ndarray], bool] | None = None
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Read one shard's ``(keys, vectors)``; None when it vanished or is damaged.

    Args:
        shard: The ``.npz`` file.
        wanted: Called with the shard's keys; when it returns False the vectors are not read
            (``(keys, None)`` is returned).

    A damaged shard (truncated by a crash or a full disk, or not a shard at all) is a cache miss:
    it is removed with a warning (W201), so later runs neither crash nor warn again.
    """
    try:
        with np.load(shard, allow_pickle=False) as z:
            keys = z["keys"]
            if keys.dtype != np.uint8 or keys.ndim != 2 or keys.shape[1] != 32:
                raise ValueError("the keys are not 32-byte hashes")
            if wanted is not None and not wanted(keys):
                return keys, None
            vecs = z["vectors"]
        if vecs.ndim != 2 or len(vecs) != len(keys):
            raise ValueError("keys and vectors do not match")
        return keys, vecs
    except FileNotFoundError:
        return None  # removed by a concurrent compaction
    except _DAMAGED as err:
        detail = " ".join(str(err).split())[:80] or type(err).__name__
        log.warning(Warnings.W201.format(path=shard, detail=detail))
        shard.unlink(missing_ok=True)
        return None
    except OSError as err:  # unreadable (permissions): a miss, but not ours to delete
        log.warning(Warnings.W201.format(path=shard, detail=err.strerror or type(err).__name__)
                    .replace("it was removed and", "it was left in place and"))
        return None


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
            hits: list[tuple[int, int]] = []

            def wanted(skeys: np.ndarray, hits: list = hits) -> bool:
                hits.extend((want[k.tobytes()], j) for j, k in enumerate(skeys)
                            if k.tobytes() in want and not found[want[k.tobytes()]])
                return bool(hits)

            loaded = _load_shard(shard, wanted)
            if loaded is None or loaded[1] is None:
                continue
            vecs, rows = loaded[1], hits
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
            loaded = _load_shard(shard)
            if loaded is None:
                continue
            keys.append(loaded[0])
            vecs.append(loaded[1])
            done.append(shard)
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


def model_dim(folder: Path) -> int | None:
    """The output dimension a sentence-transformers model folder declares; None if unknown."""
    try:
        modules = json.loads((folder / "modules.json").read_text())
        dim = None
        for m in modules:
            cfg = folder / m.get("path", "") / "config.json"
            if m.get("type", "").endswith("Pooling") and cfg.is_file():
                dim = json.loads(cfg.read_text()).get("word_embedding_dimension")
            elif m.get("type", "").endswith("Dense") and cfg.is_file():
                dim = json.loads(cfg.read_text()).get("out_features")
        return int(dim) if dim else None
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def safe_name(name: str) -> str:
    """``name`` reduced to a short string that is safe as a file or folder name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:60] or "model"
