"""Evaluate the trained models and check the exported GGUF files against llama.cpp.

  python3 evaluate.py [--out out] [--tasks 200]

Reads <out>/runs/{base,draft,lora}/model.pt, <out>/tokenizer.json, <out>/data/*.json and the
exported <out>/{base-f32,base-q8_0,draft-f32,draft-q8_0}.gguf and <out>/lora.gguf. Writes
<out>/eval.json, <out>/eval.md and reference greedy outputs <out>/ref/*.json.

Metrics
- held-out loss: mean next-token cross entropy (nats) over fixed rows of held-out files, built
  exactly like training rows (FIM PSM/SPM + plain).
- FIM exact match / edit similarity: a fixed set of tasks on held-out files (fim.eval_tasks:
  half 'rest of the line', half 'next lines'), greedy decoding up to 64 tokens, stopping at the
  first special token (<|endoftext|> etc.); exact match ignores trailing whitespace; edit
  similarity = 1 - Levenshtein / max length. Both prompt orders, SPM (the server's) and PSM.
- draft acceptance: along the base model's greedy chain on each task, whether the draft's argmax
  equals the base's token (per-token agreement) and, simulated from that, speculative decoding
  with k = 4 draft tokens per step: acceptance rate = accepted / drafted, and tokens per base
  forward pass. (With greedy sampling a drafted token is accepted iff it equals the base's
  argmax given the same prefix, so the simulation is exact.)
- llama.cpp check: node-llama-cpp (tools/peers/greedy.mjs, KV cache F32) runs the same prompts on
  the exported GGUF; its greedy tokens are compared with PyTorch's.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import export
import gguf
from bpe import SPECIAL_TOKENS, Tokenizer
from fim import Docs, FIMSampler, Specials, edit_similarity, eval_tasks, exact_match, fim_prompt
from model import Config, Qwen2, count_params, greedy

HERE = os.path.dirname(os.path.abspath(__file__))
GREEDY_MJS = os.path.join(HERE, "..", "tools", "peers", "greedy.mjs")
MAX_NEW = 64


def load_model(path):
    ck = torch.load(path, map_location="cpu")
    m = Qwen2(Config(**ck["config"]))
    m.load_state_dict(ck["model"])
    m.eval()
    return m


def load_lora(path, base_path=None):
    ck = torch.load(path, map_location="cpu")
    m = load_model(base_path or ck["base"])
    m.add_lora(ck["lora_r"], ck["lora_alpha"])
    mods = dict(m.lora_modules())
    for name, ab in ck["lora"].items():
        mods[name].lora_A.data.copy_(ab["A"])
        mods[name].lora_B.data.copy_(ab["B"])
    m.eval()
    return m


def model_from_gguf(path):
    """PyTorch model with the (dequantized) weights of a qwen2 GGUF file written by export.py."""
    r = gguf.read(path)
    kv = r.kv
    cfg = Config(vocab_size=len(kv["tokenizer.ggml.tokens"]), dim=kv["qwen2.embedding_length"],
                 n_layer=kv["qwen2.block_count"], n_head=kv["qwen2.attention.head_count"],
                 n_kv_head=kv["qwen2.attention.head_count_kv"], ffn_dim=kv["qwen2.feed_forward_length"],
                 max_seq=kv["qwen2.context_length"], rope_base=kv["qwen2.rope.freq_base"],
                 norm_eps=kv["qwen2.attention.layer_norm_rms_epsilon"])
    m = Qwen2(cfg)
    state = {k: torch.from_numpy(r.tensor(export.gguf_name(k)).copy()) for k in m.state_dict()}
    m.load_state_dict(state)
    m.eval()
    return m


@torch.no_grad()
def heldout_loss(model, rows, batch=4):
    total, n = 0.0, 0
    for i in range(0, len(rows), batch):
        x = torch.tensor(rows[i:i + batch])
        logits = model(x[:, :-1])
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1), reduction="sum").item()
        n += x[:, 1:].numel()
    return total / n


def run_fim(model, tasks, tok, stop_ids, spm):
    sp = Specials(tok)
    em, es, outs = [], [], []
    by_kind = {}
    for t in tasks:
        prompt = fim_prompt(sp, t["prefix"], t["suffix"], spm)
        ids, _ = greedy(model, prompt, MAX_NEW, stop_ids=stop_ids)
        gen = ids[:-1] if ids and ids[-1] in stop_ids else ids
        text = tok.decode(gen)
        e, s = exact_match(text, t["middle"]), edit_similarity(text, t["middle"])
        em.append(e)
        es.append(s)
        k = by_kind.setdefault(t["kind"], {"em": [], "es": []})
        k["em"].append(e)
        k["es"].append(s)
        outs.append(ids)
    res = {"exact_match": float(np.mean(em)), "edit_similarity": float(np.mean(es)), "n": len(tasks),
           "by_kind": {k: {"exact_match": float(np.mean(v["em"])), "edit_similarity": float(np.mean(v["es"])),
                           "n": len(v["em"])} for k, v in by_kind.items()}}
    return res, outs


@torch.no_grad()
def acceptance(draft, base_chains, prompts, stop_ids, k=4):
    """Per-token agreement of the draft with the base's greedy chains, and simulated
    speculative decoding with k draft tokens per base forward pass."""
    agree_total, n_total = 0, 0
    accepted, drafted, steps, produced = 0, 0, 0, 0
    for prompt, chain in zip(prompts, base_chains):
        if not chain:
            continue
        seq = prompt + chain[:-1]
        logits = draft(torch.tensor([seq]))[0, len(prompt) - 1:]
        agree = (logits.argmax(-1) == torch.tensor(chain)).tolist()
        agree_total += sum(agree)
        n_total += len(agree)
        i = 0
        while i < len(chain):
            m = 0
            while m < k and i + m < len(chain) and agree[i + m]:
                m += 1
            accepted += m
            drafted += k
            steps += 1
            produced += min(m + 1, len(chain) - i)  # m accepted tokens plus the base's own
            i += m + 1
    return {"token_agreement": agree_total / max(1, n_total), "k": k,
            "acceptance_rate": accepted / max(1, drafted),
            "tokens_per_base_pass": produced / max(1, steps), "tokens": n_total}


def f7(x):
    """float32-precision JSON number (7 significant digits)."""
    return float(f"{float(x):.7g}")


@torch.no_grad()
def reference(model, prompt, n, tok, stride=251):
    """llama.cpp-style reference dump (as ../shared/testdata/models/ref): prompt logits at every
    position (one batch), then n greedy steps one token at a time; per position argmax, mean,
    rms, top-10 and the logits of ids 0, stride, 2*stride, ...; plus the full logits of the last
    prompt position and the top-1/top-2 margin of every greedy step."""
    def stats(v):
        top = torch.topk(v, 10)
        return {"argmax": int(v.argmax()), "mean": f7(v.mean()), "rms": f7(v.pow(2).mean().sqrt()),
                "top": [[int(i), f7(x)] for x, i in zip(top.values, top.indices)],
                "strided": [f7(x) for x in v[::stride]]}
    pl = model(torch.tensor([prompt]))[0]
    chain, steps = greedy(model, prompt, n, return_logits=True)
    return {"prompt_tokens": prompt, "prompt_text": tok.decode(prompt), "stride": stride, "n_vocab": int(pl.shape[-1]),
            "prompt_logits": [dict(stats(v), input_token=t) for v, t in zip(pl, prompt)],
            "last_prompt_logits": [f7(x) for x in pl[-1]],
            "greedy_tokens": chain, "greedy": [stats(v) for v in steps],
            "greedy_text": tok.decode(chain),
            "greedy_margins": [f7(torch.topk(v, 2).values[0] - torch.topk(v, 2).values[1]) for v in steps]}


def llama_greedy(model_path, prompts, n, lora=None, texts=False, work="."):
    """Greedy chains from llama.cpp (node greedy.mjs --batch); prompts: token lists or texts."""
    inp = os.path.join(work, "llama_in.json")
    with open(inp, "w") as f:
        json.dump([{"text": p} if texts else {"tokens": p} for p in prompts], f)
    cmd = ["node", GREEDY_MJS, "--model", model_path, "--batch", inp, "--n", str(n), "--kv", "f32",
           "--threads", "2", "--ctx", "1024"]
    if lora:
        cmd += ["--lora", lora]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    os.remove(inp)
    return json.loads(res.stdout)["results"]


def compare_chains(torch_chains, llama_chains):
    """Chains compared after cutting both at the first stop token. Returns counts."""
    same, first_diff = 0, []
    for a, b in zip(torch_chains, llama_chains):
        n = min(len(a), len(b))
        k = next((i for i in range(n) if a[i] != b[i]), n)
        if k == n and len(a) == len(b):
            same += 1
        else:
            first_diff.append(k)
    return {"chains": len(torch_chains), "identical": same, "first_diff_positions": first_diff}


def cut_at_stop(chain, stop_ids):
    """chain up to its first stop token, without it: llama.cpp (greedy.mjs) ends a chain before
    an end-of-generation token, PyTorch's greedy includes it, so both are compared without."""
    for i, t in enumerate(chain):
        if t in stop_ids:
            return chain[:i]
    return chain


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(HERE, "out"))
    p.add_argument("--tasks", type=int, default=200)
    p.add_argument("--loss-rows", type=int, default=48)
    p.add_argument("--llama-tasks", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-llama", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    t0 = time.time()
    out = a.out
    tok = Tokenizer.load(os.path.join(out, "tokenizer.json"))
    stop_ids = {tok.token_id(s) for s in SPECIAL_TOKENS}
    seq = None

    def texts(split):
        with open(os.path.join(out, "data", f"{split}.json"), encoding="utf-8") as f:
            return [x["text"] for x in json.load(f)]

    runs = os.path.join(out, "runs")
    base = load_model(os.path.join(runs, "base", "model.pt"))
    draft = load_model(os.path.join(runs, "draft", "model.pt"))
    lora = load_lora(os.path.join(runs, "lora", "model.pt"), os.path.join(runs, "base", "model.pt"))
    seq = base.cfg.max_seq
    domains = {"std": Docs(texts("base_eval")), "cmd": Docs(texts("lora_eval"))}

    res = {"models": {
        "base": {"config": base.cfg.to_dict(), "params": count_params(base)},
        "draft": {"config": draft.cfg.to_dict(), "params": count_params(draft)},
        "lora": {"params": sum(m.lora_A.numel() + m.lora_B.numel() for _, m in lora.lora_modules()),
                 "r": next(lora.lora_modules())[1].r, "alpha": next(lora.lora_modules())[1].alpha},
    }}
    for name in ("base", "draft", "lora"):
        with open(os.path.join(runs, name, "log.jsonl")) as f:
            recs = [json.loads(ln) for ln in f]
        done = [r for r in recs if r.get("event") == "done"]
        tps = [r["tok_s"] for r in recs if "tok_s" in r]
        args = recs[0]["args"]
        d = done[-1] if done else {}
        res["models"][name]["training"] = {
            "steps": d.get("step"), "batch": args["batch"], "seq": args["seq"],
            "tokens": (d.get("step") or 0) * args["batch"] * args["seq"],
            "reproduce": d.get("reproduce"), "elapsed_s": d.get("elapsed_s"), "wall_s": d.get("wall_s"),
            "median_tok_s": float(np.median(tps)) if tps else None,
            "final_train_loss": next((r["loss"] for r in reversed(recs) if "loss" in r), None),
        }

    # held-out loss
    rows = {d: [FIMSampler(docs, tok, seq, seed="heldout").row(i) for i in range(a.loss_rows)]
            for d, docs in domains.items()}
    res["heldout_loss"] = {
        "base/std": heldout_loss(base, rows["std"]), "draft/std": heldout_loss(draft, rows["std"]),
        "base/cmd": heldout_loss(base, rows["cmd"]), "base+lora/cmd": heldout_loss(lora, rows["cmd"]),
        "base+lora/std": heldout_loss(lora, rows["std"]), "draft/cmd": heldout_loss(draft, rows["cmd"]),
        "tokens_per_set": a.loss_rows * seq,
    }
    print(json.dumps(res["heldout_loss"]), flush=True)

    # FIM tasks
    tasks = {d: eval_tasks(docs, tok, a.tasks, seed=d) for d, docs in domains.items()}
    sp = Specials(tok)
    res["fim"] = {}
    chains = {}
    for label, model, dom in (("base/std", base, "std"), ("draft/std", draft, "std"),
                              ("base/cmd", base, "cmd"), ("base+lora/cmd", lora, "cmd")):
        for order in ("spm", "psm"):
            r, outs = run_fim(model, tasks[dom], tok, stop_ids, spm=(order == "spm"))
            res["fim"][f"{label}/{order}"] = r
            chains[(label, order)] = outs
            print(label, order, json.dumps({k: r[k] for k in ("exact_match", "edit_similarity")}), flush=True)

    # draft acceptance against the base (SPM prompts, the server's order)
    res["draft_acceptance"] = {}
    for dom in ("std", "cmd"):
        if (f"base/{dom}", "spm") not in chains:
            continue
        prompts = [fim_prompt(sp, t["prefix"], t["suffix"], True) for t in tasks[dom]]
        res["draft_acceptance"][dom] = acceptance(draft, chains[(f"base/{dom}", "spm")], prompts, stop_ids)
    print(json.dumps(res["draft_acceptance"]), flush=True)

    # reference outputs for other implementations (llmls): one FIM prompt per model
    ref_dir = os.path.join(out, "ref")
    os.makedirs(ref_dir, exist_ok=True)
    t_std, t_cmd = tasks["std"][0], tasks["cmd"][0]
    p_std = fim_prompt(sp, t_std["prefix"], t_std["suffix"], True)
    p_cmd = fim_prompt(sp, t_cmd["prefix"], t_cmd["suffix"], True)
    refs = {"base-f32.fim": (base, p_std), "draft-f32.fim": (draft, p_std), "base-f32.lora.fim": (lora, p_cmd)}
    for name, (model, prompt) in refs.items():
        r = reference(model, prompt, 16, tok)
        with open(os.path.join(ref_dir, name + ".json"), "w") as f:
            json.dump(r, f)

    # llama.cpp (node-llama-cpp) on the exported files
    if not a.skip_llama:
        res["llama_cpp"] = llama_check(a, out, tok, stop_ids, tasks, sp, base, draft, lora, chains)

    res["eval_seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(out, "eval.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(out, "eval.md"), "w") as f:
        f.write(markdown(res))
    print(markdown(res))
    return 0


def llama_check(a, out, tok, stop_ids, tasks, sp, base, draft, lora, chains):
    n = a.llama_tasks
    work = os.path.join(out, "ref")
    res = {}
    prompts_std = [fim_prompt(sp, t["prefix"], t["suffix"], True) for t in tasks["std"][:n]]
    prompts_cmd = [fim_prompt(sp, t["prefix"], t["suffix"], True) for t in tasks["cmd"][:n]]
    cases = [
        ("base-f32", os.path.join(out, "base-f32.gguf"), None, prompts_std, chains[("base/std", "spm")][:n]),
        ("draft-f32", os.path.join(out, "draft-f32.gguf"), None, prompts_std, chains[("draft/std", "spm")][:n]),
        ("base-f32+lora", os.path.join(out, "base-f32.gguf"), os.path.join(out, "lora.gguf"),
         prompts_cmd, chains[("base+lora/cmd", "spm")][:n]),
    ]
    # Q8_0: compare with PyTorch running the dequantized Q8_0 weights (llama.cpp also rounds the
    # activations to Q8_0 in each matmul, so a few near-ties may still go the other way).
    for name, lora_path, prompts in (("base-q8_0", None, prompts_std), ("draft-q8_0", None, prompts_std),
                                     ("base-q8_0+lora", os.path.join(out, "lora.gguf"), prompts_cmd)):
        path = os.path.join(out, name.split("+")[0] + ".gguf")
        m = model_from_gguf(path)
        if lora_path:
            ck = torch.load(os.path.join(out, "runs", "lora", "model.pt"), map_location="cpu")
            m.add_lora(ck["lora_r"], ck["lora_alpha"])
            mods = dict(m.lora_modules())
            for mod, ab in ck["lora"].items():
                mods[mod].lora_A.data.copy_(ab["A"])
                mods[mod].lora_B.data.copy_(ab["B"])
            m.eval()
        tc = [greedy(m, pr, MAX_NEW, stop_ids=stop_ids)[0] for pr in prompts]
        cases.append((name, path, lora_path, prompts, tc))
    for name, path, lora_path, prompts, torch_chains in cases:
        ll = llama_greedy(path, prompts, MAX_NEW, lora=lora_path, work=work)
        ll_chains = [cut_at_stop(r["greedy_tokens"], stop_ids) for r in ll]
        tc = [cut_at_stop(c, stop_ids) for c in torch_chains]
        res[name] = compare_chains(tc, ll_chains)
        print("llama.cpp", name, json.dumps(res[name]), flush=True)
    # llama.cpp's tokenizer (qwen2 pre-tokenizer, our merges) vs ours on the prompt texts
    texts = [tok.decode(p) for p in prompts_std[:20] + prompts_cmd[:20]]
    ll = llama_greedy(os.path.join(out, "base-q8_0.gguf"), texts, 1, texts=True, work=work)
    mine = [fim_tokenize(tok, t) for t in texts]
    res["tokenizer"] = {"prompts": len(texts),
                        "identical": sum(1 for m, r in zip(mine, ll) if m == r["prompt_tokens"])}
    print("llama.cpp tokenizer", json.dumps(res["tokenizer"]), flush=True)
    return res


def fim_tokenize(tok, text):
    """Tokenize text in which special tokens appear literally (as llama.cpp with parse_special)."""
    import re
    ids = []
    pat = "(" + "|".join(re.escape(s) for s in SPECIAL_TOKENS) + ")"
    for part in re.split(pat, text):
        if part in SPECIAL_TOKENS:
            ids.append(tok.token_id(part))
        elif part:
            ids.extend(tok.encode(part))
    return ids


def markdown(res):
    m = res["models"]
    L = ["# Embedded model evaluation", ""]
    L.append("| model | params | layers | dim | heads (kv) | ffn | train tokens | train time | tok/s |")
    L.append("|---|---:|---:|---:|---|---:|---:|---:|---:|")
    for name in ("base", "draft"):
        c, t = m[name]["config"], m[name]["training"]
        L.append(f"| {name} | {m[name]['params']:,} | {c['n_layer']} | {c['dim']} | {c['n_head']} ({c['n_kv_head']}) | "
                 f"{c['ffn_dim']} | {t['tokens']:,} | {fmt_s(t['elapsed_s'])} | {t['median_tok_s'] or 0:.0f} |")
    t = m["lora"]["training"]
    L.append(f"| LoRA r={m['lora']['r']} alpha={m['lora']['alpha']:g} | {m['lora']['params']:,} | | | | | "
             f"{t['tokens']:,} | {fmt_s(t['elapsed_s'])} | {t['median_tok_s'] or 0:.0f} |")
    L += ["", "Held-out loss (nats/token, FIM + plain rows; std = held-out std packages, cmd = held-out cmd/ packages):", ""]
    L.append("| model / domain | loss |")
    L.append("|---|---:|")
    for k, v in res["heldout_loss"].items():
        if k != "tokens_per_set":
            L.append(f"| {k} | {v:.3f} |")
    L += ["", f"FIM on {next(iter(res['fim'].values()))['n']} held-out tasks per domain (greedy, <= {MAX_NEW} tokens):", ""]
    L.append("| model / domain / order | exact match | edit similarity | EM rest-of-line | EM next-lines |")
    L.append("|---|---:|---:|---:|---:|")
    for k, v in res["fim"].items():
        bk = v["by_kind"]
        L.append(f"| {k} | {v['exact_match']:.3f} | {v['edit_similarity']:.3f} | "
                 f"{bk.get('line_rest', {}).get('exact_match', 0):.3f} | {bk.get('lines', {}).get('exact_match', 0):.3f} |")
    L += ["", "Draft vs base (SPM prompts, along the base's greedy chains):", ""]
    L.append("| domain | token agreement | acceptance rate (k=4) | tokens per base pass |")
    L.append("|---|---:|---:|---:|")
    for d, v in res["draft_acceptance"].items():
        L.append(f"| {d} | {v['token_agreement']:.3f} | {v['acceptance_rate']:.3f} | {v['tokens_per_base_pass']:.2f} |")
    if "llama_cpp" in res:
        L += ["", "llama.cpp (node-llama-cpp 3.21.1, KV cache F32) vs PyTorch, greedy chains on SPM prompts:", ""]
        L.append("| file | identical chains |")
        L.append("|---|---:|")
        for k, v in res["llama_cpp"].items():
            if k == "tokenizer":
                continue
            L.append(f"| {k} | {v['identical']}/{v['chains']} |")
        tk = res["llama_cpp"]["tokenizer"]
        L.append(f"| tokenizer (prompt texts -> ids) | {tk['identical']}/{tk['prompts']} |")
    L.append("")
    return "\n".join(L)


def fmt_s(s):
    if s is None:
        return "-"
    return f"{s / 3600:.2f} h" if s >= 3600 else f"{s / 60:.1f} min"


if __name__ == "__main__":
    sys.exit(main())
