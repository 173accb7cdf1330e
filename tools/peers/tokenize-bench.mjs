// tokenize-bench.mjs: run Hugging Face's Rust tokenizer (npm tokenizers, a native binding)
// for llmls's tokenizer benchmark and cross-checks.
//
// Usage:
//   node tokenize-bench.mjs --tokenizer tokenizer.json --text FILE [--iters 5] [--ids-out FILE]
//   node tokenize-bench.mjs --tokenizer tokenizer.json --strings STRINGS.json
//
// With --text it encodes the whole file as one sequence without special tokens
// (addSpecialTokens: false), once to warm up and then --iters times, and prints one JSON
// object {version, tokens, seconds: [...], min_s, median_s}; only the encode call is timed.
// With --ids-out it writes the ids of the last run, space-separated, so that the caller
// (go run ./tokenizer/internal/benchcmp) can check both tokenizers agree.
//
// With --strings (a JSON array of strings) it times nothing and prints a JSON array of the
// ids of each string. Hugging Face matches every added token's text, special or not (like
// llmls's EncodeSpecial).
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
        case "--strings": args.strings = next(); break;
        default: throw new Error(`tokenize-bench: unknown argument ${a}`);
    }
}
if (!args.tokenizer || !(args.text || args.strings)) {
    throw new Error("tokenize-bench: --tokenizer and --text or --strings are required");
}

const tok = Tokenizer.fromFile(args.tokenizer);
const opts = { addSpecialTokens: false };

if (args.strings) {
    const strings = JSON.parse(readFileSync(args.strings, "utf8"));
    const out = [];
    for (const s of strings) {
        const enc = await tok.encode(s, null, opts);
        out.push(enc.getIds());
    }
    // No process.exit: it would cut a large write to a pipe.
    process.stdout.write(JSON.stringify(out) + "\n");
} else {
    const text = readFileSync(args.text, "utf8");
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
}
