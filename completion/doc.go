// Package completion is the completion engine: request scheduling (debounce, cancellation,
// one generation per document), the typed-ahead cache, FIM prompt templates and token-budget
// packing, and post-processing of model output into ghost text.
//
// It sits between lsp (above) and decoder, tokenizer and context (below).
package completion
