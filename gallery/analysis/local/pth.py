"""Read a PyTorch legacy (pre-zip) ``.pth`` state dict into numpy, without torch.

The legacy format written by ``torch.save(..., _use_new_zipfile_serialization=False)``
is a sequence of pickles followed by raw storage bytes:

1. a magic number, 2. the protocol version, 3. a dict of system info,
4. the state dict itself, whose tensors reference their storages through
   pickle *persistent ids* ``('storage', StorageType, key, location, numel, ...)``,
5. the list of storage keys, in the order their bytes follow,
6. for each key: a little-endian int64 element count, then the raw elements.

Unpickling is restricted to the handful of globals such a file needs, so a
tampered weights file cannot run code.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

# Storage class name -> numpy dtype (little-endian, as the file header says).
_STORAGE_DTYPES: dict[str, np.dtype] = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class PthFormatError(ValueError):
    """The file is not a legacy PyTorch state dict this reader understands."""


@dataclass(frozen=True)
class _StorageType:
    name: str

    @property
    def dtype(self) -> np.dtype:
        return _STORAGE_DTYPES[self.name]


@dataclass
class _StorageRef:
    key: str
    dtype: np.dtype
    numel: int


@dataclass
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_rest) -> _TensorRef:
    # Signature mirrors torch._utils._rebuild_tensor_v2; requires_grad,
    # backward hooks and metadata are irrelevant for inference weights.
    if not isinstance(storage, _StorageRef):
        raise PthFormatError("tensor without a storage")
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise PthFormatError(f"forbidden global in weights file: {module}.{name}")

    def persistent_load(self, pid: Any) -> _StorageRef:
        # ('storage', storage_type, root_key, location, numel[, view_metadata])
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise PthFormatError(f"unexpected persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise PthFormatError(f"unexpected storage type {storage_type!r}")
        if len(pid) > 5 and pid[5] is not None:
            raise PthFormatError("storage views are not supported")
        return _StorageRef(str(key), storage_type.dtype, int(numel))


def _safe_load(f: BinaryIO) -> Any:
    # The header pickles hold only plain ints/dicts: no globals allowed at all.
    return _RestrictedUnpickler(f).load()


def read_state_dict(source: str | Path | bytes) -> dict[str, np.ndarray]:
    """Return the tensors of a legacy ``.pth`` state dict as numpy arrays."""
    if isinstance(source, bytes | bytearray):
        f: BinaryIO = io.BytesIO(source)
    else:
        f = io.BytesIO(Path(source).read_bytes())
    try:
        return _read(f)
    except PthFormatError:
        raise
    except (pickle.UnpicklingError, EOFError, struct.error, ValueError) as exc:
        raise PthFormatError(f"cannot read weights: {exc}") from exc


def _read(f: BinaryIO) -> dict[str, np.ndarray]:
    if _safe_load(f) != MAGIC_NUMBER:
        raise PthFormatError("not a legacy PyTorch file (bad magic number)")
    if _safe_load(f) != PROTOCOL_VERSION:
        raise PthFormatError("unsupported PyTorch protocol version")
    sys_info = _safe_load(f)
    if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
        raise PthFormatError("only little-endian files are supported")

    state = _RestrictedUnpickler(f).load()
    if not isinstance(state, dict):
        raise PthFormatError("the file does not hold a state dict")
    keys = _safe_load(f)
    if not isinstance(keys, list):
        raise PthFormatError("missing storage key list")

    dtypes = {}
    for ref in state.values():
        if isinstance(ref, _TensorRef):
            dtypes[ref.storage.key] = ref.storage.dtype
    storages: dict[str, np.ndarray] = {}
    for key in keys:
        (numel,) = struct.unpack("<q", f.read(8))
        dtype = dtypes.get(key, np.dtype("u1"))
        raw = f.read(numel * dtype.itemsize)
        if len(raw) != numel * dtype.itemsize:
            raise PthFormatError("truncated storage data")
        storages[key] = np.frombuffer(raw, dtype=dtype)

    out: dict[str, np.ndarray] = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            raise PthFormatError(f"{name} is not a tensor")
        out[name] = _materialise(ref, storages)
    return out


def _materialise(ref: _TensorRef, storages: dict[str, np.ndarray]) -> np.ndarray:
    base = storages.get(ref.storage.key)
    if base is None:
        raise PthFormatError(f"missing storage {ref.storage.key}")
    if not ref.size:  # a scalar
        return base[ref.offset : ref.offset + 1].reshape(()).copy()
    if 0 in ref.size:
        return np.zeros(ref.size, dtype=base.dtype)
    # Bounds check before as_strided, which would otherwise read past the buffer.
    last = ref.offset + sum(
        (n - 1) * s for n, s in zip(ref.size, ref.stride, strict=True)
    )
    if ref.offset < 0 or last >= base.size or min(ref.stride) < 0:
        raise PthFormatError("tensor lies outside its storage")
    item = base.itemsize
    view = np.lib.stride_tricks.as_strided(
        base[ref.offset :],
        shape=ref.size,
        strides=tuple(s * item for s in ref.stride),
        writeable=False,
    )
    return np.array(view, copy=True)
