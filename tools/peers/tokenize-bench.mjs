// tokenize-bench.mjs: time Hugging Face's Rust tokenizer (npm tokenizers, a native binding)
// encoding a text file, for llmls's tokenizer benchmark (go run ./tokenizer/internal/benchcmp).
//
// Usage:
//   node tokenize-bench.mjs --tokenizer tokenizer.json --text FILE [--iters 5] [--ids-out FILE]
//
// Encodes the whole file as one sequence without special tokens (addSpecialTokens: false),
// once to warm up, then --iters times; prints one JSON object
// {version, tokens, seconds: [...], min_s, median_s}. With --ids-out it writes the ids of the
// last run, space-separated, so the caller can check both tokenizers agree.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const { Tokenizer } = require("tokenizers");
const version = require("tokenizers/package.json").version;

const args = { iters: 5 };
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    const next = () => {
        if (i + 1 >= process.argv.length) throw new Error(`tokenize-bench: ${a} needs a value`);
        return process.argv[++i];
    };
    switch (a) {
        case "--tokenizer": args.tokenizer = next(); break;
        case "--text": args.text = next(); break;
        case "--iters": args.iters = parseInt(next(), 10); break;
        case "--ids-out": args.idsOut = next(); break;
        default: throw new Error(`tokenize-bench: unknown argument ${a}`);
    }
}
if (!args.tokenizer || !args.text) {
    throw new Error("tokenize-bench: --tokenizer and --text are required");
}

const tok = Tokenizer.fromFile(args.tokenizer);
const text = readFileSync(args.text, "utf8");
const opts = { addSpecialTokens: false };

let enc = await tok.encode(text, null, opts); // warm-up
const seconds = [];
for (let i = 0; i < args.iters; i++) {
    const t0 = process.hrtime.bigint();
    enc = await tok.encode(text, null, opts);
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
const ids = enc.getIds();
if (args.idsOut) {
    writeFileSync(args.idsOut, ids.join(" "));
}
const sorted = [...seconds].sort((a, b) => a - b);
console.log(JSON.stringify({
    version,
    tokens: ids.length,
    seconds,
    min_s: sorted[0],
    median_s: sorted[Math.floor(sorted.length / 2)],
}));
