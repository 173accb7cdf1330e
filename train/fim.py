"""Fill-in-the-middle training rows and evaluation tasks.

Formats (Bavarian et al. 2022, "Efficient Training of Language Models to Fill in the Middle";
Qwen2.5-Coder technical report), with Qwen2.5-Coder's special tokens:
  PSM  <|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>M<|endoftext|>
  SPM  <|fim_suffix|>S<|fim_prefix|>P<|fim_middle|>M<|endoftext|>   (the server's order: the
       suffix stays put while the user types, so the KV cache of S is reused)
  plain  a left-to-right window of a file, <|endoftext|> when the window reaches the file end.

Middles are cut where an editor asks for completions: the rest of a line, the rest of a line plus
a few more lines, the body of a just-opened block, and (as in the paper) random character spans.
P, S and M are tokenized separately, at character offsets, as a completion server tokenizes them.
Rows are `seq_len + 1` tokens of examples packed back to back; the last one is cut to fit.
Every row is a pure function of (seed, row key), so a resumed run sees the same data.
"""

import bisect
import random


class Specials:
    def __init__(self, tok):
        self.eot = tok.token_id("<|endoftext|>")
        self.pre = tok.token_id("<|fim_prefix|>")
        self.mid = tok.token_id("<|fim_middle|>")
        self.suf = tok.token_id("<|fim_suffix|>")


def line_table(text):
    """Start offsets of the lines of text (a final empty line after a trailing newline is dropped)."""
    starts = [0]
    i = text.find("\n")
    while i != -1:
        if i + 1 < len(text):
            starts.append(i + 1)
        i = text.find("\n", i + 1)
    return starts


def line_end(text, start):
    e = text.find("\n", start)
    return len(text) if e == -1 else e


def indent_of(text, start, end):
    i = start
    while i < end and text[i] in " \t":
        i += 1
    return i - start


def fim_prompt(sp: Specials, prefix_ids, suffix_ids, spm: bool):
    """Prompt token ids up to and including <|fim_middle|>."""
    if spm:
        return [sp.suf] + suffix_ids + [sp.pre] + prefix_ids + [sp.mid]
    return [sp.pre] + prefix_ids + [sp.suf] + suffix_ids + [sp.mid]


class Docs:
    """A list of texts with length-weighted sampling and cached line tables."""

    def __init__(self, texts):
        self.texts = [t for t in texts if t.strip()]
        self.cum = []
        total = 0
        for t in self.texts:
            total += len(t)
            self.cum.append(total)
        self.total = total
        self._lines = {}

    def pick(self, rng):
        i = bisect.bisect_right(self.cum, rng.randrange(self.total))
        return i, self.texts[i]

    def lines(self, i):
        lt = self._lines.get(i)
        if lt is None:
            lt = self._lines[i] = line_table(self.texts[i])
        return lt


