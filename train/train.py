"""Train a Qwen2-architecture FIM model (base or draft) or a LoRA on top of a trained base.

  python3 train.py --out out/base --split base_train --eval-split base_eval --dim 256 ...
  python3 train.py --out out/lora --split lora_train --eval-split lora_eval --lora-base out/base/model.pt ...

Data: rows from fim.FIMSampler over out/data/<split>.json (prepare.py). Loss: next-token cross
entropy on every token of the row (as in Bavarian et al. 2022). AdamW (betas 0.9/0.95, weight decay
on matrices only), gradient clipping at 1.0.

Learning rate: warmup-stable-decay (WSD; Hu et al. 2024, MiniCPM; Hägele et al. 2024): linear
warmup, constant peak, then linear decay to --min-lr-frac of the peak over the last --decay-frac of
the run. The decay starts at --decay-start if given, else at (1 - decay_frac) * --steps, or, with
--time-budget S, earlier if the wall time reaches (1 - decay_frac) * S first (the machine is
shared, so its speed is not known in advance); the run then ends at decay_start / (1 -
decay_frac) steps. The chosen decay start and step count are logged ("schedule" event), and
`--steps N --decay-start D` reproduces the same run on any machine.

A checkpoint (model, optimizer, step, schedule, elapsed time) is written every --ckpt-every
steps; a rerun of the same command resumes from it. Logs: <out>/log.jsonl.
Final weights: <out>/model.pt ({'config', 'model'}) or, for a LoRA, {'config', 'lora', ...}.
"""

import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

from bpe import Tokenizer
from fim import Docs, FIMSampler
from model import Config, Qwen2, count_params


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--data", default="out/data")
    p.add_argument("--tokenizer", default="out/tokenizer.json")
    p.add_argument("--split", required=True)
    p.add_argument("--eval-split", required=True)
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--ffn", type=int, default=768)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--ctx", type=int, default=0, help="qwen2.context_length (default: --seq)")
    p.add_argument("--rope-base", type=float, default=10000.0)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=1000, help="steps (the maximum with --time-budget)")
    p.add_argument("--decay-frac", type=float, default=0.2)
    p.add_argument("--decay-start", type=int, default=0, help="fix the step where the decay starts")
    p.add_argument("--time-budget", type=float, default=0.0, help="wall seconds for the whole run (0: none)")
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--min-lr-frac", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--wd", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--eval-rows", type=int, default=16)
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--lora-base", default="", help="train a LoRA on this base model.pt")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=float, default=32.0)
    p.add_argument("--max-docs", type=int, default=0, help="use only the first N documents (tests)")
    return p.parse_args(argv)


def load_texts(data_dir, split, max_docs=0):
    with open(os.path.join(data_dir, f"{split}.json"), encoding="utf-8") as f:
        files = json.load(f)
    if max_docs:
        files = files[:max_docs]
    return [f["text"] for f in files]


class Schedule:
    """WSD learning rate (see module doc). decay_start/total are None until fixed."""

    def __init__(self, a):
        self.a = a
        self.decay_start = a.decay_start or None
        self.total = None
        if self.decay_start:
            self.total = a.steps
        elif not a.time_budget:
            self.fix(int(round(a.steps * (1 - a.decay_frac))))

    def fix(self, step):
        self.decay_start = step
        self.total = min(self.a.steps, max(step + 1, int(round(step / (1 - self.a.decay_frac)))))

    def update(self, step, wall):
        """Called before each step: fixes the decay start when the step or time mark is reached."""
        if self.decay_start is None:
            mark = self.a.steps * (1 - self.a.decay_frac)
            if step >= mark or wall >= self.a.time_budget * (1 - self.a.decay_frac):
                self.fix(step)
                return True
        return False

    def lr(self, step):
        a = self.a
        if step < a.warmup:
            return a.lr * (step + 1) / a.warmup
        if self.decay_start is None or step < self.decay_start:
            return a.lr
        t = (step - self.decay_start + 1) / max(1, self.total - self.decay_start)
        return a.lr * (1 - (1 - a.min_lr_frac) * min(1.0, t))


def row_loss(model, rows):
    x = torch.tensor(rows, dtype=torch.long)
    logits = model(x[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))


@torch.no_grad()
def eval_loss(model, rows, batch=4):
    model.eval()
    total, n = 0.0, 0
    for i in range(0, len(rows), batch):
        chunk = rows[i:i + batch]
        total += row_loss(model, chunk).item() * len(chunk)
        n += len(chunk)
    model.train()
    return total / n


def lora_state(model):
    return {name: {"A": m.lora_A.detach().clone(), "B": m.lora_B.detach().clone()}
            for name, m in model.lora_modules()}


