"""Export trained models to GGUF (llama.cpp arch `qwen2`, F32 or Q8_0) and LoRA adapters to
Hugging Face PEFT (adapter_config.json + adapter_model.safetensors) and llama.cpp GGUF LoRA.

Tensor names and metadata keys follow llama.cpp's convert_hf_to_gguf.py for Qwen2
(gguf-py/gguf/constants.py MODEL_TENSORS[QWEN2]); the LoRA formats follow convert_lora_to_gguf.py
and PEFT, as ../shared/testdata/lora/README.md documents them.

Usage: python3 export.py model CKPT TOKENIZER_JSON OUT.gguf {f32,q8_0} NAME
       python3 export.py lora  CKPT PEFT_DIR OUT.gguf NAME BASE_NAME
"""

import json
import os
import struct
import sys

import numpy as np

import gguf

# Hugging Face module name (inside model.layers.N.) -> GGUF tensor name (inside blk.N.)
HF_TO_GGUF = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}


def gguf_name(hf: str) -> str:
    """'model.layers.3.self_attn.q_proj.weight' -> 'blk.3.attn_q.weight', etc."""
    if hf == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf == "model.norm.weight":
        return "output_norm.weight"
    parts = hf.split(".")
    if parts[:2] != ["model", "layers"]:
        raise KeyError(f"export: no GGUF name for {hf}")
    n = parts[2]
    module, kind = ".".join(parts[3:-1]), parts[-1]
    return f"blk.{n}.{HF_TO_GGUF[module]}.{kind}"


def tokenizer_kv(w: gguf.Writer, tok_json: dict):
    """tokenizer.ggml.* keys for a byte-level BPE tokenizer.json with Qwen2's pre-tokenizer."""
    vocab = dict(tok_json["model"]["vocab"])
    special = {t["content"]: t["id"] for t in tok_json["added_tokens"]}
    n = max(list(vocab.values()) + list(special.values())) + 1
    tokens = [None] * n
    types = [1] * n  # NORMAL
    for t, i in vocab.items():
        tokens[i] = t
    for t, i in special.items():
        tokens[i] = t
        types[i] = 3  # CONTROL, as llama.cpp's converter marks Qwen2's special added tokens
    if any(t is None for t in tokens):
        raise ValueError("export: token ids are not contiguous")
    merges = [m if isinstance(m, str) else " ".join(m) for m in tok_json["model"]["merges"]]
    eot = special["<|endoftext|>"]
    w.kv("tokenizer.ggml.model", gguf.STRING, "gpt2")
    w.kv("tokenizer.ggml.pre", gguf.STRING, "qwen2")
    w.kv("tokenizer.ggml.tokens", gguf.ARRAY, tokens, gguf.STRING)
    w.kv("tokenizer.ggml.token_type", gguf.ARRAY, types, gguf.INT32)
    w.kv("tokenizer.ggml.merges", gguf.ARRAY, merges, gguf.STRING)
    w.kv("tokenizer.ggml.eos_token_id", gguf.UINT32, eot)
    w.kv("tokenizer.ggml.padding_token_id", gguf.UINT32, eot)
    w.kv("tokenizer.ggml.bos_token_id", gguf.UINT32, eot)
    w.kv("tokenizer.ggml.add_bos_token", gguf.BOOL, False)
    return n


def export_model(state: dict, cfg: dict, tok_json: dict, path: str, qtype: str, name: str):
    """Write a qwen2 GGUF. state: HF-named float tensors (numpy or torch); qtype 'f32' or 'q8_0'.
    Q8_0 files keep norms and biases (1-D) in F32, as llama-quantize does."""
    if qtype not in ("f32", "q8_0"):
        raise ValueError(f"export: qtype {qtype!r}, want f32 or q8_0")
    w = gguf.Writer()
    w.kv("general.architecture", gguf.STRING, "qwen2")
    w.kv("general.name", gguf.STRING, name)
    w.kv("general.license", gguf.STRING, "BSD-3-Clause")
    # Trained on PSM and SPM rows; llmls prompts it suffix-first, which lets the KV cache be
    # reused across new lines (completion/fim.go, Order SPM). Other tools ignore the key.
    w.kv("llmls.fim.order", gguf.STRING, "spm")
    w.kv("general.file_type", gguf.UINT32, gguf.FTYPE_ALL_F32 if qtype == "f32" else gguf.FTYPE_MOSTLY_Q8_0)
    if qtype == "q8_0":
        w.kv("general.quantization_version", gguf.UINT32, 2)
    w.kv("qwen2.context_length", gguf.UINT32, cfg["max_seq"])
    w.kv("qwen2.embedding_length", gguf.UINT32, cfg["dim"])
    w.kv("qwen2.block_count", gguf.UINT32, cfg["n_layer"])
    w.kv("qwen2.feed_forward_length", gguf.UINT32, cfg["ffn_dim"])
    w.kv("qwen2.attention.head_count", gguf.UINT32, cfg["n_head"])
    w.kv("qwen2.attention.head_count_kv", gguf.UINT32, cfg["n_kv_head"])
    w.kv("qwen2.rope.freq_base", gguf.FLOAT32, float(cfg["rope_base"]))
    w.kv("qwen2.attention.layer_norm_rms_epsilon", gguf.FLOAT32, float(cfg["norm_eps"]))
    n_vocab = tokenizer_kv(w, tok_json)
    emb = np.asarray(state["model.embed_tokens.weight"], dtype=np.float32)
    if emb.shape[0] != n_vocab:
        raise ValueError(f"export: embedding has {emb.shape[0]} rows, tokenizer {n_vocab} tokens")
    order = ["model.embed_tokens.weight"]
    for i in range(cfg["n_layer"]):
        for m in HF_TO_GGUF:
            kinds = ["weight", "bias"] if m in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj") else ["weight"]
            order += [f"model.layers.{i}.{m}.{k}" for k in kinds]
    order.append("model.norm.weight")
    for hf in order:
        a = np.asarray(state[hf], dtype=np.float32)
        t = gguf.GGML_Q8_0 if (qtype == "q8_0" and a.ndim == 2) else gguf.GGML_F32
        w.tensor(gguf_name(hf), a, t)
    extra = set(state) - set(order)
    if extra:
        raise ValueError(f"export: unexpected tensors {sorted(extra)}")
    w.write(path)


