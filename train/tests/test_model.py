"""The Qwen2 model (model.py): RoPE layout, GQA, KV cache, LoRA. Skips without torch."""

import math
import unittest

from helpers import HAVE_TORCH

if HAVE_TORCH:
    import torch
    import torch.nn.functional as F
    from model import Config, Qwen2, apply_rope, greedy, rope_cos_sin


def naive_forward(m, idx):
    """Straightforward Qwen2 forward (repeat_interleave GQA, explicit mask) to check the model."""
    cfg = m.cfg
    T = idx.shape[1]
    hd = cfg.head_dim
    x = m.model.embed_tokens(idx)
    pos = torch.arange(T, dtype=torch.float64)
    inv = 1.0 / (cfg.rope_base ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = pos[:, None] * inv[None]

    def rope(t):  # t [B, H, T, hd]; pair (i, i + hd/2) rotated by angle pos * inv[i]
        t1, t2 = t[..., : hd // 2].double(), t[..., hd // 2:].double()
        c, s = ang.cos(), ang.sin()
        return torch.cat([t1 * c - t2 * s, t1 * s + t2 * c], -1).float()

    def rms(v, w):
        return v / torch.sqrt(v.pow(2).mean(-1, keepdim=True) + cfg.norm_eps) * w

    for L in m.model.layers:
        h = rms(x, L.input_layernorm.weight)
        a = L.self_attn
        q = a.q_proj(h).view(1, T, cfg.n_head, hd).transpose(1, 2)
        k = a.k_proj(h).view(1, T, cfg.n_kv_head, hd).transpose(1, 2)
        v = a.v_proj(h).view(1, T, cfg.n_kv_head, hd).transpose(1, 2)
        q, k = rope(q), rope(k)
        rep = cfg.n_head // cfg.n_kv_head
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        att = q @ k.transpose(-1, -2) / math.sqrt(hd)
        att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(1, T, -1)
        x = x + a.o_proj(y)
        h = rms(x, L.post_attention_layernorm.weight)
        x = x + L.mlp.down_proj(F.silu(L.mlp.gate_proj(h)) * L.mlp.up_proj(h))
    x = rms(x, m.model.norm.weight)
    return x @ m.model.embed_tokens.weight.T


@unittest.skipUnless(HAVE_TORCH, "needs torch (Debian python3-torch)")
class TestModel(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        torch.set_num_threads(1)
        self.cfg = Config(vocab_size=97, dim=64, n_layer=2, n_head=4, n_kv_head=2, ffn_dim=96, max_seq=64)
        self.m = Qwen2(self.cfg)
        with torch.no_grad():  # larger weights than the training init so that errors show
            for n, p in self.m.named_parameters():
                if not n.endswith("norm.weight"):
                    p.normal_(0, 0.3)
        self.m.eval()
        self.idx = torch.randint(0, 97, (1, 19))

    def test_rope_neox_by_hand(self):
        # head_dim 4, position 1, base 10000: pairs (0,2) rotate by 1 rad, (1,3) by 1e-2 rad
        cfg = Config(dim=8, n_head=2, rope_base=10000.0)
        cos, sin = rope_cos_sin(cfg, torch.tensor([1]))
        x = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 1, 1, 4)
        got = apply_rope(x, cos, sin).view(-1)
        c0, s0, c1, s1 = math.cos(1), math.sin(1), math.cos(0.01), math.sin(0.01)
        want = [1 * c0 - 3 * s0, 2 * c1 - 4 * s1, 1 * s0 + 3 * c0, 2 * s1 + 4 * c1]
        for g, w in zip(got.tolist(), want):
            self.assertAlmostEqual(g, w, places=5)

    def test_matches_naive_forward(self):
        with torch.no_grad():
            got = self.m(self.idx)
            want = naive_forward(self.m, self.idx)
        self.assertLess((got - want).abs().max().item(), 1e-4)

    def test_kv_cache_matches_full_forward(self):
        with torch.no_grad():
            full = self.m(self.idx)[0]
            caches = self.m.new_caches()
            a = self.m(self.idx[:, :7], caches, 0)[0]
            b = self.m(self.idx[:, 7:8], caches, 7)[0]
            c = self.m(self.idx[:, 8:], caches, 8)[0]
        inc = torch.cat([a, b, c])
        self.assertLess((inc - full).abs().max().item(), 1e-4)

    def test_greedy_is_argmax_chain(self):
        chain, logits = greedy(self.m, self.idx[0].tolist(), 5, return_logits=True)
        seq = self.idx[0].tolist()
        for t, lg in zip(chain, logits):
            with torch.no_grad():
                full = self.m(torch.tensor([seq]))[0, -1]
            self.assertEqual(int(full.argmax()), t)
            self.assertLess((full - lg).abs().max().item(), 1e-4)
            seq.append(t)

    def test_greedy_stops(self):
        chain, _ = greedy(self.m, self.idx[0].tolist(), 10)
        stop = chain[2]
        short, _ = greedy(self.m, self.idx[0].tolist(), 10, stop_ids={stop})
        self.assertEqual(short, chain[: chain.index(stop) + 1])

    def test_lora(self):
        with torch.no_grad():
            before = self.m(self.idx)
        self.m.add_lora(4, 8.0)
        mods = dict(self.m.lora_modules())
        self.assertEqual(len(mods), 2 * 7)
        self.assertEqual(mods["model.layers.1.mlp.down_proj"].lora_A.shape, (4, 96))
        self.assertEqual(mods["model.layers.0.self_attn.k_proj"].lora_B.shape, (32, 4))
        trainable = [n for n, p in self.m.named_parameters() if p.requires_grad]
        self.assertTrue(all(n.endswith(("lora_A", "lora_B")) for n in trainable))
        with torch.no_grad():
            self.assertTrue(torch.equal(self.m(self.idx), before))  # B = 0 at init
            m = mods["model.layers.0.self_attn.q_proj"]
            m.lora_B.normal_()
            x = torch.randn(3, 64)
            want = m.base(x) + 2.0 * (x @ m.lora_A.T) @ m.lora_B.T  # alpha / r = 2
            self.assertLess((m(x) - want).abs().max().item(), 1e-4)
            merged = m.base.weight + 2.0 * m.lora_B @ m.lora_A
            self.assertLess((m(x) - F.linear(x, merged, m.base.bias)).abs().max().item(), 1e-4)


if __name__ == "__main__":
    unittest.main()
