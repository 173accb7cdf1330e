"""Qwen2 decoder-only transformer, exactly as llama.cpp runs architecture `qwen2`.

Layout per block (pre-norm):  h = x + o_proj(attn(rms_norm(x)));  out = h + down(silu(gate(n)) * up(n))
with n = rms_norm(h). Attention: GQA (n_kv_head groups), Q/K/V projections with bias, RoPE in
NEOX / rotate_half layout (dim i rotates with dim i + head_dim/2; llama.cpp LLAMA_ROPE_TYPE_NEOX,
no Q/K row permutation), causal softmax scaled by 1/sqrt(head_dim). RMSNorm eps 1e-6. The output
head is tied to the token embedding (no output.weight), like Qwen2.5-0.5B.

Parameter names follow Hugging Face's Qwen2ForCausalLM (model.layers.N.self_attn.q_proj...), so
that a LoRA on these modules maps 1:1 onto PEFT names. Sources: llama.cpp src/llama-model.cpp
(LLM_ARCH_QWEN2), transformers models/qwen2/modeling_qwen2.py.
"""

import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    """Model hyperparameters (names as in GGUF `qwen2.*` keys where one exists)."""
    vocab_size: int = 8192
    dim: int = 256            # qwen2.embedding_length
    n_layer: int = 8          # qwen2.block_count
    n_head: int = 4           # qwen2.attention.head_count
    n_kv_head: int = 2        # qwen2.attention.head_count_kv
    ffn_dim: int = 768        # qwen2.feed_forward_length
    max_seq: int = 1024       # qwen2.context_length
    rope_base: float = 10000.0
    norm_eps: float = 1e-6

    @property
    def head_dim(self):
        return self.dim // self.n_head

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LoRALinear(nn.Module):
    """y = W x (+ b) + (alpha / r) * B (A x), as PEFT's lora.Linear (no dropout, no rsLoRA).

    A: [r, in] (kaiming-uniform init, as PEFT), B: [out, r] (zeros), so training starts at W.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.r = r
        self.alpha = alpha
        self.scaling = alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + self.scaling * F.linear(F.linear(x, self.lora_A), self.lora_B)


def rope_cos_sin(cfg: Config, positions: torch.Tensor):
    """cos/sin tables [T, head_dim] for NEOX-style RoPE (freqs repeated over both halves)."""
    hd = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_base ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = positions.to(torch.float64)[:, None] * inv_freq[None, :]
    ang = torch.cat([ang, ang], dim=-1)
    return ang.cos().float(), ang.sin().float()


def apply_rope(x, cos, sin):
    """x: [B, H, T, hd]; rotate_half layout (x1 = first half, x2 = second half)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    rot = torch.cat([-x2, x1], dim=-1)
    return x * cos + rot * sin


_MASKS = {}


def causal_mask(T, S):
    """Bool [T, S], True where query t must NOT see key s (s > S - T + t)."""
    key = (T, S)
    if key not in _MASKS:
        if len(_MASKS) > 64:
            _MASKS.clear()
        _MASKS[key] = ~torch.ones(T, S, dtype=torch.bool).tril(diagonal=S - T)
    return _MASKS[key]


class Attention(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.q_proj = nn.Linear(cfg.dim, cfg.n_head * hd, bias=True)
        self.k_proj = nn.Linear(cfg.dim, cfg.n_kv_head * hd, bias=True)
        self.v_proj = nn.Linear(cfg.dim, cfg.n_kv_head * hd, bias=True)
        self.o_proj = nn.Linear(cfg.n_head * hd, cfg.dim, bias=False)

    def forward(self, x, cos, sin, cache=None):
        B, T, _ = x.shape
        cfg = self.cfg
        hd = cfg.head_dim
        q = self.q_proj(x).view(B, T, cfg.n_head, hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, cfg.n_kv_head, hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, cfg.n_kv_head, hd).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        if cache is not None:
            if cache.get("k") is not None:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        # GQA without copying K/V: group the query heads that share a KV head, so one matmul per
        # KV head covers `rep` query heads ([B, KV, rep*T, hd] @ [B, KV, hd, S]).
        rep = cfg.n_head // cfg.n_kv_head
        S = k.shape[2]
        qg = (q * (1.0 / math.sqrt(hd))).reshape(B, cfg.n_kv_head, rep * T, hd)
        att = (qg @ k.transpose(-1, -2)).view(B, cfg.n_kv_head, rep, T, S)
        # causal mask: query t (absolute position S - T + t) sees keys 0..S-T+t
        att = att.masked_fill(causal_mask(T, S), float("-inf"))
        p = F.softmax(att, dim=-1).view(B, cfg.n_kv_head, rep * T, S)
        y = (p @ v).view(B, cfg.n_head, T, hd)
        y = y.transpose(1, 2).reshape(B, T, cfg.n_head * hd)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.up_proj = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)
        self.down_proj = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, cache=None):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache)
        return x + self.mlp(self.post_attention_layernorm(x))


class Inner(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)


class Qwen2(nn.Module):
    """Qwen2ForCausalLM-shaped module; `model.` prefix as in Hugging Face checkpoints."""

    LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.model = Inner(cfg)
        self._init_weights()

    def _init_weights(self):
        std = 0.02
        resid_std = std / math.sqrt(2 * self.cfg.n_layer)
        for name, p in self.named_parameters():
            if name.endswith("norm.weight"):
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            elif name.endswith("o_proj.weight") or name.endswith("down_proj.weight"):
                nn.init.normal_(p, 0.0, resid_std)
            else:
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, caches=None, start_pos=0):
        """idx [B, T] token ids -> logits [B, T, vocab]. caches: list of dicts per layer or None."""
        T = idx.shape[1]
        cos, sin = rope_cos_sin(self.cfg, torch.arange(start_pos, start_pos + T))
        x = self.model.embed_tokens(idx)
        for i, layer in enumerate(self.model.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i])
        x = self.model.norm(x)
        return F.linear(x, self.model.embed_tokens.weight)

    def new_caches(self):
        return [dict() for _ in range(self.cfg.n_layer)]

    def add_lora(self, r, alpha):
        """Wrap every target projection in a LoRALinear and freeze everything else."""
        for p in self.parameters():
            p.requires_grad_(False)
        for layer in self.model.layers:
            for parent in (layer.self_attn, layer.mlp):
                for name in self.LORA_TARGETS:
                    if hasattr(parent, name):
                        setattr(parent, name, LoRALinear(getattr(parent, name), r, alpha))

    def lora_modules(self):
        """Yields (hf_module_name, LoRALinear), e.g. ('model.layers.0.self_attn.q_proj', m)."""
        for name, m in self.named_modules():
            if isinstance(m, LoRALinear):
                yield name, m


def count_params(model: nn.Module, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


@torch.no_grad()
def greedy(model: Qwen2, prompt, max_new, stop_ids=(), return_logits=False):
    """Greedy (argmax) continuation with a KV cache. Returns (tokens, logits per step or None).

    Token 0 is the argmax of the last prompt position, as llama.cpp's greedy chain; generation
    stops after a token in stop_ids (included) or after max_new tokens.
    """
    caches = model.new_caches()
    logits = model(torch.tensor([prompt]), caches, 0)[0, -1]
    pos = len(prompt)
    out, all_logits = [], []
    for _ in range(max_new):
        tok = int(torch.argmax(logits))
        out.append(tok)
        if return_logits:
            all_logits.append(logits.clone())
        if tok in stop_ids:
            break
        logits = model(torch.tensor([[tok]]), caches, pos)[0, -1]
        pos += 1
    return out, (all_logits if return_logits else None)
