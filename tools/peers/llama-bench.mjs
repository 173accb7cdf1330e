// llama-bench.mjs: time llama.cpp (node-llama-cpp's prebuilt CPU build) on a GGUF file the way
// `make bench` times llmls: evaluate a prompt of --prompt tokens in one batch, then generate
// --gen tokens one at a time (greedy), with --threads threads. Prints one JSON object:
//   {model, threads, prompt_tokens, gen_tokens, reps: [{prompt_ms, gen_ms}, ...],
//    load_ms, system_info}
// Each rep clears the KV cache first. gen_ms covers gen single-token evaluations (the first of
// prompt[0], then each sampled token), sampling included. One untimed warm-up rep (prompt 32,
// gen 4) pages the weights in and lets llama.cpp allocate its buffers. KV cache: llama.cpp's
// default (f16); llmls's bench uses f16 too.
//
// Usage: node llama-bench.mjs --model M.gguf [--threads 2] [--prompt 512] [--gen 64] [--reps 1]
//                             [--seed 1]
// The prompt is pseudo-random token ids below 150000 from --seed (the same ids llmls's bench
// uses: see bench/decode promptTokens, a 32-bit LCG).
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

function parseArgs(argv) {
    const a = { threads: 2, prompt: 512, gen: 64, reps: 1, seed: 1 };
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) throw new Error(`llama-bench: ${k} needs a value`);
            return argv[++i];
        };
        switch (k) {
            case "--model": a.model = next(); break;
            case "--threads": a.threads = parseInt(next(), 10); break;
            case "--prompt": a.prompt = parseInt(next(), 10); break;
            case "--gen": a.gen = parseInt(next(), 10); break;
            case "--reps": a.reps = parseInt(next(), 10); break;
            case "--seed": a.seed = parseInt(next(), 10); break;
            default: throw new Error(`llama-bench: unknown argument ${k}`);
        }
    }
    if (!a.model) throw new Error("llama-bench: --model is required");
    for (const k of ["threads", "prompt", "gen", "reps"]) {
        if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`llama-bench: --${k} must be a positive integer`);
    }
    return a;
}

// promptTokens must match bench/decode's promptTokens: x = x*1664525 + 1013904223 (mod 2^32),
// token = x % 150000.
function promptTokens(n, seed) {
    const out = [];
    let x = seed >>> 0;
    for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        out.push(x % 150000);
    }
    return out;
}

async function timeRep(sequence, prompt, gen) {
    await sequence.clearHistory();
    const t0 = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    const t1 = performance.now();
    // gen single-token evaluations: the first of prompt[0] again, then of each sampled token.
    let n = 0;
    for await (const tok of sequence.evaluate([prompt[0]], { temperature: 0 })) {
        void tok;
        if (++n >= gen) break;
    }
    const t2 = performance.now();
    return { prompt_ms: t1 - t0, gen_ms: t2 - t1 };
}

async function main() {
    const args = parseArgs(process.argv.slice(2));
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: args.threads });
    const tl = performance.now();
    const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0 });
    const loadMs = performance.now() - tl;
    const context = await model.createContext({
        contextSize: 1024, batchSize: 512, sequences: 1,
        threads: { ideal: args.threads, min: args.threads },
    });
    const sequence = context.getSequence();
    const prompt = promptTokens(args.prompt, args.seed);
    await timeRep(sequence, promptTokens(32, args.seed + 1), 4); // warm-up
    const reps = [];
    for (let r = 0; r < args.reps; r++) reps.push(await timeRep(sequence, prompt, args.gen));
    process.stdout.write(JSON.stringify({
        model: args.model, threads: args.threads, prompt_tokens: args.prompt, gen_tokens: args.gen,
        reps, load_ms: loadMs, system_info: llama.systemInfo,
    }) + "\n");
    await context.dispose();
    await model.dispose();
    await llama.dispose();
}

main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
});
