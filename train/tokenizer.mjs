// tokenizer.mjs: train the byte-level BPE vocabulary with Hugging Face tokenizers (npm
// tokenizers@0.23.2, installed in tools/peers), and encode texts with it for cross-checks.
//
//   node tokenizer.mjs train OUT.json N_VOCAB SPECIALS_JSON FILE...   train, cut, save tokenizer.json
//   node tokenizer.mjs encode TOKENIZER.json IN.json OUT.json          IN: ["text", ...] -> [[ids], ...]
//
// Why the cut: the node binding exposes Tokenizer.train(files) but no BpeTrainer options (its
// Trainer class has no constructor), so training runs BpeTrainer::default() (vocab_size 30000,
// min_frequency 0, no initial alphabet). BPE training is greedy and deterministic: the first K
// merges of that run are exactly the merges a run stopped at K would learn. So we keep merges in
// order until the vocabulary holds N_VOCAB - len(specials) tokens, and put all 256 ByteLevel
// symbols first (what initial_alphabet = ByteLevel.alphabet() would add), so every byte is
// encodable. The special tokens follow, as in Qwen2.5-Coder's vocabulary.
//
// Caveat of train(files): the files are read line by line and each line is one training
// sequence, so pre-tokens that span a line break ("\n\n", "}\n\n") are never counted; such text
// still encodes (as "}\n" + "\n"), only with a few more tokens.
import { createRequire } from "node:module";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tools", "peers", "package.json"));
const tk = require("tokenizers");

const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Qwen2.5's tokenizer.json pieces (normalizer, pre_tokenizer, decoder).
function skeleton(vocab, merges, addedTokens) {
    const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
    return {
        version: "1.0",
        truncation: null,
        padding: null,
        added_tokens: addedTokens,
        normalizer: { type: "NFC" },
        pre_tokenizer: {
            type: "Sequence",
            pretokenizers: [
                { type: "Split", pattern: { Regex: QWEN2_REGEX }, behavior: "Isolated", invert: false },
                byteLevel,
            ],
        },
        post_processor: byteLevel,
        decoder: byteLevel,
        model: {
            type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "",
            end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, ignore_merges: false,
            vocab, merges,
        },
    };
}

// GPT-2 bytes_to_unicode order: printable bytes first, then the remapped ones.
function byteAlphabet() {
    const bs = [];
    for (let b = 33; b <= 126; b++) bs.push(b);
    for (let b = 161; b <= 172; b++) bs.push(b);
    for (let b = 174; b <= 255; b++) bs.push(b);
    const cs = bs.slice();
    let n = 0;
    for (let b = 0; b < 256; b++) {
        if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
    }
    return cs.map((c) => String.fromCodePoint(c));
}

function train(out, nVocab, specials, files) {
    const t = tk.Tokenizer.fromString(JSON.stringify(skeleton({}, [], [])));
    t.train(files);
    const tmp = out + ".full.json";
    t.save(tmp, false);
    const full = JSON.parse(readFileSync(tmp, "utf8"));
    unlinkSync(tmp);
    const merges = full.model.merges.map((m) => (Array.isArray(m) ? m : m.split(" ")));
    const nBpe = nVocab - specials.length;
    const vocab = {};
    let next = 0;
    for (const c of byteAlphabet()) vocab[c] = next++;
    const kept = [];
    for (const [a, b] of merges) {
        if (next >= nBpe) break;
        if (!(a in vocab) || !(b in vocab)) throw new Error(`tokenizer: merge ${a} ${b} uses an unknown symbol`);
        kept.push([a, b]);
        if (!((a + b) in vocab)) vocab[a + b] = next++;
    }
    if (next < nBpe) {
        process.stderr.write(`tokenizer: only ${next} BPE tokens learned (wanted ${nBpe})\n`);
    }
    const added = specials.map((content, i) => ({
        id: next + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    }));
    const json = skeleton(vocab, kept, added);
    // Let the library validate and canonicalize what we built.
    const check = tk.Tokenizer.fromString(JSON.stringify(json));
    check.save(out, true);
    process.stdout.write(JSON.stringify({
        trained_merges: merges.length, kept_merges: kept.length, bpe_tokens: next,
        vocab_size: check.getVocabSize(true),
    }) + "\n");
}

async function encode(tokFile, inFile, outFile) {
    const t = tk.Tokenizer.fromFile(tokFile);
    const texts = JSON.parse(readFileSync(inFile, "utf8"));
    const out = [];
    for (const s of texts) {
        const enc = await t.encode(s, null, { addSpecialTokens: false });
        out.push(enc.getIds());
    }
    writeFileSync(outFile, JSON.stringify(out));
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === "train") {
    const [out, n, specialsJson, ...files] = rest;
    train(out, parseInt(n, 10), JSON.parse(specialsJson), files);
} else if (cmd === "encode") {
    await encode(...rest);
} else {
    process.stderr.write("usage: tokenizer.mjs train|encode ...\n");
    process.exit(2);
}
