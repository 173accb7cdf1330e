"""The exported GGUF files run in llama.cpp (node-llama-cpp 3.21.1) and give PyTorch's greedy tokens.

A random-weight qwen2 model (weights scaled like ../shared/testdata/models: logits with RMS ~2,
so argmax margins are wide) is exported as F32 and Q8_0 with a random LoRA (B non-zero);
llama.cpp's greedy chains must equal PyTorch's: F32 against the model itself, Q8_0 against
PyTorch running the dequantized Q8_0 weights, the GGUF LoRA against PyTorch's LoRA forward.
Skips without torch, node or tools/peers/node_modules (run `npm ci` in tools/peers).
"""

import json
import os
import subprocess
import tempfile
import unittest

from helpers import HAVE_LLAMA_CPP, HAVE_NUMPY, HAVE_TORCH, PEERS, tiny_tokenizer_json


def random_qwen2(seed=7):
    import torch
    from model import Config, Qwen2
    cfg = Config(vocab_size=265, dim=64, n_layer=2, n_head=4, n_kv_head=2, ffn_dim=128, max_seq=256)
    m = Qwen2(cfg)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif name == "model.embed_tokens.weight":
                p.copy_(0.25 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5)
    m.eval()
    return m


def add_random_lora(m, seed=11, r=4, alpha=8.0):
    import torch
    m.add_lora(r, alpha)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, mod in m.lora_modules():
            mod.lora_A.copy_(torch.randn(mod.lora_A.shape, generator=g) / mod.lora_A.shape[1] ** 0.5)
            mod.lora_B.copy_(0.05 * torch.randn(mod.lora_B.shape, generator=g))
    return m


def llama_greedy(model_path, prompts, n, lora=None):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([{"tokens": p} for p in prompts], f)
        inp = f.name
    try:
        cmd = ["node", os.path.join(PEERS, "greedy.mjs"), "--model", model_path, "--batch", inp,
               "--n", str(n), "--kv", "f32", "--ctx", "256"]
        if lora:
            cmd += ["--lora", lora]
        res = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)
    finally:
        os.remove(inp)
    return [r["greedy_tokens"] for r in json.loads(res.stdout)["results"]]


@unittest.skipUnless(HAVE_TORCH and HAVE_NUMPY and HAVE_LLAMA_CPP,
                     "needs torch, numpy, node and tools/peers/node_modules/node-llama-cpp")
class TestLlamaCpp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import torch
        import export
        torch.set_num_threads(1)
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.tok_json = tiny_tokenizer_json()
        cls.model = random_qwen2()
        state = {k: v.numpy() for k, v in cls.model.state_dict().items()}
        cfg = cls.model.cfg.to_dict()
        cls.f32 = os.path.join(d, "m-f32.gguf")
        cls.q8 = os.path.join(d, "m-q8_0.gguf")
        export.export_model(state, cfg, cls.tok_json, cls.f32, "f32", "random")
        export.export_model(state, cfg, cls.tok_json, cls.q8, "q8_0", "random")
        cls.lora_model = add_random_lora(random_qwen2())
        lora = {n: (m.lora_A.detach().numpy(), m.lora_B.detach().numpy()) for n, m in cls.lora_model.lora_modules()}
        cls.lora_gguf = os.path.join(d, "lora.gguf")
        export.export_lora(lora, 4, 8.0, os.path.join(d, "peft"), cls.lora_gguf, "random-lora", "random")
        g = torch.Generator().manual_seed(3)
        cls.prompts = [torch.randint(0, 256, (n,), generator=g).tolist() for n in (5, 17, 40)]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def torch_chains(self, model, n=16):
        from model import greedy
        return [greedy(model, p, n)[0] for p in self.prompts]

    def test_f32_greedy_matches(self):
        self.assertEqual(llama_greedy(self.f32, self.prompts, 16), self.torch_chains(self.model))

    def test_q8_0_greedy_matches_dequantized(self):
        # llama.cpp also rounds activations to Q8_0 blocks inside each matmul, so compare each chain
        # only up to the first step where PyTorch's top-1/top-2 logit margin is under 0.05.
        import torch
        from evaluate import model_from_gguf
        from model import greedy
        deq = model_from_gguf(self.q8)
        ll = llama_greedy(self.q8, self.prompts, 16)
        compared = 0
        for p, got in zip(self.prompts, ll):
            want, logits = greedy(deq, p, 16, return_logits=True)
            for i, v in enumerate(logits):
                top2 = torch.topk(v, 2).values
                if float(top2[0] - top2[1]) < 0.05:
                    break
                self.assertEqual(got[i], want[i], f"prompt {p}: step {i}: llama.cpp {got} vs PyTorch {want}")
                compared += 1
        self.assertGreater(compared, 24, "too few steps with a clear margin to compare")

    def test_lora_greedy_matches(self):
        base_chains = self.torch_chains(self.model)
        lora_chains = self.torch_chains(self.lora_model)
        self.assertNotEqual(base_chains, lora_chains, "the random LoRA should change the output")
        self.assertEqual(llama_greedy(self.f32, self.prompts, 16, lora=self.lora_gguf), lora_chains)


if __name__ == "__main__":
    unittest.main()
