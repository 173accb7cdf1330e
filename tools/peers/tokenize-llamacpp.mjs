// tokenize-llamacpp.mjs: tokenize strings with llama.cpp (node-llama-cpp's prebuilt CPU
// build) for cross-checking llmls's tokenizer on GGUF vocabularies.
//
// Usage:
//   node tokenize-llamacpp.mjs --model VOCAB.gguf --in STRINGS.json [--special]
//
// STRINGS.json is a JSON array of strings. Prints a JSON array with, for each string, the
// token ids llama.cpp gives without adding BOS/EOS (llama_tokenize add_special=false), with
// special tokens parsed only under --special (parse_special).
import { readFileSync } from "node:fs";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const args = { special: false };
for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i];
    const next = () => {
        if (i + 1 >= process.argv.length) throw new Error(`tokenize-llamacpp: ${a} needs a value`);
        return process.argv[++i];
    };
    switch (a) {
        case "--model": args.model = next(); break;
        case "--in": args.in = next(); break;
        case "--special": args.special = true; break;
        default: throw new Error(`tokenize-llamacpp: unknown argument ${a}`);
    }
}
if (!args.model || !args.in) {
    throw new Error("tokenize-llamacpp: --model and --in are required");
}
const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: args.model, vocabOnly: true });
const strings = JSON.parse(readFileSync(args.in, "utf8"));
const out = strings.map((s) => Array.from(model.tokenize(s, args.special)));
console.log(JSON.stringify(out));
await model.dispose();
await llama.dispose();