# --- LoRA -------------------------------------------------------------------------------------

PEFT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def write_safetensors(path, tensors: dict):
    """safetensors: u64 header length, JSON header (sorted names, padded with spaces to 8 bytes),
    raw little-endian F32 data in the same order."""
    names = sorted(tensors)
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for n in names:
        a = np.ascontiguousarray(tensors[n], dtype="<f4")
        header[n] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        if v["dtype"] != "F32":
            raise ValueError(f"safetensors: {k} has dtype {v['dtype']}, want F32")
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(raw[8 + n + b:8 + n + e], dtype="<f4").reshape(v["shape"])
    return out


def export_lora(lora: dict, r: int, alpha: float, peft_dir: str, gguf_path: str, name: str, base_name: str):
    """lora: {'model.layers.N.self_attn.q_proj': (A [r, in], B [out, r]), ...} in HF names.

    Writes peft_dir/{adapter_config.json, adapter_model.safetensors} and the GGUF LoRA gguf_path.
    qwen2 needs no Q/K row permutation, so both formats hold the same values."""
    os.makedirs(peft_dir, exist_ok=True)
    config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": base_name,
        "bias": "none", "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
        "layers_pattern": None, "layers_to_transform": None, "lora_alpha": alpha, "lora_dropout": 0.0,
        "modules_to_save": None, "peft_type": "LORA", "r": r, "rank_pattern": {}, "revision": None,
        "target_modules": PEFT_TARGETS, "task_type": "CAUSAL_LM", "use_dora": False,
        "use_rslora": False,
    }
    with open(os.path.join(peft_dir, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    tensors = {}
    for module, (A, B) in lora.items():
        tensors[f"base_model.model.{module}.lora_A.weight"] = A
        tensors[f"base_model.model.{module}.lora_B.weight"] = B
    write_safetensors(os.path.join(peft_dir, "adapter_model.safetensors"), tensors)

    w = gguf.Writer()
    w.kv("general.architecture", gguf.STRING, "qwen2")
    w.kv("general.type", gguf.STRING, "adapter")
    w.kv("adapter.type", gguf.STRING, "lora")
    w.kv("general.name", gguf.STRING, name)
    w.kv("general.license", gguf.STRING, "BSD-3-Clause")
    w.kv("adapter.lora.alpha", gguf.FLOAT32, float(alpha))
    w.kv("general.quantization_version", gguf.UINT32, 2)
    for module in sorted(lora, key=_module_order):
        A, B = lora[module]
        base = gguf_name(module + ".weight")
        w.tensor(base + ".lora_a", A)  # [r, in]  -> ne [in, r]
        w.tensor(base + ".lora_b", B)  # [out, r] -> ne [r, out]
    w.write(gguf_path)


def _module_order(module):
    parts = module.split(".")
    return int(parts[2]), list(HF_TO_GGUF).index(".".join(parts[3:]))


def load_ckpt(path):
    import torch
    return torch.load(path, map_location="cpu")


def main(argv):
    if len(argv) >= 1 and argv[0] == "model" and len(argv) == 6:
        _, ckpt, tok_path, out, qtype, name = argv
        ck = load_ckpt(ckpt)
        state = {k: v.numpy() for k, v in ck["model"].items()}
        with open(tok_path) as f:
            tok_json = json.load(f)
        export_model(state, ck["config"], tok_json, out, qtype, name)
    elif len(argv) >= 1 and argv[0] == "lora" and len(argv) == 6:
        _, ckpt, peft_dir, gguf_path, name, base_name = argv
        ck = load_ckpt(ckpt)
        lora = {m: (ab["A"].numpy(), ab["B"].numpy()) for m, ab in ck["lora"].items()}
        export_lora(lora, ck["lora_r"], ck["lora_alpha"], peft_dir, gguf_path, name, base_name)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
