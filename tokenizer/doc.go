// Package tokenizer turns text into the token ids a model was trained on and back, in pure
// Go. The decoder, the token budget of context packing and the stop logic all go through it,
// so it must tokenize exactly as the model's own tokenizer: it reproduces llama.cpp's
// tokenizer test vectors (tests/test-tokenizer-0.cpp) id for id, and Hugging Face's
// tokenizers on the same tokenizer.json.
//
// A [Tokenizer] is built from a GGUF file's tokenizer.ggml.* metadata ([FromGGUF], through
// the [Metadata] interface that *gguf.File satisfies) or from a Hugging Face tokenizer.json
// and tokenizer_config.json ([FromHuggingFace]). Two models are supported:
//
//   - byte-level BPE ([ModelGPT2]): GPT-2's byte-to-unicode mapping, ranked merges, and a
//     family-specific pre-tokenizer that cuts text into words first. Families: qwen2
//     (Qwen2/2.5/2.5-Coder), deepseek-coder, starcoder (StarCoder2) and refact, gpt-2,
//     llama-bpe (Llama 3, with ignore_merges), and llama.cpp's default. Each is a row of
//     pretokenizers.go that quotes its regexes and where they come from.
//   - SentencePiece BPE ([ModelLlama]): Llama 2 and CodeLlama; pieces merge by score, spaces
//     become ▁, a space is prepended, and characters without a piece fall back to <0xNN>
//     byte tokens.
//
// # Special tokens
//
// [Tokenizer.Encode] is for text from a user's files: it never produces a control token, so a
// file containing "<|endoftext|>" or "<|fim_middle|>" is tokenized as the characters it is
// made of. [Tokenizer.EncodeSpecial] is for prompt templates written by the program: control
// token texts become their single ids. FIM markers and end-of-turn tokens are control tokens
// even where a conversion marked them user-defined (DeepSeek-Coder's <｜fim▁begin｜>), as
// llama.cpp does. [Tokenizer.FIM] and [Tokenizer.IsEOG] name the FIM markers and the tokens
// that end generation.
//
// # Decoding
//
// [Tokenizer.Piece] gives the bytes of one token and [Tokenizer.Decode] those of a sequence,
// exactly (possibly invalid UTF-8 at a cut). A [StreamDecoder] turns generated tokens into
// text for an editor: a token ending inside a UTF-8 sequence yields nothing until the
// sequence completes, and only valid UTF-8 is returned (U+FFFD where bytes are certainly
// invalid).
//
// # Invalid input
//
// Text need not be valid UTF-8: a stray byte is a one-byte character of its own to the
// pre-tokenizer and is encoded through its byte token, so Decode(Encode(s)) == s for
// byte-level vocabularies that have all 256 byte tokens (GPT-2, Qwen2; StarCoder2 and
// Refact lack tokens for 0xC0, 0xC1 and 0xF5-0xFF, which never occur in UTF-8, and drop
// them, as llama.cpp does). Vocabularies that are malformed get a clear error
// ([KeyError], [JSONError]) or a documented fallback recorded in [Tokenizer.Warnings]
// (unknown pre-tokenizer name, merges naming missing tokens); loading and encoding never
// panic on bad bytes.
//
// # Performance
//
// The pre-tokenizer regexes need look-ahead, which Go's regexp lacks. They are hand-written
// matchers (split.go), fuzzed against the original regexes run by github.com/dlclark/regexp2
// (FuzzSplit); regexp2 itself runs only Split patterns that have no hand-written matcher.
// Measured on 1 MB of Go source (BenchmarkPreTokenize, BenchmarkEncodeQwenJSON; 2 shared
// cores): splitting alone is 40-65x faster hand-written for the single-regex families
// (Qwen2 64 vs 1.5 MB/s, GPT-2 149 vs 2.3 MB/s) and 7x for DeepSeek-Coder's five stages,
// and a whole Qwen encode is 5-9x faster (11 vs 1.3 MB/s). BPE merges use a linked list of
// symbols and a heap of candidate pairs, O(n log n) per word of n bytes, with a per-call
// cache of repeated words; a 10 MB line takes seconds, never quadratic time.
// go run ./tokenizer/internal/benchcmp compares the speed with Hugging Face's Rust
// tokenizer on the same text and vocabulary and checks that the ids are identical.
//
// # Fidelity
//
// Besides llama.cpp's vectors (TestVocabVectors), the reference prompts of the test models
// (TestReferencePrompts) and a slow oracle fuzzed against the fast path (FuzzFastVsSlow),
// TestCrossCheckLlamaCpp and TestCrossCheckHuggingFace (run with LLMLS_CROSSCHECK=1; they
// need Node and tools/peers) compare thousands of random strings and Go source with
// llama.cpp and Hugging Face tokenizers themselves.
package tokenizer
