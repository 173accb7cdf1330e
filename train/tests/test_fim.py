"""FIM spans, rows and metrics (fim.py). Needs python3-regex for the encoder."""

import unittest

from helpers import HAVE_REGEX, tiny_tokenizer_json

import fim

GO = """package x

import "fmt"

// Add returns a + b.
func Add(a, b int) int {
	s := a + b
	return s
}

func main() {
	for i := 0; i < 3; i++ {
		fmt.Println(Add(i, i))
	}
}
"""


class TestMetrics(unittest.TestCase):
    def test_levenshtein(self):
        cases = [("", "", 0), ("abc", "", 3), ("kitten", "sitting", 3), ("flaw", "lawn", 2), ("same", "same", 0)]
        for a, b, want in cases:
            with self.subTest(a=a, b=b):
                self.assertEqual(fim.levenshtein(a, b), want)
                self.assertEqual(fim.levenshtein(b, a), want)

    def test_edit_similarity_and_exact_match(self):
        self.assertEqual(fim.edit_similarity("", ""), 1.0)
        self.assertAlmostEqual(fim.edit_similarity("kitten", "sitting"), 1 - 3 / 7)
        self.assertTrue(fim.exact_match("return s  \n", "return s"))
        self.assertFalse(fim.exact_match(" return s", "return s"))

    def test_line_table(self):
        self.assertEqual(fim.line_table("ab\ncd\n"), [0, 3])
        self.assertEqual(fim.line_table("ab\n\ncd"), [0, 3, 4])
        self.assertEqual(fim.line_table(""), [0])


@unittest.skipUnless(HAVE_REGEX, "needs python3-regex")
class TestSampler(unittest.TestCase):
    def setUp(self):
        import bpe
        self.tok = bpe.Tokenizer(tiny_tokenizer_json())
        self.docs = fim.Docs([GO, GO.replace("Add", "Sum")])
        self.s = fim.FIMSampler(self.docs, self.tok, 128, seed="t")

    def test_prompt_orders(self):
        sp = fim.Specials(self.tok)
        self.assertEqual(fim.fim_prompt(sp, [1, 2], [3], spm=False), [sp.pre, 1, 2, sp.suf, 3, sp.mid])
        self.assertEqual(fim.fim_prompt(sp, [1, 2], [3], spm=True), [sp.suf, 3, sp.pre, 1, 2, sp.mid])

    def test_spans(self):
        import random
        rng = random.Random(0)
        seen = set()
        for i in range(300):
            kind = self.s.kinds[i % len(self.s.kinds)]
            sp = self.s.span(rng, 0, GO, kind)
            if sp is None:
                continue
            a, b = sp
            seen.add(kind)
            self.assertLessEqual(0, a)
            self.assertLessEqual(a, b)
            self.assertLessEqual(b, len(GO))
            if kind in ("line_rest", "lines", "block"):
                # middles end at a line end, never inside a line
                self.assertTrue(b == len(GO) or GO[b] == "\n", (kind, GO[a:b]))
            if kind == "line_rest":
                self.assertNotIn("\n", GO[a:b])
            if kind == "block":
                self.assertIn(GO[a:b], ("s := a + b\n\treturn s",
                                        "for i := 0; i < 3; i++ {\n\t\tfmt.Println(Add(i, i))\n\t}",
                                        "fmt.Println(Add(i, i))"))
        self.assertEqual(seen, set(self.s.kinds))

    def test_rows_deterministic_and_well_formed(self):
        r1 = self.s.row((5, 0))
        self.assertEqual(len(r1), 129)
        self.assertEqual(r1, fim.FIMSampler(self.docs, self.tok, 128, seed="t").row((5, 0)))
        self.assertNotEqual(r1, self.s.row((5, 1)))
        sp = fim.Specials(self.tok)
        # every complete FIM example: PRE..SUF..MID..EOT or SUF..PRE..MID..EOT, middle decodes to doc text
        n_fim = 0
        for k in range(20):
            toks = self.s.row((k, 0))  # rows start with a whole example; the last one may be cut
            i = 0
            while i < len(toks):
                if toks[i] not in (sp.pre, sp.suf):
                    i += 1
                    continue
                try:
                    m = toks.index(sp.mid, i)
                    e = toks.index(sp.eot, m)
                except ValueError:
                    break
                other = sp.suf if toks[i] == sp.pre else sp.pre
                self.assertIn(other, toks[i + 1:m])
                middle = self.tok.decode(toks[m + 1:e])
                self.assertTrue(any(middle in d for d in self.docs.texts), middle)
                n_fim += 1
                i = e + 1
        self.assertGreater(n_fim, 5)

    def test_eval_tasks(self):
        tasks = fim.eval_tasks(self.docs, self.tok, 20, seed="e")
        self.assertEqual(len(tasks), 20)
        self.assertEqual(tasks, fim.eval_tasks(self.docs, self.tok, 20, seed="e"))
        for t in tasks:
            text = self.docs.texts[t["doc"]]
            self.assertEqual(text[t["a"]:t["b"]], t["middle"])
            self.assertTrue(t["middle"].strip())
            self.assertTrue(text[:t["a"]].endswith(self.tok.decode(t["prefix"])))
            self.assertTrue(text[t["b"]:].startswith(self.tok.decode(t["suffix"])))
            if t["kind"] == "line_rest":
                self.assertNotIn("\n", t["middle"])
        self.assertEqual({t["kind"] for t in tasks}, {"line_rest", "lines"})


if __name__ == "__main__":
    unittest.main()
