"""GGUF writer/reader and the Q8_0 quantizer (numpy only; no torch needed)."""

import os
import struct
import tempfile
import unittest

from helpers import HAVE_NUMPY, SHARED_TESTDATA

if HAVE_NUMPY:
    import numpy as np
    import gguf


@unittest.skipUnless(HAVE_NUMPY, "needs numpy")
class TestQ8_0(unittest.TestCase):
    def test_hand_derived_blocks(self):
        x = np.zeros(96, dtype=np.float32)
        # block 0: max|x| = 127 -> d = 1.0 (f16 0x3C00); q = roundf(x), halves away from zero
        x[:10] = [127, -127, 0.5, -0.5, 1.5, 2.5, -2.5, 0.49, 3.7, -126.5]
        # block 1: all zero -> d = 0, q = 0
        # block 2: max|x| = 63.5 -> d = 0.5 (f16 0x3800); q = roundf(2x)
        x[64:68] = [63.5, 1.25, -0.75, 0.2]
        raw = gguf.q8_0_bytes(x)
        self.assertEqual(len(raw), 3 * 34)
        want0 = struct.pack("<H", 0x3C00) + struct.pack("<10b", 127, -127, 1, -1, 2, 3, -3, 0, 4, -127) + bytes(22)
        want1 = bytes(34)
        want2 = struct.pack("<H", 0x3800) + struct.pack("<4b", 127, 3, -2, 0) + bytes(28)
        self.assertEqual(raw, want0 + want1 + want2)
        back = gguf.dequantize_q8_0(raw, 96)
        self.assertEqual(back[5], 3.0)
        self.assertEqual(back[65], 1.5)

    def test_rejects_bad_row_length(self):
        with self.assertRaises(ValueError):
            gguf.q8_0_bytes(np.zeros(33, dtype=np.float32))

    def test_error_bound(self):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((4, 256)).astype(np.float32)
        back = gguf.dequantize_q8_0(gguf.q8_0_bytes(x), x.size).reshape(x.shape)
        amax = np.abs(x.reshape(4, 8, 32)).max(-1, keepdims=True)
        # |x - d q| <= d/2 (+ f16 rounding of d, relative 2^-11 of |q| <= 127)
        bound = (amax / 127 * (0.5 + 127 * 2.0 ** -11)).repeat(32, -1).reshape(x.shape)
        self.assertTrue(np.all(np.abs(back - x) <= bound + 1e-7))

    @unittest.skipUnless(os.path.isdir(os.path.join(SHARED_TESTDATA, "models")), "../shared/testdata absent")
    def test_matches_llama_quantize(self):
        # tiny-qwen2-q8_0.gguf was made from tiny-qwen2-f32.gguf by llama.cpp's llama-quantize.
        f32 = gguf.read(os.path.join(SHARED_TESTDATA, "models", "tiny-qwen2-f32.gguf"))
        q8 = gguf.read(os.path.join(SHARED_TESTDATA, "models", "tiny-qwen2-q8_0.gguf"))
        n = 0
        for name, ti in q8.tensors.items():
            if ti["type"] == gguf.GGML_Q8_0:
                self.assertEqual(gguf.q8_0_bytes(f32.tensor(name)), q8.raw(name), name)
                n += 1
        self.assertEqual(n, 15)


