"""Shared helpers for the train/ tests: paths, optional dependencies, small fixtures."""

import importlib.util
import os
import shutil
import sys

TRAIN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TRAIN)
SHARED_TESTDATA = os.path.join(os.path.dirname(REPO), "shared", "testdata")
PEERS = os.path.join(REPO, "tools", "peers")
if TRAIN not in sys.path:
    sys.path.insert(0, TRAIN)

HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_NUMPY = importlib.util.find_spec("numpy") is not None
HAVE_REGEX = importlib.util.find_spec("regex") is not None
HAVE_NODE = shutil.which("node") is not None
HAVE_HF_TOKENIZERS = HAVE_NODE and os.path.isdir(os.path.join(PEERS, "node_modules", "tokenizers"))
HAVE_LLAMA_CPP = HAVE_NODE and os.path.isdir(os.path.join(PEERS, "node_modules", "node-llama-cpp"))


def tiny_tokenizer_json(merges=(), specials=None):
    """A byte-level BPE tokenizer.json: the 256 ByteLevel symbols, then one token per merge (in
    order), then the special tokens. merges: [(a, b)] of byte-level strings."""
    from bpe import BYTE_ENCODER, SPECIAL_TOKENS
    specials = SPECIAL_TOKENS if specials is None else specials
    # GPT-2 order: printable bytes first (33..126, 161..172, 174..255), then the others
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    order = printable + [b for b in range(256) if b not in printable]
    vocab = {BYTE_ENCODER[b]: i for i, b in enumerate(order)}
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    added = [{"id": len(vocab) + i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(specials)]
    return {"version": "1.0", "added_tokens": added, "normalizer": {"type": "NFC"},
            "model": {"type": "BPE", "vocab": vocab, "merges": [[a, b] for a, b in merges]}}
