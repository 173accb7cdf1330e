"""Prepare the data: collect and split the Go corpus, train the tokenizer, check the encoder.

  python3 prepare.py [--goroot DIR] [--out out] [--vocab 8192]

Writes <out>/data/{base_train,base_eval,lora_train,lora_eval}.json ([{path, text}]),
<out>/data/manifest.json (Go version, corpus digest, per-split file/char/token counts, skipped
files), <out>/tokenizer.json (Hugging Face format, trained by tokenizer.mjs) and
<out>/data/tokenizer_check.json: the Python encoder (bpe.py) against Hugging Face tokenizers,
id for id, on every held-out file and a sample of training files. Any mismatch is an error.
"""

import argparse
import json
import os
import random
import subprocess
import sys

import corpus
from bpe import SPECIAL_TOKENS, Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))


def go_env(var):
    return subprocess.run(["go", "env", var], check=True, capture_output=True, text=True).stdout.strip()


def hf_encode(tokenizer_path, texts, work):
    """Token ids of texts from Hugging Face tokenizers (node tokenizer.mjs encode)."""
    inp, out = os.path.join(work, "hf_in.json"), os.path.join(work, "hf_out.json")
    with open(inp, "w", encoding="utf-8") as f:
        json.dump(texts, f)
    subprocess.run(["node", os.path.join(HERE, "tokenizer.mjs"), "encode", tokenizer_path, inp, out], check=True)
    with open(out) as f:
        ids = json.load(f)
    os.remove(inp)
    os.remove(out)
    return ids


def train_tokenizer(files, out_path, vocab, work):
    txt = os.path.join(work, "tokenizer_train.txt")
    with open(txt, "w", encoding="utf-8") as f:
        for _, text in files:
            f.write(text)
            if not text.endswith("\n"):
                f.write("\n")
    res = subprocess.run(["node", os.path.join(HERE, "tokenizer.mjs"), "train", out_path, str(vocab),
                          json.dumps(SPECIAL_TOKENS), txt], check=True, capture_output=True, text=True)
    os.remove(txt)
    return json.loads(res.stdout.strip().splitlines()[-1])


def check_encoder(tok_path, samples, work):
    """Compare bpe.Tokenizer with Hugging Face on samples [(path, text)]; returns a report."""
    tok = Tokenizer.load(tok_path)
    ref = hf_encode(tok_path, [t for _, t in samples], work)
    mismatches, n_tokens, n_chars = [], 0, 0
    for (path, text), r in zip(samples, ref):
        mine = tok.encode(text)
        n_tokens += len(r)
        n_chars += len(text)
        if mine != r:
            k = next((i for i, (x, y) in enumerate(zip(mine, r)) if x != y), min(len(mine), len(r)))
            mismatches.append({"path": path, "first_diff_token": k})
    return {"files": len(samples), "tokens": n_tokens, "chars": n_chars,
            "chars_per_token": n_chars / max(1, n_tokens), "mismatches": mismatches}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--goroot", default="")
    p.add_argument("--out", default=os.path.join(HERE, "out"))
    p.add_argument("--vocab", type=int, default=8192)
    p.add_argument("--check-train-files", type=int, default=200)
    p.add_argument("--max-files", type=int, default=0, help="keep every k-th file only (tests)")
    a = p.parse_args(argv)

    goroot = a.goroot or go_env("GOROOT")
    src = os.path.join(goroot, "src")
    data = os.path.join(a.out, "data")
    os.makedirs(data, exist_ok=True)

    skipped = {}
    files = corpus.collect(src, skipped)
    if a.max_files:
        step = max(1, len(files) // a.max_files)
        files = files[::step]
    splits = corpus.split_corpus(files)
    for name, fs in splits.items():
        with open(os.path.join(data, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump([{"path": r, "text": t} for r, t in fs], f)

    tok_path = os.path.join(a.out, "tokenizer.json")
    tok_stats = train_tokenizer(splits["base_train"], tok_path, a.vocab, data)

    rng = random.Random(0)
    train_sample = rng.sample(splits["base_train"], min(a.check_train_files, len(splits["base_train"])))
    check = {s: check_encoder(tok_path, fs, data)
             for s, fs in (("base_eval", splits["base_eval"]), ("lora_eval", splits["lora_eval"]),
                           ("base_train_sample", train_sample))}
    with open(os.path.join(data, "tokenizer_check.json"), "w") as f:
        json.dump(check, f, indent=1)

    version = ""
    vf = os.path.join(goroot, "VERSION")
    if os.path.exists(vf):
        with open(vf) as f:
            version = f.readline().strip()
    manifest = {
        "source": src, "go_version": version, "license": "BSD-3-Clause (Go's LICENSE)",
        "corpus_sha256": corpus.digest(files), "skipped": skipped,
        "base_eval_packages": list(corpus.BASE_EVAL), "lora_eval_packages": list(corpus.LORA_EVAL),
        "splits": {s: {"files": len(fs), "chars": sum(len(t) for _, t in fs)} for s, fs in splits.items()},
        "tokenizer": tok_stats,
        "chars_per_token": {s: c["chars_per_token"] for s, c in check.items()},
    }
    with open(os.path.join(data, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps(manifest, indent=1))
    bad = {s: c["mismatches"] for s, c in check.items() if c["mismatches"]}
    if bad:
        print(f"prepare: Python encoder differs from Hugging Face on {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
