package decoder

import "fmt"

// GGUF names used by the decoder, in one place (llama.cpp src/llama-arch.cpp LLM_KV_NAMES and
// LLM_TENSOR_NAMES). Keys with "%s" take the architecture name.

// Metadata keys.
const (
	keyArchitecture = "general.architecture"
	keyName         = "general.name"
	keyFileType     = "general.file_type"

	keyContextLength   = "%s.context_length"
	keyEmbeddingLength = "%s.embedding_length"
	keyBlockCount      = "%s.block_count"
	keyFeedForward     = "%s.feed_forward_length"
	keyVocabSize       = "%s.vocab_size"
	keyHeadCount       = "%s.attention.head_count"
	keyHeadCountKV     = "%s.attention.head_count_kv"
	keyKeyLength       = "%s.attention.key_length"
	keyValueLength     = "%s.attention.value_length"
	keyRMSEps          = "%s.attention.layer_norm_rms_epsilon"
	keyRopeDims        = "%s.rope.dimension_count"
	keyRopeFreqBase    = "%s.rope.freq_base"
	keyRopeScaleLinear = "%s.rope.scale_linear" // older files: the linear factor
	keyRopeScalingType = "%s.rope.scaling.type"
	keyRopeScaling     = "%s.rope.scaling.factor"
	keyRopeAttnFactor  = "%s.rope.scaling.attn_factor"
	keyRopeOrigCtx     = "%s.rope.scaling.original_context_length"
	keyYarnExtFactor   = "%s.rope.scaling.yarn_ext_factor"
	keyYarnAttnFactor  = "%s.rope.scaling.yarn_attn_factor"
	keyYarnBetaFast    = "%s.rope.scaling.yarn_beta_fast"
	keyYarnBetaSlow    = "%s.rope.scaling.yarn_beta_slow"

	keyTokenizerModel = "tokenizer.ggml.model"
	keyTokenizerPre   = "tokenizer.ggml.pre"
	keyTokens         = "tokenizer.ggml.tokens"
	keyBOS            = "tokenizer.ggml.bos_token_id"
	keyEOS            = "tokenizer.ggml.eos_token_id"
	keyEOT            = "tokenizer.ggml.eot_token_id"
	keyEOM            = "tokenizer.ggml.eom_token_id"
)

// Tensor names. Per-block names take the block index.
const (
	tensorTokenEmbd  = "token_embd.weight"  // [NEmbd, NVocab]
	tensorOutputNorm = "output_norm.weight" // [NEmbd]
	tensorOutput     = "output.weight"      // [NEmbd, NVocab]; absent when tied to token_embd
	tensorRopeFreqs  = "rope_freqs.weight"  // [NRot/2] optional per-frequency divisors (Llama 3.1)

	tensorAttnNorm = "blk.%d.attn_norm.weight"   // [NEmbd]
	tensorAttnQ    = "blk.%d.attn_q.weight"      // [NEmbd, NHead·NEmbdHead]
	tensorAttnK    = "blk.%d.attn_k.weight"      // [NEmbd, NEmbdKV]
	tensorAttnV    = "blk.%d.attn_v.weight"      // [NEmbd, NEmbdKV]
	tensorAttnQB   = "blk.%d.attn_q.bias"        // [NHead·NEmbdHead]
	tensorAttnKB   = "blk.%d.attn_k.bias"        // [NEmbdKV]
	tensorAttnVB   = "blk.%d.attn_v.bias"        // [NEmbdKV]
	tensorAttnOut  = "blk.%d.attn_output.weight" // [NHead·NEmbdHead, NEmbd]
	tensorAttnOutB = "blk.%d.attn_output.bias"   // [NEmbd]
	tensorFFNNorm  = "blk.%d.ffn_norm.weight"    // [NEmbd]
	tensorFFNGate  = "blk.%d.ffn_gate.weight"    // [NEmbd, NFF]
	tensorFFNUp    = "blk.%d.ffn_up.weight"      // [NEmbd, NFF]
	tensorFFNDown  = "blk.%d.ffn_down.weight"    // [NFF, NEmbd]
)

// archKey returns the metadata key format k for architecture arch.
func archKey(k, arch string) string { return fmt.Sprintf(k, arch) }

// blockTensor returns the name of tensor format t in block il.
func blockTensor(t string, il int) string { return fmt.Sprintf(t, il) }