@unittest.skipUnless(HAVE_NUMPY, "needs numpy")
class TestWriterReader(unittest.TestCase):
    def test_round_trip(self):
        w = gguf.Writer()
        w.kv("general.architecture", gguf.STRING, "qwen2")
        w.kv("a.u8", gguf.UINT8, 200)
        w.kv("a.i8", gguf.INT8, -5)
        w.kv("a.u16", gguf.UINT16, 65000)
        w.kv("a.i16", gguf.INT16, -300)
        w.kv("a.u32", gguf.UINT32, 4_000_000_000)
        w.kv("a.i32", gguf.INT32, -70000)
        w.kv("a.f32", gguf.FLOAT32, 1e-6)
        w.kv("a.bool", gguf.BOOL, True)
        w.kv("a.u64", gguf.UINT64, 2 ** 40)
        w.kv("a.i64", gguf.INT64, -(2 ** 40))
        w.kv("a.f64", gguf.FLOAT64, 0.1)
        w.kv("a.strs", gguf.ARRAY, ["x", "Ġé", ""], gguf.STRING)
        w.kv("a.ints", gguf.ARRAY, [1, -2, 3], gguf.INT32)
        rng = np.random.default_rng(1)
        t1 = rng.standard_normal((3, 5)).astype(np.float32)
        t2 = rng.standard_normal((2, 64)).astype(np.float32)
        t3 = rng.standard_normal(7).astype(np.float32)
        w.tensor("t1", t1)
        w.tensor("t2", t2, gguf.GGML_Q8_0)
        w.tensor("t3", t3, gguf.GGML_F16)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.gguf")
            w.write(p)
            r = gguf.read(p)
            with open(p, "rb") as f:
                raw = f.read()
        self.assertEqual(raw[:4], b"GGUF")
        self.assertEqual(struct.unpack("<IQQ", raw[4:24]), (3, 3, 14))
        self.assertEqual(r.kv["a.u8"], 200)
        self.assertEqual(r.kv["a.i16"], -300)
        self.assertEqual(r.kv["a.u32"], 4_000_000_000)
        self.assertAlmostEqual(r.kv["a.f32"], 1e-6, places=12)
        self.assertIs(r.kv["a.bool"], True)
        self.assertEqual(r.kv["a.i64"], -(2 ** 40))
        self.assertEqual(r.kv["a.f64"], 0.1)
        self.assertEqual(r.kv["a.strs"], ["x", "Ġé", ""])
        self.assertEqual(r.kv_types["a.ints"], (gguf.ARRAY, gguf.INT32))
        self.assertEqual(r.kv["a.ints"], [1, -2, 3])
        self.assertEqual(r.tensors["t1"]["ne"], [5, 3])
        self.assertEqual(r.tensors["t2"]["ne"], [64, 2])
        self.assertEqual(r.data_start % 32, 0)
        for ti in r.tensors.values():
            self.assertEqual(ti["offset"] % 32, 0)
        np.testing.assert_array_equal(r.tensor("t1"), t1)
        np.testing.assert_array_equal(r.tensor("t3"), t3.astype(np.float16).astype(np.float32))
        np.testing.assert_allclose(r.tensor("t2"), t2, atol=np.abs(t2).max() / 127)

    @unittest.skipUnless(os.path.isdir(os.path.join(SHARED_TESTDATA, "models")), "../shared/testdata absent")
    def test_rewrites_reference_file_byte_for_byte(self):
        # tiny-qwen2-f32.gguf was written by llama.cpp's gguf-py; reading it and writing the same
        # keys and tensors back must give the same bytes.
        path = os.path.join(SHARED_TESTDATA, "models", "tiny-qwen2-f32.gguf")
        r = gguf.read(path)
        w = gguf.Writer()
        for k, v in r.kv.items():
            vt, et = r.kv_types[k]
            w.kv(k, vt, v, et)
        for name in r.tensors:
            w.tensor(name, r.tensor(name))
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.gguf")
            w.write(p)
            with open(p, "rb") as f:
                mine = f.read()
        self.assertEqual(mine, r.data)

    def test_reader_rejects_bad_input(self):
        w = gguf.Writer()
        w.kv("k", gguf.STRING, "v")
        w.tensor("t", np.ones(8, dtype=np.float32))
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.gguf")
            w.write(p)
            with open(p, "rb") as f:
                good = f.read()
        cases = [
            ("bad magic", b"GGUX" + good[4:]),
            ("bad version", good[:4] + struct.pack("<I", 9) + good[8:]),
            ("truncated header", good[:30]),
            ("truncated data", good[:-8]),
            ("huge count", good[:8] + struct.pack("<Q", 2 ** 60) + good[16:]),
        ]
        for name, data in cases:
            with self.subTest(name=name), self.assertRaises(gguf.GGUFError):
                gguf.Reader(data)


if __name__ == "__main__":
    unittest.main()
