"""Minimal GGUF v3 writer and reader, and the Q8_0 quantizer (numpy only).

Format: ggml docs/gguf.md (GGUF v3, little-endian). Layout: magic "GGUF", u32 version, u64
tensor count, u64 KV count; KV pairs (string key, u32 type, value); tensor infos (string name,
u32 n_dims, u64 ne[n_dims], u32 ggml type, u64 offset into the data section); padding to
`general.alignment` (default 32); tensor data, each tensor starting at an aligned offset.
Strings are u64 length + UTF-8 bytes. Arrays are u32 element type + u64 count + elements.

Shapes: GGUF lists ne[0] first = the fastest-moving (row) dimension, so a row-major numpy array
of shape [rows, cols] has ne = [cols, rows]. A PyTorch nn.Linear weight [out, in] is written as is
and appears as ne = [in, out].

Q8_0 (ggml-quants.c quantize_row_q8_0_ref): blocks of 32 values along a row; per block
d = max|x| / 127 stored as f16, q[j] = roundf(x[j] * (1/d)) as int8 (0 where d == 0); 34 bytes.
"""

import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGNMENT = 32

# value types
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR = {
    UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i",
    FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d",
}

# ggml tensor types used here
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
QK8_0 = 32
Q8_0_BLOCK_BYTES = 2 + QK8_0
TYPE_NAMES = {GGML_F32: "F32", GGML_F16: "F16", GGML_Q8_0: "Q8_0"}

# general.file_type (llama_ftype)
FTYPE_ALL_F32, FTYPE_MOSTLY_Q8_0 = 0, 7


class GGUFError(ValueError):
    """Malformed GGUF input: says what was wrong and at which byte offset."""


# --- Q8_0 -------------------------------------------------------------------------------------

def _roundf(x):
    """C roundf on float32: nearest integer, halves away from zero (np.round rounds to even)."""
    t = np.trunc(x)
    frac = np.abs(x - t)
    return t + np.sign(x) * (frac >= np.float32(0.5))


