"""Draw the training curves: python3 plot.py OUT_DIR -> OUT_DIR/loss.png.

One panel per run (base, draft, lora): training loss (mean over each logging interval) and
held-out loss against tokens seen."""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_log(path):
    with open(path) as f:
        recs = [json.loads(ln) for ln in f]
    start = next(r for r in recs if r.get("event") == "start")
    per_step = start["args"]["batch"] * start["args"]["seq"]
    train = [(r["step"] * per_step, r["loss"]) for r in recs if "loss" in r]
    held = [(r["step"] * per_step, r["eval_loss"]) for r in recs if "eval_loss" in r]
    return start, train, held


def main(out):
    runs = [r for r in ("base", "draft", "lora") if os.path.exists(os.path.join(out, "runs", r, "log.jsonl"))]
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 4), squeeze=False)
    for ax, run in zip(axes[0], runs):
        start, train, held = read_log(os.path.join(out, "runs", run, "log.jsonl"))
        if train:
            ax.plot([t / 1e6 for t, _ in train], [v for _, v in train], label="train", lw=1)
        if held:
            ax.plot([t / 1e6 for t, _ in held], [v for _, v in held], "o-", label="held-out", ms=3)
        ax.set_title(f"{run} ({start['trainable']:,} trainable params)")
        ax.set_xlabel("tokens (M)")
        ax.set_ylabel("loss (nats/token)")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "loss.png"), dpi=100)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
