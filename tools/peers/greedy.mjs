// greedy.mjs: load a GGUF model with llama.cpp (node-llama-cpp, prebuilt CPU build) and print the
// greedy (argmax) continuation of a prompt as token ids, so that llama.cpp's output can be compared
// with PyTorch's (train/) and with llmls's decoder on the same file.
//
// Usage:
//   node greedy.mjs --model M.gguf (--tokens 1,2,3 | --text "..." | --batch IN.json) [--n 32]
//                   [--stop-eog] [--lora A.gguf [--lora-scale 1.0]] [--threads 1] [--ctx 1024]
//                   [--kv f32|f16]
//
// --kv sets the KV cache type (default f32, "plain float math"; llama.cpp's own default is f16,
// which rounds K and V and can flip near-tied argmaxes).
// --text is tokenized by llama.cpp with special tokens parsed (so "<|fim_prefix|>" is one token).
// Prints one JSON object: {model, lora, lora_scale, prompt_tokens, greedy_tokens, greedy_text}.
// --batch IN.json runs many prompts on one loaded model: IN is [{"tokens": [...]} or
// {"text": "..."}, ...] and the output is {model, lora, lora_scale, results: [{prompt_tokens,
// greedy_tokens, greedy_text}, ...]}; the KV cache is cleared between prompts.
// With --stop-eog the chain stops after the first end-of-generation token (it is included).
import { readFileSync } from "node:fs";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

function parseArgs(argv) {
    const args = { n: 32, threads: 1, ctx: 1024, loraScale: 1.0, stopEog: false, kv: "f32" };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) throw new Error(`greedy: ${a} needs a value`);
            return argv[++i];
        };
        switch (a) {
            case "--model": args.model = next(); break;
            case "--tokens": args.tokens = next(); break;
            case "--text": args.text = next(); break;
            case "--batch": args.batch = next(); break;
            case "--n": args.n = parseInt(next(), 10); break;
            case "--threads": args.threads = parseInt(next(), 10); break;
            case "--ctx": args.ctx = parseInt(next(), 10); break;
            case "--lora": args.lora = next(); break;
            case "--lora-scale": args.loraScale = parseFloat(next()); break;
            case "--stop-eog": args.stopEog = true; break;
            case "--kv": args.kv = next(); break;
            default: throw new Error(`greedy: unknown argument ${a}`);
        }
    }
    if (!args.model) throw new Error("greedy: --model is required");
    if ([args.tokens, args.text, args.batch].filter((v) => v !== undefined).length !== 1) {
        throw new Error("greedy: give exactly one of --tokens, --text and --batch");
    }
    if (!Number.isInteger(args.n) || args.n < 1) throw new Error("greedy: --n must be a positive integer");
    if (args.kv !== "f32" && args.kv !== "f16") throw new Error(`greedy: --kv ${args.kv}, want f32 or f16`);
    return args;
}

function parseTokens(s) {
    return s.split(",").filter((t) => t.trim() !== "").map((t) => {
        const v = Number(t);
        if (!Number.isInteger(v) || v < 0) throw new Error(`greedy: bad token id ${JSON.stringify(t)}`);
        return v;
    });
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    // build: "never" keeps node-llama-cpp from trying to compile or download llama.cpp: the
    // prebuilt @node-llama-cpp/linux-x64 binaries are all we use.
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0 });
    const kvType = args.kv.toUpperCase();
    const ctxOpts = {
        contextSize: args.ctx, threads: args.threads, sequences: 1, flashAttention: false,
        experimentalKvCacheKeyType: kvType, experimentalKvCacheValueType: kvType,
    };
    if (args.lora) ctxOpts.lora = { adapters: [{ filePath: args.lora, scale: args.loraScale }] };
    const context = await model.createContext(ctxOpts);
    const sequence = context.getSequence();

    let prompts;
    if (args.batch !== undefined) {
        const items = JSON.parse(readFileSync(args.batch, "utf8"));
        if (!Array.isArray(items)) throw new Error(`greedy: ${args.batch} is not a JSON array`);
        prompts = items.map((it, i) => {
            if (Array.isArray(it.tokens)) return parseTokens(it.tokens.join(","));
            if (typeof it.text === "string") return Array.from(model.tokenize(it.text, true));
            throw new Error(`greedy: ${args.batch}[${i}] has neither tokens nor text`);
        });
    } else if (args.tokens !== undefined) {
        prompts = [parseTokens(args.tokens)];
    } else {
        prompts = [Array.from(model.tokenize(args.text, true))];
    }

    const results = [];
    for (const prompt of prompts) {
        if (prompt.length === 0) throw new Error("greedy: empty prompt");
        await sequence.clearHistory();
        const out = [];
        // temperature 0 = argmax; no repetition penalty or other sampler stages.
        for await (const tok of sequence.evaluate(prompt, { temperature: 0 })) {
            out.push(tok);
            if (args.stopEog && model.isEogToken(tok)) break;
            if (out.length >= args.n) break;
        }
        results.push({ prompt_tokens: prompt, greedy_tokens: out, greedy_text: model.detokenize(out, true) });
    }
    const head = { model: args.model, lora: args.lora ?? null, lora_scale: args.lora ? args.loraScale : null, kv: args.kv };
    const body = args.batch !== undefined ? { results } : results[0];
    process.stdout.write(JSON.stringify({ ...head, ...body }) + "\n");
    await context.dispose();
    await model.dispose();
    await llama.dispose();
}

main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
});
