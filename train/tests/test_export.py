"""GGUF model export and LoRA export (PEFT + GGUF), checked against ../shared/testdata's files."""

import json
import os
import tempfile
import unittest

from helpers import HAVE_NUMPY, SHARED_TESTDATA, tiny_tokenizer_json

if HAVE_NUMPY:
    import numpy as np
    import export
    import gguf

MODELS = os.path.join(SHARED_TESTDATA, "models")
LORA = os.path.join(SHARED_TESTDATA, "lora")
CFG = {"vocab_size": 267, "dim": 64, "n_layer": 2, "n_head": 4, "n_kv_head": 2, "ffn_dim": 128,
       "max_seq": 512, "rope_base": 10000.0, "norm_eps": 1e-6}


def random_state(rng):
    d, f, kv = 64, 128, 32
    s = {"model.embed_tokens.weight": rng.standard_normal((267, d)), "model.norm.weight": rng.standard_normal(d)}
    for i in range(2):
        p = f"model.layers.{i}."
        s.update({
            p + "input_layernorm.weight": rng.standard_normal(d),
            p + "self_attn.q_proj.weight": rng.standard_normal((d, d)), p + "self_attn.q_proj.bias": rng.standard_normal(d),
            p + "self_attn.k_proj.weight": rng.standard_normal((kv, d)), p + "self_attn.k_proj.bias": rng.standard_normal(kv),
            p + "self_attn.v_proj.weight": rng.standard_normal((kv, d)), p + "self_attn.v_proj.bias": rng.standard_normal(kv),
            p + "self_attn.o_proj.weight": rng.standard_normal((d, d)),
            p + "post_attention_layernorm.weight": rng.standard_normal(d),
            p + "mlp.gate_proj.weight": rng.standard_normal((f, d)), p + "mlp.up_proj.weight": rng.standard_normal((f, d)),
            p + "mlp.down_proj.weight": rng.standard_normal((d, f)),
        })
    return {k: v.astype(np.float32) for k, v in s.items()}


@unittest.skipUnless(HAVE_NUMPY, "needs numpy")
class TestExportModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.state = random_state(np.random.default_rng(0))
        cls.tok = tiny_tokenizer_json([("i", "n"), ("Ġ", "in")])
        cls.paths = {}
        for q in ("f32", "q8_0"):
            cls.paths[q] = os.path.join(cls.tmp.name, f"m-{q}.gguf")
            export.export_model(cls.state, CFG, cls.tok, cls.paths[q], q, "test-model")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_names(self):
        cases = [("model.embed_tokens.weight", "token_embd.weight"), ("model.norm.weight", "output_norm.weight"),
                 ("model.layers.3.self_attn.q_proj.bias", "blk.3.attn_q.bias"),
                 ("model.layers.0.self_attn.o_proj.weight", "blk.0.attn_output.weight"),
                 ("model.layers.1.post_attention_layernorm.weight", "blk.1.ffn_norm.weight"),
                 ("model.layers.1.mlp.down_proj.weight", "blk.1.ffn_down.weight")]
        for hf, want in cases:
            self.assertEqual(export.gguf_name(hf), want)

    def test_f32_round_trip(self):
        r = gguf.read(self.paths["f32"])
        self.assertEqual(r.kv["general.file_type"], 0)
        for hf, v in self.state.items():
            np.testing.assert_array_equal(r.tensor(export.gguf_name(hf)), v, hf)
        self.assertEqual(r.tensors["blk.0.attn_k.weight"]["ne"], [64, 32])
        self.assertEqual(r.tensors["token_embd.weight"]["ne"], [64, 267])
        self.assertNotIn("output.weight", r.tensors)  # tied embeddings

    def test_q8_0_types(self):
        r = gguf.read(self.paths["q8_0"])
        self.assertEqual(r.kv["general.file_type"], 7)
        for name, ti in r.tensors.items():
            want = gguf.GGML_Q8_0 if len(ti["ne"]) == 2 else gguf.GGML_F32
            self.assertEqual(ti["type"], want, name)
        w = self.state["model.layers.1.mlp.up_proj.weight"]
        np.testing.assert_allclose(r.tensor("blk.1.ffn_up.weight"), w, atol=np.abs(w).max() / 127)

    def test_tokenizer_metadata(self):
        r = gguf.read(self.paths["f32"])
        toks = r.kv["tokenizer.ggml.tokens"]
        self.assertEqual(len(toks), 267)
        self.assertEqual(toks[256], "in")
        self.assertEqual(toks[258], "<|endoftext|>")
        self.assertEqual(r.kv["tokenizer.ggml.merges"], ["i n", "Ġ in"])
        self.assertEqual(r.kv["tokenizer.ggml.token_type"][258], 3)
        self.assertEqual(r.kv["tokenizer.ggml.token_type"][100], 1)
        for k in ("bos", "eos", "padding"):
            self.assertEqual(r.kv[f"tokenizer.ggml.{k}_token_id"], 258)
        self.assertIs(r.kv["tokenizer.ggml.add_bos_token"], False)
        self.assertEqual(r.kv["tokenizer.ggml.pre"], "qwen2")

    @unittest.skipUnless(os.path.isdir(MODELS), "../shared/testdata absent")
    def test_same_keys_and_tensors_as_reference(self):
        ref = gguf.read(os.path.join(MODELS, "tiny-qwen2-f32.gguf"))
        mine = gguf.read(self.paths["f32"])
        for k, t in ref.kv_types.items():
            if k == "general.description":
                continue
            self.assertIn(k, mine.kv_types)
            self.assertEqual(mine.kv_types[k], t, k)
        self.assertEqual(set(mine.tensors), set(ref.tensors))
        for name, ti in ref.tensors.items():
            if name != "token_embd.weight":
                self.assertEqual(mine.tensors[name]["ne"], ti["ne"], name)


