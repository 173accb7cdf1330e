"""The Python byte-level BPE encoder (bpe.py) and its agreement with Hugging Face tokenizers."""

import json
import os
import subprocess
import tempfile
import unittest

from helpers import HAVE_HF_TOKENIZERS, HAVE_REGEX, TRAIN, tiny_tokenizer_json

if HAVE_REGEX:
    import bpe


@unittest.skipUnless(HAVE_REGEX, "needs python3-regex")
class TestBPE(unittest.TestCase):
    def test_byte_alphabet(self):
        enc = bpe.BYTE_ENCODER
        self.assertEqual(len(set(enc.values())), 256)
        self.assertEqual(enc[ord("a")], "a")
        self.assertEqual(enc[ord(" ")], "Ġ")   # 0x20 -> U+0120
        self.assertEqual(enc[ord("\n")], "Ċ")  # 0x0A -> U+010A
        self.assertEqual(enc[ord("\t")], "ĉ")  # 0x09 -> U+0109

    def test_pretokenizer_splits(self):
        tok = bpe.Tokenizer(tiny_tokenizer_json())
        cases = [
            ("words", "func main() {", ["func", " main", "()", " {"]),
            ("digits one by one", "x123", ["x", "1", "2", "3"]),
            ("contraction", "it's", ["it", "'s"]),
            ("newline and indent", "a\n\t\treturn", ["a", "\n", "\t", "\treturn"]),
            ("trailing spaces", "a  \n", ["a", "  \n"]),
            ("punct with newlines", "}\n\nx", ["}\n\n", "x"]),
        ]
        for name, text, want in cases:
            with self.subTest(name=name):
                self.assertEqual(tok.pattern.findall(text), want)

    def test_merges_by_rank(self):
        # merges in rank order: (i,n) (in,t) (Ġ,in) ; "Ġint" -> Ġ + int? rank: (i,n)=0 first,
        # then (in,t)=1 gives [Ġ, int]; (Ġ,in) no longer applies (no 'in' symbol left).
        merges = [("i", "n"), ("in", "t"), ("Ġ", "in")]
        j = tiny_tokenizer_json(merges)
        tok = bpe.Tokenizer(j)
        v = j["model"]["vocab"]
        self.assertEqual(tok.encode(" int"), [v["Ġ"], v["int"]])
        self.assertEqual(tok.encode(" in"), [v["Ġin"]])
        self.assertEqual(tok.encode("inin"), [v["in"], v["in"]])

    def test_round_trip_bytes(self):
        tok = bpe.Tokenizer(tiny_tokenizer_json([("i", "n")]))
        for s in ["", "héllo wörld", "日本語 🙂", "\x00\x01\x7f", "a\r\n\tb"]:
            with self.subTest(s=s):
                self.assertEqual(tok.decode(tok.encode(s)), s)

    def test_specials_after_bpe(self):
        j = tiny_tokenizer_json()
        tok = bpe.Tokenizer(j)
        self.assertEqual(tok.token_id("<|endoftext|>"), 256)
        self.assertEqual(tok.token_id("<|fim_prefix|>"), 259)
        self.assertEqual(tok.n_vocab, 256 + len(bpe.SPECIAL_TOKENS))
        # special token text in input is plain text, never the special id
        self.assertNotIn(256, tok.encode("<|endoftext|>"))


@unittest.skipUnless(HAVE_REGEX and HAVE_HF_TOKENIZERS, "needs python3-regex, node and tools/peers/node_modules/tokenizers")
class TestAgainstHuggingFace(unittest.TestCase):
    """Trains a small vocabulary with tokenizer.mjs (Hugging Face BpeTrainer) and checks that
    bpe.py encodes exactly like Hugging Face's encoder."""

    def test_train_and_encode(self):
        text = "".join(open(os.path.join(TRAIN, f), encoding="utf-8").read() for f in ("bpe.py", "fim.py", "model.py"))
        # Hugging Face matches added (special) tokens inside text; bpe.py never does (specials are
        # added by id). The Go corpus has no such strings; keep them out of this text too.
        text = text.replace("<|", "< |")
        tricky = ["héllo wörld ÿ \x00\x01 \r\n\r\n  \t\t x   \n\n\n 123 'S 'LL Ǆ 日本語 🙂 e\u0301",
                  "func (r *Reader) Read(p []byte) (n int, err error) {\n\tif r.i >= int64(len(r.s)) {\n\t\treturn 0, io.EOF\n\t}\n}\n"]
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "train.txt")
            with open(src, "w", encoding="utf-8") as f:
                f.write(text)
            out = os.path.join(d, "tok.json")
            res = subprocess.run(["node", os.path.join(TRAIN, "tokenizer.mjs"), "train", out, "600",
                                  json.dumps(bpe.SPECIAL_TOKENS), src], check=True, capture_output=True, text=True)
            stats = json.loads(res.stdout.strip().splitlines()[-1])
            self.assertEqual(stats["vocab_size"], 600)
            inp, outp = os.path.join(d, "in.json"), os.path.join(d, "out.json")
            samples = [text[:5000], text[-3000:]] + tricky
            with open(inp, "w") as f:
                json.dump(samples, f)
            subprocess.run(["node", os.path.join(TRAIN, "tokenizer.mjs"), "encode", out, inp, outp], check=True)
            with open(outp) as f:
                ref = json.load(f)
            with open(out) as f:
                tj = json.load(f)
        tok = bpe.Tokenizer(tj)
        self.assertEqual(len(tj["model"]["vocab"]), 600 - len(bpe.SPECIAL_TOKENS))
        self.assertEqual([t["content"] for t in tj["added_tokens"]], bpe.SPECIAL_TOKENS)
        for s, r in zip(samples, ref):
            self.assertEqual(tok.encode(s), r, s[:40])


if __name__ == "__main__":
    unittest.main()
