"""Byte-level BPE encoder for a Hugging Face tokenizer.json with Qwen2's pre-tokenizer.

The training data is built on the fly (fill-in-the-middle spans are cut at character offsets and
each part is tokenized on its own, as a completion server does), so the trainer needs an encoder
in Python. This one reproduces Hugging Face tokenizers for the tokenizer.json that tokenizer.mjs
writes: NFC normalizer, Split(Qwen2 regex, Isolated), ByteLevel(add_prefix_space=false,
use_regex=false), BPE without dropout/unk/byte-fallback. prepare.py checks it id for id against
Hugging Face's own encoder (tokenizers@0.23.2 via node) on held-out files.

Special tokens are never parsed out of text: callers add their ids explicitly. (Hugging Face's
encode matches added tokens such as "<|endoftext|>" inside text; the Go corpus contains none of
those strings, so the two agree on it — prepare.py checks that.)
"""

import json
import unicodedata

try:
    import regex  # Debian python3-regex: \p{L}, \p{N} and scoped (?i:...) flags
except ImportError:  # pragma: no cover - reported by the caller
    regex = None

# Qwen2's pre-tokenizer regex (Qwen2.5 tokenizer.json, llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2).
QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
]


def bytes_to_unicode():
    """GPT-2's byte -> printable unicode char table (the ByteLevel alphabet), byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {c: b for b, c in BYTE_ENCODER.items()}


class Tokenizer:
    """Encoder/decoder for a byte-level BPE tokenizer.json (see module doc)."""

    def __init__(self, tokenizer_json: dict):
        if regex is None:
            raise RuntimeError("bpe: the python3-regex package is required (apt-get install python3-regex)")
        model = tokenizer_json["model"]
        if model.get("type") != "BPE":
            raise ValueError(f"bpe: model type {model.get('type')!r}, want BPE")
        self.vocab = dict(model["vocab"])
        self.ranks = {}
        for i, m in enumerate(model["merges"]):
            a, b = m.split(" ") if isinstance(m, str) else m
            self.ranks[(a, b)] = i
        self.special = {t["content"]: t["id"] for t in tokenizer_json.get("added_tokens", [])}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        for t, i in self.special.items():
            self.id_to_token[i] = t
        self.n_vocab = max(self.id_to_token) + 1
        self.pattern = regex.compile(QWEN2_PATTERN)
        self.cache = {}

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    def _bpe(self, word: str):
        """Merge the byte-level symbols of one pre-token by merge rank (lowest first)."""
        ids = self.cache.get(word)
        if ids is not None:
            return ids
        parts = list(word)
        ranks = self.ranks
        while len(parts) > 1:
            best, best_i = None, -1
            for i in range(len(parts) - 1):
                r = ranks.get((parts[i], parts[i + 1]))
                if r is not None and (best is None or r < best):
                    best, best_i = r, i
            if best is None:
                break
            parts[best_i:best_i + 2] = [parts[best_i] + parts[best_i + 1]]
        ids = [self.vocab[p] for p in parts]
        if len(self.cache) < 500_000:
            self.cache[word] = ids
        return ids

    def encode(self, text: str):
        """Token ids of text (no special-token parsing, nothing added)."""
        text = unicodedata.normalize("NFC", text)
        out = []
        for piece in self.pattern.findall(text):
            word = "".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))
            out.extend(self._bpe(word))
        return out

    def decode_bytes(self, ids):
        """Raw bytes of ids; special tokens decode to their text."""
        out = bytearray()
        for i in ids:
            t = self.id_to_token[i]
            if t in self.special:
                out += t.encode("utf-8")
            else:
                out += bytes(BYTE_DECODER[c] for c in t)
        return bytes(out)

    def decode(self, ids):
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def token_id(self, s: str) -> int:
        if s in self.special:
            return self.special[s]
        return self.vocab[s]
