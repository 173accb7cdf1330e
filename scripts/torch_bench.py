#!/usr/bin/env python3
"""PyTorch anchor for bench/cuda: the same Qwen2.5-Coder-1.5B shapes in fp16 on the same GPU.

It times, with CUDA events:
  * gemv: x[1, in] @ W.T for every layer's projections (q, k, v, o, gate, up, down) and the
    tied output head, fp16 weights (1.88x the bytes of Q8_0), as GB/s and as a fraction of
    the HBM roofline (--hbm);
  * a decode step's matmuls plus scaled_dot_product_attention over a 2k KV cache per layer
    (GQA expanded to 12 heads), with the implied tokens/s and roofline fraction;
  * prompt: x[2048, in] @ W.T for all layers and the attention of a 2048-token causal prompt,
    tokens/s.
Weights are random; what is measured is time and bytes. Run: python3 scripts/torch_bench.py
"""
import argparse
import time

import torch
import torch.nn.functional as F

LAYERS, HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FFN, VOCAB = 28, 1536, 12, 2, 128, 8960, 151936


def timed(fn, reps):
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps / 1e3  # seconds per call


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hbm", type=float, default=4.8e12, help="roofline bandwidth, bytes/s")
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args()
    dev = torch.device("cuda")
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(0)}")
    kvw = KV_HEADS * HEAD_DIM
    shapes = [(HIDDEN, HIDDEN), (kvw, HIDDEN), (kvw, HIDDEN), (HIDDEN, HIDDEN), (FFN, HIDDEN), (FFN, HIDDEN), (HIDDEN, FFN)]
    # Every layer allocated separately (2.6 GB fp16 in all), so no weight is reused from L2.
    layers = [[torch.randn(o, i, device=dev, dtype=torch.float16) / i**0.5 for (o, i) in shapes] for _ in range(LAYERS)]
    head = torch.randn(VOCAB, HIDDEN, device=dev, dtype=torch.float16) / HIDDEN**0.5
    wbytes = sum(w.numel() * 2 for l in layers for w in l) + head.numel() * 2
    xs = {i: torch.randn(1, i, device=dev, dtype=torch.float16) for i in (HIDDEN, FFN)}

    def gemv():
        for l in layers:
            for w in l:
                xs[w.shape[1]] @ w.t()
        xs[HIDDEN] @ head.t()

    t = timed(gemv, a.reps)
    print(f"torch gemv fp16 (1 token, all {LAYERS} layers + head): {t*1e3:.3f} ms = {wbytes/t/1e9:.0f} GB/s = "
          f"{wbytes/t/a.hbm:.2f} of roofline; {wbytes/1e9:.3f} GB of fp16 weights")

    k = torch.randn(1, HEADS, a.ctx, HEAD_DIM, device=dev, dtype=torch.float16)
    v = torch.randn(1, HEADS, a.ctx, HEAD_DIM, device=dev, dtype=torch.float16)
    q = torch.randn(1, HEADS, 1, HEAD_DIM, device=dev, dtype=torch.float16)

    def decode_step():
        gemv()
        for _ in range(LAYERS):
            F.scaled_dot_product_attention(q, k, v)

    t = timed(decode_step, a.reps)
    kv_bytes = 2 * LAYERS * KV_HEADS * HEAD_DIM * a.ctx * 2  # what a GQA cache would read
    print(f"torch decode-step matmuls + SDPA at ctx {a.ctx}: {t*1e3:.3f} ms = {1/t:.0f} tokens/s; "
          f"fp16 roofline {(wbytes+kv_bytes)/a.hbm*1e3:.3f} ms ({(wbytes+kv_bytes)/a.hbm/t:.2f} of it); "
          f"the Q8_0 model's roofline would be {(wbytes*34/64+kv_bytes)/a.hbm*1e3:.3f} ms")

    n = a.ctx
    xp = {i: torch.randn(n, i, device=dev, dtype=torch.float16) for i in (HIDDEN, FFN)}
    qp = torch.randn(1, HEADS, n, HEAD_DIM, device=dev, dtype=torch.float16)

    def prompt():
        for l in layers:
            for w in l:
                xp[w.shape[1]] @ w.t()
            F.scaled_dot_product_attention(qp, k[:, :, :n], v[:, :, :n], is_causal=True)
        xp[HIDDEN][-1:] @ head.t()

    t = timed(prompt, max(2, a.reps // 5))
    flops = 2 * n * sum(o * i for (o, i) in shapes) * LAYERS
    print(f"torch prompt fp16 ({n} tokens, matmuls + causal SDPA): {t*1e3:.1f} ms = {n/t:.0f} tokens/s, "
          f"{flops/t/1e12:.0f} TFLOP/s in the matmuls' count")


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"torch_bench: {time.time()-t0:.1f}s")