def build_model(a, n_vocab):
    if a.lora_base:
        base = torch.load(a.lora_base, map_location="cpu")
        cfg = Config(**base["config"])
        model = Qwen2(cfg)
        model.load_state_dict(base["model"])
        model.add_lora(a.lora_r, a.lora_alpha)
        return model, cfg
    cfg = Config(vocab_size=n_vocab, dim=a.dim, n_layer=a.layers, n_head=a.heads,
                 n_kv_head=a.kv_heads, ffn_dim=a.ffn, max_seq=a.ctx or a.seq, rope_base=a.rope_base)
    torch.manual_seed(a.seed)
    return Qwen2(cfg), cfg


def make_optimizer(model, a):
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    wd = 0.0 if a.lora_base else a.wd
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=a.lr, betas=(0.9, 0.95), eps=1e-8)


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    tok = Tokenizer.load(a.tokenizer)
    train_docs = Docs(load_texts(a.data, a.split, a.max_docs))
    eval_docs = Docs(load_texts(a.data, a.eval_split, a.max_docs))
    sampler = FIMSampler(train_docs, tok, a.seq, seed=f"train/{a.seed}")
    eval_sampler = FIMSampler(eval_docs, tok, a.seq, seed="heldout")
    eval_rows = [eval_sampler.row(i) for i in range(a.eval_rows)]

    model, cfg = build_model(a, tok.n_vocab)
    opt = make_optimizer(model, a)
    n_params = count_params(model)
    n_train = count_params(model, trainable_only=True)

    ckpt_path = os.path.join(a.out, "ckpt.pt")
    log_path = os.path.join(a.out, "log.jsonl")
    sched = Schedule(a)
    start, elapsed, wall = 0, 0.0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        start, elapsed, wall = ck["step"], ck["elapsed"], ck["wall"]
        sched.decay_start, sched.total = ck["decay_start"], ck["total"]
        # drop log lines written after the checkpoint
        if os.path.exists(log_path):
            with open(log_path) as f:
                lines = [ln for ln in f if json.loads(ln).get("step", 0) <= start]
            with open(log_path, "w") as f:
                f.writelines(lines)
        print(f"resumed at step {start}", flush=True)
    log = open(log_path, "a" if start else "w")  # no checkpoint: a fresh run, a fresh log

    def emit(rec):
        log.write(json.dumps(rec) + "\n")
        log.flush()
        print(json.dumps(rec), flush=True)

    if start == 0:
        emit({"step": 0, "event": "start", "config": cfg.to_dict(), "params": n_params,
              "trainable": n_train, "args": vars(a)})
        emit({"step": 0, "eval_loss": eval_loss(model, eval_rows)})
        if sched.total is not None:
            emit({"step": 0, "event": "schedule", "decay_start": sched.decay_start, "steps": sched.total})

    def checkpoint(step):
        save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                     "elapsed": elapsed, "wall": wall, "decay_start": sched.decay_start,
                     "total": sched.total, "config": cfg.to_dict()}, ckpt_path)

    model.train()
    t_log, tok_log, loss_acc, n_acc = time.time(), 0, 0.0, 0
    t_wall = time.time()
    step = start
    while sched.total is None or step < sched.total:
        wall += time.time() - t_wall
        t_wall = time.time()
        if sched.update(step, wall):
            emit({"step": step, "event": "schedule", "decay_start": sched.decay_start, "steps": sched.total,
                  "wall_s": round(wall, 1)})
        t0 = time.time()
        lr = sched.lr(step)
        for g in opt.param_groups:
            g["lr"] = lr
        rows = [sampler.row((step, i)) for i in range(a.batch)]
        loss = row_loss(model, rows)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        elapsed += time.time() - t0
        loss_acc += loss.item()
        n_acc += 1
        tok_log += a.batch * a.seq
        step += 1
        last = sched.total is not None and step == sched.total
        if step % a.log_every == 0 or last:
            now = time.time()
            emit({"step": step, "loss": loss_acc / n_acc, "lr": lr, "tok_s": tok_log / (now - t_log),
                  "elapsed_s": round(elapsed, 1), "wall_s": round(wall + now - t_wall, 1),
                  "tokens": step * a.batch * a.seq})
            t_log, tok_log, loss_acc, n_acc = now, 0, 0.0, 0
        if step % a.eval_every == 0 or last:
            emit({"step": step, "eval_loss": eval_loss(model, eval_rows)})
        if step % a.ckpt_every == 0 or last:
            wall += time.time() - t_wall
            t_wall = time.time()
            checkpoint(step)

    final = {"config": cfg.to_dict(), "steps": sched.total, "decay_start": sched.decay_start,
             "tokens": sched.total * a.batch * a.seq, "elapsed_s": elapsed, "wall_s": wall,
             "params": n_params, "trainable": n_train}
    if a.lora_base:
        final.update({"lora": lora_state(model), "lora_r": a.lora_r, "lora_alpha": a.lora_alpha,
                      "base": a.lora_base})
    else:
        final["model"] = model.state_dict()
    save_atomic(final, os.path.join(a.out, "model.pt"))
    emit({"step": sched.total, "event": "done", "elapsed_s": round(elapsed, 1), "wall_s": round(wall, 1),
          "reproduce": f"--steps {sched.total} --decay-start {sched.decay_start}"})
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