@unittest.skipUnless(HAVE_NUMPY, "needs numpy")
class TestExportLoRA(unittest.TestCase):
    def test_safetensors_byte_identical_to_reference(self):
        path = os.path.join(LORA, "tiny-qwen2-lora-peft", "adapter_model.safetensors")
        if not os.path.exists(path):
            self.skipTest("../shared/testdata absent")
        tensors = export.read_safetensors(path)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "a.safetensors")
            export.write_safetensors(p, tensors)
            with open(p, "rb") as f, open(path, "rb") as g:
                self.assertEqual(f.read(), g.read())

    @unittest.skipUnless(os.path.isdir(LORA), "../shared/testdata absent")
    def test_reference_adapter_through_our_exporter(self):
        # Feed the reference PEFT tensors to export_lora: our PEFT folder and GGUF must carry the
        # same values, names, shapes and keys as the reference pair (qwen2: no Q/K permutation).
        ref_peft = os.path.join(LORA, "tiny-qwen2-lora-peft")
        st = export.read_safetensors(os.path.join(ref_peft, "adapter_model.safetensors"))
        lora = {}
        for name, a in st.items():
            module = name[len("base_model.model."):].rsplit(".lora_", 1)[0]
            A, B = lora.get(module, (None, None))
            lora[module] = (a, B) if ".lora_A." in name else (A, a)
        with tempfile.TemporaryDirectory() as d:
            export.export_lora(lora, 4, 8, os.path.join(d, "peft"), os.path.join(d, "lora.gguf"),
                               "Tiny Qwen2 Lora Peft", "tiny-qwen2-random")
            with open(os.path.join(d, "peft", "adapter_config.json")) as f:
                mine_cfg = json.load(f)
            with open(os.path.join(ref_peft, "adapter_config.json")) as f:
                ref_cfg = json.load(f)
            self.assertEqual(mine_cfg, ref_cfg)
            with open(os.path.join(d, "peft", "adapter_model.safetensors"), "rb") as f, \
                    open(os.path.join(ref_peft, "adapter_model.safetensors"), "rb") as g:
                self.assertEqual(f.read(), g.read())
            mine = gguf.read(os.path.join(d, "lora.gguf"))
        ref = gguf.read(os.path.join(LORA, "tiny-qwen2-lora.gguf"))
        for k in ("general.architecture", "general.type", "adapter.type", "adapter.lora.alpha", "general.name"):
            self.assertEqual(mine.kv[k], ref.kv[k], k)
            self.assertEqual(mine.kv_types[k], ref.kv_types[k], k)
        self.assertEqual(set(mine.tensors), set(ref.tensors))
        for name, ti in ref.tensors.items():
            self.assertEqual(mine.tensors[name]["ne"], ti["ne"], name)
            self.assertEqual(mine.raw(name), ref.raw(name), name)


if __name__ == "__main__":
    unittest.main()