def quantize_q8_0(x):
    """float32 array [..., n] (n % 32 == 0) -> (d float16 [..., n/32], q int8 [..., n/32, 32])."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape[-1] % QK8_0 != 0:
        raise ValueError(f"gguf: Q8_0 row length {x.shape[-1]} is not a multiple of {QK8_0}")
    blocks = x.reshape(*x.shape[:-1], x.shape[-1] // QK8_0, QK8_0)
    amax = np.abs(blocks).max(axis=-1)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1) / np.where(d != 0, d, np.float32(1)), np.float32(0)).astype(np.float32)
    q = _roundf((blocks * inv[..., None]).astype(np.float32)).astype(np.int8)
    return d.astype(np.float16), q


def q8_0_bytes(x):
    """Serialized Q8_0 blocks of a float32 array (rows along the last axis)."""
    d, q = quantize_q8_0(x)
    n_blocks = d.size
    out = np.empty((n_blocks, Q8_0_BLOCK_BYTES), dtype=np.uint8)
    out[:, :2] = d.reshape(-1).view(np.uint8).reshape(n_blocks, 2)
    out[:, 2:] = q.reshape(n_blocks, QK8_0).view(np.uint8)
    return out.tobytes()


def dequantize_q8_0(raw: bytes, n: int):
    """n float32 values from Q8_0 bytes."""
    if n % QK8_0 != 0 or len(raw) != n // QK8_0 * Q8_0_BLOCK_BYTES:
        raise GGUFError(f"gguf: {len(raw)} bytes is not Q8_0 data for {n} values")
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, Q8_0_BLOCK_BYTES)
    d = b[:, :2].copy().view(np.float16).astype(np.float32)
    q = b[:, 2:].copy().view(np.int8).astype(np.float32)
    return (d * q).reshape(-1)


def tensor_nbytes(ggml_type, n):
    if ggml_type == GGML_F32:
        return 4 * n
    if ggml_type == GGML_F16:
        return 2 * n
    if ggml_type == GGML_Q8_0:
        return n // QK8_0 * Q8_0_BLOCK_BYTES
    raise GGUFError(f"gguf: unsupported tensor type {ggml_type}")


# --- writer -----------------------------------------------------------------------------------

def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(vtype, v) -> bytes:
    if vtype == STRING:
        return _str(v)
    if vtype in _SCALAR:
        return struct.pack(_SCALAR[vtype], v)
    raise ValueError(f"gguf: cannot write value type {vtype}")


def _kv(key, vtype, value, elem_type=None) -> bytes:
    out = _str(key) + struct.pack("<I", vtype)
    if vtype == ARRAY:
        out += struct.pack("<IQ", elem_type, len(value))
        if elem_type in (INT32, UINT32, FLOAT32) and not isinstance(value, (bytes, str)):
            fmt = {INT32: "<i4", UINT32: "<u4", FLOAT32: "<f4"}[elem_type]
            out += np.asarray(value, dtype=fmt).tobytes()
        else:
            out += b"".join(_value(elem_type, e) for e in value)
        return out
    return out + _value(vtype, value)


class Writer:
    """Collects KV pairs and tensors, then writes one GGUF v3 file.

    kv(key, type, value[, elem_type]) adds a pair (type ARRAY needs elem_type); tensor(name, array,
    ggml_type) adds a float32 array (numpy row-major shape; written as F32, F16 or Q8_0).
    """

    def __init__(self):
        self.kvs = []
        self.tensors = []

    def kv(self, key, vtype, value, elem_type=None):
        if vtype == ARRAY and elem_type is None:
            raise ValueError("gguf: an ARRAY value needs elem_type")
        self.kvs.append((key, vtype, value, elem_type))

    def tensor(self, name, array, ggml_type=GGML_F32):
        a = np.ascontiguousarray(array, dtype=np.float32)
        if ggml_type == GGML_F32:
            data = a.tobytes()
        elif ggml_type == GGML_F16:
            data = a.astype(np.float16).tobytes()
        elif ggml_type == GGML_Q8_0:
            data = q8_0_bytes(a)
        else:
            raise ValueError(f"gguf: unsupported tensor type {ggml_type}")
        ne = list(reversed(a.shape))
        self.tensors.append((name, ne, ggml_type, data))

    def write(self, path):
        head = GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kvs))
        head += b"".join(_kv(*kv) for kv in self.kvs)
        offset = 0
        infos = []
        for name, ne, t, data in self.tensors:
            infos.append(_str(name) + struct.pack("<I", len(ne)) +
                         b"".join(struct.pack("<Q", n) for n in ne) + struct.pack("<IQ", t, offset))
            offset += len(data)
            offset += (-offset) % ALIGNMENT
        head += b"".join(infos)
        head += b"\0" * ((-len(head)) % ALIGNMENT)
        with open(path, "wb") as f:
            f.write(head)
            for _, _, _, data in self.tensors:
                f.write(data)
                f.write(b"\0" * ((-len(data)) % ALIGNMENT))


# --- reader -----------------------------------------------------------------------------------

class Reader:
    """Parses a GGUF v2/v3 file from bytes. Attributes: version, kv (dict key -> value, arrays as
    lists), kv_types (key -> (type, elem_type)), tensors (name -> dict(ne, type, offset, nbytes)),
    data_start. tensor(name) returns a float32 numpy array in row-major shape (reversed ne)."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0
        if self._take(4) != GGUF_MAGIC:
            raise GGUFError("gguf: bad magic at offset 0")
        (self.version,) = self._unpack("<I")
        if self.version not in (2, 3):
            raise GGUFError(f"gguf: unsupported version {self.version} at offset 4")
        n_tensors, n_kv = self._unpack("<QQ")
        if n_tensors > len(data) or n_kv > len(data):
            raise GGUFError(f"gguf: implausible counts (tensors {n_tensors}, kv {n_kv})")
        self.kv, self.kv_types = {}, {}
        for _ in range(n_kv):
            key = self._string()
            (vt,) = self._unpack("<I")
            if vt == ARRAY:
                et, n = self._unpack("<IQ")
                if n > len(data):
                    raise GGUFError(f"gguf: array {key!r} claims {n} elements at offset {self.pos}")
                self.kv[key] = [self._read_value(et) for _ in range(n)]
                self.kv_types[key] = (ARRAY, et)
            else:
                self.kv[key] = self._read_value(vt)
                self.kv_types[key] = (vt, None)
        self.tensors = {}
        for _ in range(n_tensors):
            name = self._string()
            (nd,) = self._unpack("<I")
            if nd > 4:
                raise GGUFError(f"gguf: tensor {name!r} has {nd} dims at offset {self.pos}")
            ne = list(self._unpack("<" + "Q" * nd))
            t, off = self._unpack("<IQ")
            n = int(np.prod(ne)) if ne else 1
            self.tensors[name] = {"ne": ne, "type": t, "offset": off, "nbytes": tensor_nbytes(t, n)}
        align = self.kv.get("general.alignment", ALIGNMENT)
        self.data_start = self.pos + (-self.pos) % align
        for name, ti in self.tensors.items():
            if ti["offset"] % align or self.data_start + ti["offset"] + ti["nbytes"] > len(data):
                raise GGUFError(f"gguf: tensor {name!r} data out of bounds or misaligned")

    def _take(self, n):
        if self.pos + n > len(self.data):
            raise GGUFError(f"gguf: unexpected end of file at offset {self.pos} (need {n} bytes)")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def _unpack(self, fmt):
        return struct.unpack(fmt, self._take(struct.calcsize(fmt)))

    def _string(self):
        (n,) = self._unpack("<Q")
        raw = self._take(n)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise GGUFError(f"gguf: string at offset {self.pos - n} is not UTF-8") from e

    def _read_value(self, vt):
        if vt == STRING:
            return self._string()
        if vt in _SCALAR:
            return self._unpack(_SCALAR[vt])[0]
        raise GGUFError(f"gguf: unknown value type {vt} at offset {self.pos}")

    def raw(self, name):
        ti = self.tensors[name]
        s = self.data_start + ti["offset"]
        return self.data[s:s + ti["nbytes"]]

    def tensor(self, name):
        ti = self.tensors[name]
        n = int(np.prod(ti["ne"]))
        raw = self.raw(name)
        if ti["type"] == GGML_F32:
            a = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif ti["type"] == GGML_F16:
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        elif ti["type"] == GGML_Q8_0:
            a = dequantize_q8_0(raw, n)
        else:
            raise GGUFError(f"gguf: tensor {name!r} has unsupported type {ti['type']}")
        return a.reshape(list(reversed(ti["ne"])))


def read(path):
    with open(path, "rb") as f:
        return Reader(f.read())


def dump(path, max_array=8):
    """Human-readable summary of a GGUF file (keys, then tensors), as a string."""
    r = read(path)
    lines = [f"GGUF v{r.version}: {len(r.kv)} keys, {len(r.tensors)} tensors, data at {r.data_start}"]
    for k, v in r.kv.items():
        if isinstance(v, list):
            lines.append(f"  {k} = [{len(v)}] {v[:max_array]}{' ...' if len(v) > max_array else ''}")
        else:
            lines.append(f"  {k} = {v!r}")
    for name, ti in r.tensors.items():
        lines.append(f"  {name} {TYPE_NAMES.get(ti['type'], ti['type'])} ne={ti['ne']}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    for p in sys.argv[1:]:
        print(p)
        print(dump(p))
