"""An int8 ONNX Runtime backend for sentence-transformers models (the packaged MiniLM by default).

On first use the model's transformer is exported from the installed weights with
``torch.onnx.export`` (nothing is downloaded), its weight matrices are quantised to int8 with
ONNX Runtime's dynamic quantisation (per output channel, ``MatMul`` with constant weights only,
which keeps the vectors within ~0.99 cosine of fp32), checked against the fp32 model on a few
sentences, and cached as ``<cache_dir>/models/<identity>.onnx``. Later runs load that file and do
not import torch at all.

Encoding is what sentence-transformers does for a ``Transformer -> Pooling(mean) [-> Normalize]``
model: texts stripped, tokenised with the model's own ``tokenizer.json`` (truncated to its
``max_seq_length``), the token vectors averaged, and the mean L2-normalised. Each text is run
**alone** (a batch of one, no padding): dynamic quantisation computes the activations' int8 scale
per call over the whole input tensor, so in a shared batch a text's vector would depend on its
neighbours (and the themes on the cache history). One text per call makes its vector a function
of the text only; the calls run on a pool of ``threads`` Python threads sharing one session with
one intra-op thread each (ONNX Runtime releases the GIL), which is also faster than padded
batches on short messages (``benchmarks/results/embed_speed.md``).

Only such models are eligible (:func:`ineligible` says why another is not); ``embed.backend =
"auto"`` uses this backend for them when ``onnxruntime`` loads, and sentence-transformers on torch
otherwise (``docs/decisions.md``).
"""

from __future__ import annotations

import json
import logging
import logging as _logging
import os
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from mining.embed_cache import default_cache_dir, model_dim, safe_name

log = logging.getLogger("mining.embed")

#: Bumped when the export or quantisation recipe changes: a new model file and cache identity.
RECIPE = "onnx-int8-v1"
#: Bumped when the way texts are run through the model changes: a new vector cache identity.
ENCODING = "solo-v1"
#: Fewest mean cosine between the int8 and fp32 vectors of :data:`CHECK_TEXTS` for a built model.
MIN_CHECK_COSINE = 0.98
#: Sentences of different lengths and registers used to check a freshly built model.
CHECK_TEXTS = (
    "How much is the annual plan?",
    "That's way too expensive for a team of our size, honestly.",
    "We already use a competitor and switching would take months of work.",
    "ok",
    "Can you send me the contract so legal can review the data processing terms before Friday?",
    "Le prix est trop élevé pour nous.",
    "I need to check with my manager first, she signs off on anything over $5k.",
    "Thanks, the refund arrived this morning!",
)


def onnx_runtime_loads() -> bool:
    """Whether ``onnxruntime`` and ``onnx`` import in this environment."""
    try:
        # optional: probes whether onnx and onnxruntime import at all
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken install is the same as none
        return False
    return True


def _modules(folder: Path) -> list[dict[str, Any]]:
    try:
        return list(json.loads((folder / "modules.json").read_text()))
    except (OSError, ValueError, TypeError):
        return []


