// Package decoder is the model runtime of llmls: it loads a Llama-family GGUF model
// ([Load], [LoadFile]), runs the transformer forward pass on the CPU through kernels/cpu,
// keeps a KV cache per [Session] with prefix reuse ([Session.Prefill]), and samples
// continuations ([Session.Generate], with the sampling functions of decoder/sample).
//
// The model is three things, as in llama2.c's run.c:
//   - [Config]: hyperparameters read from GGUF metadata (glossary below);
//   - [Weights]: the tensors, each field commented with its GGUF name and shape; matrices
//     stay in the file mapping (quantized weights are never dequantized whole);
//   - the state: activation buffers and the [KVCache], owned by a [Session].
//
// Architectures are rows of one table (arch.go), one file each (llama.go, qwen2.go). A row
// names its forward pass, which reads top to bottom like llama.cpp's llm_build_* functions;
// qwen2 reuses llama's, its differences (QKV biases, NEOX RoPE) being data of its row. All
// math goes through the small set of functions in ops.go (the seam for another backend);
// every projection is a [Linear] applied by one helper, which also adds the session's LoRA
// adapters. LoRA (adapter.go; formats in decoder/lora): [Model.LoadAdapter] prepares an
// adapter once, [Session.SetAdapters] picks the active set and scales per request (unmerged:
// y = W·x + Σ s·B(A·x)), and [WithMergedLoRA] merges one into the weights at load instead.
//
// # Glossary
//
// One Go name per hyperparameter and buffer. GGUF keys are prefixed with the architecture
// ("qwen2.block_count"); llama.cpp names are those of src/llama-hparams.h and
// src/llama-model.cpp (mid-2025).
//
//	Go name         GGUF key                                  llama.cpp          meaning
//	NCtxTrain       {arch}.context_length                     n_ctx_train        context length the model was trained with (tokens)
//	NEmbd           {arch}.embedding_length                   n_embd             width of the residual stream
//	NLayer          {arch}.block_count                        n_layer            transformer blocks
//	NFF             {arch}.feed_forward_length                n_ff               hidden width of the SwiGLU FFN
//	NHead           {arch}.attention.head_count               n_head             query heads
//	NHeadKV         {arch}.attention.head_count_kv            n_head_kv          key/value heads (GQA: NHead/NHeadKV queries share one)
//	NEmbdHead       {arch}.attention.key_length               n_embd_head_k      width of one head (default NEmbd/NHead)
//	NEmbdKV         (derived) NHeadKV·NEmbdHead               n_embd_k_gqa       width of K and V rows in the KV cache
//	NRot            {arch}.rope.dimension_count               n_rot              leading dimensions of a head that RoPE rotates
//	NormRMSEps      {arch}.attention.layer_norm_rms_epsilon   f_norm_rms_eps     RMSNorm epsilon
//	NVocab          {arch}.vocab_size, token_embd ne1         n_vocab            vocabulary size (rows of token_embd)
//	RopeType        (per architecture)                        rope_type          NORM (adjacent pairs) or NEOX (i, i+NRot/2)
//	RopeFreqBase    {arch}.rope.freq_base                     rope_freq_base     θ base (default 10000)
//	RopeFreqScale   1 / {arch}.rope.scaling.factor            rope_freq_scale    position interpolation factor (1: none)
//	RopeScaling     {arch}.rope.scaling.type                  rope_scaling_type  none, linear or yarn
//	NCtxOrigYarn    {arch}.rope.scaling.original_context_length n_ctx_orig_yarn  YaRN's original context (default NCtxTrain)
//	YarnExtFactor   {arch}.rope.scaling.yarn_ext_factor       yarn_ext_factor    YaRN ramp mix (default 1 for yarn, else 0)
//	YarnAttnFactor  {arch}.rope.scaling.yarn_attn_factor      yarn_attn_factor   RoPE magnitude factor (default 1)
//	YarnBetaFast    {arch}.rope.scaling.yarn_beta_fast        yarn_beta_fast     YaRN ramp start, rotations (default 32)
//	YarnBetaSlow    {arch}.rope.scaling.yarn_beta_slow        yarn_beta_slow     YaRN ramp end, rotations (default 1)
//
// Buffers of a forward pass over a micro-batch of n tokens (row-major, the last index
// innermost), named as llama.cpp's graph callbacks name them (see [DebugHook]):
//
//	inp_embd       [n, NEmbd]              token embeddings (get_rows of token_embd)
//	attn_norm      [n, NEmbd]              RMSNorm(x)·attn_norm
//	Qcur           [n, NHead·NEmbdHead]    queries (after bias and RoPE)
//	Kcur, Vcur     [n, NEmbdKV]            keys (after bias and RoPE) and values, stored in the KV cache
//	kqv_out        [n, NHead·NEmbdHead]    attention output, heads concatenated
//	ffn_inp        [n, NEmbd]              residual after attention
//	ffn_norm       [n, NEmbd]              RMSNorm(ffn_inp)·ffn_norm
//	ffn_swiglu     [n, NFF]                SiLU(gate·x) ⊙ up·x
//	ffn_out        [n, NEmbd]              down(ffn_swiglu)
//	l_out          [n, NEmbd]              residual after the FFN: the next layer's input
//	result_norm    [nOut, NEmbd]           final RMSNorm of the rows whose logits are wanted
//	result_output  [nOut, NVocab]          logits
//
// Positions are token indices in the session: the token at cache cell i has position i.
// Ranges of cells and positions are half-open, [lo, hi).
package decoder