class FIMSampler:
    """Builds training rows from Docs. See module doc for the mix."""

    # middle kinds and their weights
    KINDS = (("line_rest", 0.35), ("lines", 0.30), ("block", 0.15), ("random", 0.20))

    def __init__(self, docs: Docs, tok, seq_len, seed, fim_rate=0.9, spm_rate=0.5,
                 max_prefix=320, max_suffix=128, max_middle=96):
        self.docs = docs
        self.tok = tok
        self.sp = Specials(tok)
        self.seq_len = seq_len
        self.seed = seed
        self.fim_rate = fim_rate
        self.spm_rate = spm_rate
        self.max_prefix = max_prefix
        self.max_suffix = max_suffix
        self.max_middle = max_middle
        self.kinds = [k for k, _ in self.KINDS]
        self.kind_w = [w for _, w in self.KINDS]

    # --- spans -------------------------------------------------------------------------------

    def span(self, rng, di, text, kind):
        """(a, b) character offsets of the middle, or None if this document has no such span."""
        lines = self.docs.lines(di)
        n = len(lines)
        if kind == "random":
            a = rng.randint(0, len(text))
            return a, min(len(text), a + rng.randint(0, 400))
        # a non-blank line
        for _ in range(8):
            li = rng.randrange(n)
            s = lines[li]
            e = line_end(text, s)
            if text[s:e].strip():
                break
        else:
            return None
        ind = s + indent_of(text, s, e)
        if kind == "line_rest":
            return rng.randint(ind, e), e
        if kind == "lines":
            a = ind if rng.random() < 0.5 else rng.randint(ind, e)
            last = min(n - 1, li + rng.choice((1, 1, 2, 2, 3, 4, 6)))
            return a, line_end(text, lines[last])
        if kind == "block":
            # a line that opens a block ('{' at its end); middle = the body, cursor after the
            # auto-indent of the first body line, up to the end of the last body line.
            for _ in range(16):
                li = rng.randrange(n)
                s = lines[li]
                e = line_end(text, s)
                if text[s:e].rstrip().endswith("{") and li + 2 < n:
                    break
            else:
                return None
            ind0 = indent_of(text, s, e)
            for lj in range(li + 1, min(n, li + 17)):
                sj = lines[lj]
                ej = line_end(text, sj)
                if indent_of(text, sj, ej) == ind0 and text[sj + ind0:ej].startswith("}"):
                    if lj == li + 1:
                        return None  # empty block
                    b0 = lines[li + 1]
                    a = b0 + indent_of(text, b0, line_end(text, b0))
                    return a, line_end(text, lines[lj - 1])
            return None
        raise ValueError(f"fim: unknown kind {kind!r}")

    # --- context around a span -----------------------------------------------------------------

    def context(self, text, a, b, pre_budget, suf_budget):
        """(prefix_ids, suffix_ids): at most pre_budget/suf_budget tokens, cut at line starts/ends
        where the character window allows, then trimmed by tokens (prefix from the left)."""
        start = max(0, a - pre_budget * 5)
        if start > 0:
            nl = text.find("\n", start, a)
            start = nl + 1 if nl != -1 else start
        pre = self.tok.encode(text[start:a]) if pre_budget > 0 else []
        if len(pre) > pre_budget:
            pre = pre[len(pre) - pre_budget:]
        end = min(len(text), b + suf_budget * 5)
        if end < len(text):
            nl = text.rfind("\n", b, end)
            end = nl + 1 if nl != -1 else end
        suf = self.tok.encode(text[b:end]) if suf_budget > 0 else []
        return pre, suf[:suf_budget]

    # --- examples and rows ---------------------------------------------------------------------

    def fim_example(self, rng):
        for _ in range(20):
            di, text = self.docs.pick(rng)
            kind = rng.choices(self.kinds, self.kind_w)[0]
            sp = self.span(rng, di, text, kind)
            if sp is None:
                continue
            a, b = sp
            mid = self.tok.encode(text[a:b])
            if len(mid) > self.max_middle:
                continue
            pre_budget = rng.randint(32, self.max_prefix)
            suf_budget = 0 if rng.random() < 0.1 else rng.randint(16, self.max_suffix)
            pre, suf = self.context(text, a, b, pre_budget, suf_budget)
            spm = rng.random() < self.spm_rate
            return fim_prompt(self.sp, pre, suf, spm) + mid + [self.sp.eot]
        return self.plain_example(rng)

    def plain_example(self, rng):
        di, text = self.docs.pick(rng)
        lines = self.docs.lines(di)
        start = 0 if rng.random() < 0.25 else lines[rng.randrange(len(lines))]
        end = min(len(text), start + (self.seq_len + 1) * 6)
        ids = self.tok.encode(text[start:end])
        if end == len(text):
            ids.append(self.sp.eot)
        return ids[: self.seq_len + 1]

    def example(self, rng):
        if rng.random() < self.fim_rate:
            return self.fim_example(rng)
        return self.plain_example(rng)

    def row(self, key):
        """seq_len + 1 token ids for row `key` (any hashable-to-str value, e.g. (step, i))."""
        rng = random.Random(f"{self.seed}/{key}")
        toks = []
        while len(toks) < self.seq_len + 1:
            toks.extend(self.example(rng))
        return toks[: self.seq_len + 1]


# --- evaluation tasks -----------------------------------------------------------------------------

def eval_tasks(docs: Docs, tok, n, seed, max_prefix=288, max_suffix=128, max_middle=48):
    """A fixed list of n FIM tasks on held-out files: half 'rest of the line' (cursor inside a
    line), half 'next lines' (cursor after the indentation of a line; middle = that line and up
    to two more). Middles have visible text and at most max_middle tokens."""
    rng = random.Random(f"eval/{seed}")
    helper = FIMSampler(docs, tok, 512, seed)
    tasks = []
    while len(tasks) < n:
        di, text = docs.pick(rng)
        lines = docs.lines(di)
        li = rng.randrange(len(lines))
        s = lines[li]
        e = line_end(text, s)
        if not text[s:e].strip():
            continue
        ind = s + indent_of(text, s, e)
        if len(tasks) % 2 == 0:
            kind = "line_rest"
            a, b = rng.randint(ind, max(ind, e - 1)), e
        else:
            kind = "lines"
            last = min(len(lines) - 1, li + rng.randint(0, 2))
            a, b = ind, line_end(text, lines[last])
        middle = text[a:b]
        if not middle.strip():
            continue
        mid_ids = tok.encode(middle)
        if len(mid_ids) > max_middle:
            continue
        pre, suf = helper.context(text, a, b, max_prefix, max_suffix)
        tasks.append({"doc": di, "kind": kind, "a": a, "b": b, "prefix": pre, "suffix": suf,
                      "middle": middle, "middle_ids": mid_ids})
    return tasks


def levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def edit_similarity(pred: str, ref: str) -> float:
    """1 - Levenshtein(pred, ref) / max(len): 1.0 for identical strings (both empty too)."""
    m = max(len(pred), len(ref))
    return 1.0 if m == 0 else 1.0 - levenshtein(pred, ref) / m


def exact_match(pred: str, ref: str) -> bool:
    """Equal up to trailing whitespace (a completion's trailing spaces/newlines do not matter)."""
    return pred.rstrip() == ref.rstrip()