def ineligible(folder: Path) -> str | None:
    """Why the sentence-transformers model in ``folder`` cannot run on this backend, or None."""
    types = [m.get("type", "").rsplit(".", 1)[-1] for m in _modules(folder)]
    if types not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return f"modules {types or 'unknown'} (needs Transformer, Pooling[, Normalize])"
    if not (folder / "tokenizer.json").is_file():
        return "no tokenizer.json"
    pool = _pooling(folder)
    modes = [k for k, v in pool.items() if k.startswith("pooling_mode") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        return f"pooling {modes} (needs mean pooling)"
    return None


def _pooling(folder: Path) -> dict[str, Any]:
    for m in _modules(folder):
        if m.get("type", "").endswith("Pooling"):
            try:
                return dict(json.loads((folder / m.get("path", "") / "config.json").read_text()))
            except (OSError, ValueError, TypeError):
                return {}
    return {}


def max_seq_length(folder: Path) -> int:
    """The model's ``max_seq_length`` (sentence_bert_config.json), else 256."""
    try:
        cfg = json.loads((folder / "sentence_bert_config.json").read_text())
        return int(cfg.get("max_seq_length") or 256)
    except (OSError, ValueError, TypeError):
        return 256


def _l2_mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None].astype(np.float32)
    summed = (hidden.astype(np.float32) * m).sum(axis=1)
    mean = summed / np.clip(m.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(mean, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (mean / norms).astype(np.float32)


class OnnxEmbedder:
    """A mean-pooling sentence-transformers model run as int8 ONNX (see module docstring).

    Args:
        name: The embedder name (e.g. ``"all-MiniLM-L6-v2"``).
        folder: The sentence-transformers model folder.
        fingerprint: The folder's fingerprint (``mining.embed._fingerprint``).
        cache_dir: Where ``models/<identity>.onnx`` is kept; None: ``default_cache_dir()``.
        threads: Texts run at once (one intra-op thread each); 0: one per core.
    """

    backend = "onnx-int8"

    def __init__(self, name: str, folder: Path, fingerprint: str,
                 cache_dir: Path | None = None, threads: int = 0) -> None:
        self.name = name
        self.folder = Path(folder)
        stem = f"{safe_name(name)}-{fingerprint}-{RECIPE}"
        self.identity = f"{stem}-{ENCODING}"
        self.dim = model_dim(self.folder) or 384
        self.path = Path(cache_dir or default_cache_dir()) / "models" / f"{stem}.onnx"
        self.threads = int(threads)
        self.max_length = max_seq_length(self.folder)
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        # sent to a Dask worker (inside a fitted model): the session is rebuilt there on first use
        return {**self.__dict__, "_session": None, "_tokenizer": None, "_inputs": set()}

    def ensure_model(self) -> Path:
        """Build the int8 ONNX file when it is not cached yet; return its path.

        Raises:
            RuntimeError: When the export, quantisation or the check against fp32 fails.
        """
        if not self.path.is_file():
            build_int8(self.folder, self.path, self.max_length)
        return self.path

    def _load(self) -> None:
        # heavy: onnxruntime, tokenizers load only when _load() runs
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = self.ensure_model()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # parallel over texts instead (see encode)
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = _tokenizer(self.folder, self.max_length, pad=False)
        assert isinstance(self._tokenizer, Tokenizer)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Embed texts, each alone (see module docstring); float32 ``(n, dim)`` unit rows.

        Args:
            texts: The texts.
            batch_size: Texts tokenised together (the model still runs one text per call, so the
                vectors do not depend on it).
        """
        if self._session is None:
            self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        workers = self.threads or os.cpu_count() or 1
        pool = ThreadPoolExecutor(workers) if workers > 1 else None
        try:
            for lo in range(0, len(texts), batch_size):
                enc = self._tokenizer.encode_batch([str(t).strip()
                                                    for t in texts[lo:lo + batch_size]])
                rows = pool.map(self._encode_one, enc) if pool else map(self._encode_one, enc)
                for i, row in enumerate(rows):
                    out[lo + i] = row
        finally:
            if pool is not None:
                pool.shutdown()
        return out

    def _encode_one(self, enc: Any) -> np.ndarray:
        ids = np.asarray([enc.ids], dtype=np.int64)
        mask = np.asarray([enc.attention_mask], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.asarray([enc.type_ids], dtype=np.int64)
        hidden = self._session.run(None, feed)[0]
        return _l2_mean_pool(hidden, mask)[0]


def _tokenizer(folder: Path, max_length: int, pad: bool = True) -> Any:
    """The model's fast tokenizer, truncating to ``max_length`` (and padding to the batch max)."""
    # heavy: tokenizers loads only when _tokenizer() runs
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length)
    if not pad:
        tok.no_padding()  # tokenizer.json may carry a padding setting of its own
        return tok
    pad_id = tok.token_to_id("[PAD]")
    pad_id = 0 if pad_id is None else pad_id
    tok.enable_padding(pad_id=pad_id, pad_token=tok.id_to_token(pad_id) or "[PAD]")
    return tok


def build_int8(folder: Path, dest: Path, max_length: int = 256) -> None:
    """Export the transformer in ``folder`` to ONNX, quantise it to int8 and check it.

    The file is written under a temporary name and renamed into place, so concurrent builds (two
    runs, or several Dask workers) never read a half-written model.

    Args:
        folder: The sentence-transformers model folder.
        dest: The ``.onnx`` file to create.
        max_length: Truncation length used for the check sentences.

    Raises:
        RuntimeError: When any step fails, or the int8 vectors' mean cosine to fp32 on
            :data:`CHECK_TEXTS` is below :data:`MIN_CHECK_COSINE`.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".build-") as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        feed = _check_feed(folder, max_length)
        ref = _export_fp32(folder, fp32, feed)
        _quantize(fp32, int8)
        cos = _check(int8, feed, ref)
        if cos < MIN_CHECK_COSINE:
            raise RuntimeError(f"int8 vectors are {cos:.3f} cosine from fp32 "
                               f"(needs {MIN_CHECK_COSINE})")
        os.replace(int8, dest)
    log.info("built the int8 ONNX model %s (check cosine %.4f)", dest.name, cos)


def _check_feed(folder: Path, max_length: int) -> dict[str, np.ndarray]:
    """The model inputs of :data:`CHECK_TEXTS`."""
    enc = _tokenizer(folder, max_length).encode_batch(list(CHECK_TEXTS))
    return {"input_ids": np.array([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64)}


def _export_fp32(folder: Path, path: Path, feed: dict[str, np.ndarray]) -> np.ndarray:
    """Export the transformer's last hidden state with dynamic batch and sequence axes.

    Returns:
        The fp32 torch vectors of ``feed`` (computed before the export), for :func:`_check`.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    # heavy: torch, transformers load only when _export_fp32() runs
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # stderr belongs to our own progress display
    model = AutoModel.from_pretrained(str(folder))
    model.eval()
    typed = getattr(model.config, "type_vocab_size", 0) > 0
    with torch.no_grad():
        kw = {k: torch.from_numpy(v) for k, v in feed.items()
              if typed or k != "token_type_ids"}
        ref = _l2_mean_pool(model(**kw).last_hidden_state.numpy(), feed["attention_mask"])

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            kw = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              **kw).last_hidden_state

    ids = torch.tensor([[101, 2129, 2172, 2003, 1996, 2933, 102, 0],
                        [101, 7592, 102, 0, 0, 0, 0, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if typed else [])
    args = (ids, mask, torch.zeros_like(ids)) if typed else (ids, mask)
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(_Hidden(model), args, str(path), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    return ref


def _quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation of the weight matmuls, per output channel."""
    # heavy: onnxruntime.quantization loads only when _quantize() runs
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = _logging.getLogger()
    level = root.level
    root.setLevel(_logging.ERROR)  # the quantiser logs a pre-processing hint at WARNING
    try:
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"],
                         extra_options={"MatMulConstBOnly": True})
    finally:
        root.setLevel(level)


def _check(int8: Path, feed: dict[str, np.ndarray], ref: np.ndarray) -> float:
    """Mean cosine between the fp32 torch vectors ``ref`` and the int8 ONNX vectors of ``feed``."""
    # heavy: onnxruntime loads only when _check() runs
    import onnxruntime as ort

    sess = ort.InferenceSession(str(int8), providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}
    q = _l2_mean_pool(sess.run(None, {k: v for k, v in feed.items() if k in names})[0],
                      feed["attention_mask"])
    return float((q * ref).sum(axis=1).mean())
