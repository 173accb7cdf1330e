package decoder

// archQwen2 is Qwen2 and Qwen2.5(-Coder) (llama.cpp LLM_ARCH_QWEN2). Its graph,
// llm_build_qwen2, is llama's with two differences that are data here, not code: Q, K and V
// projections always have biases, and RoPE pairs dimension i with i + NRot/2 (NEOX), the
// Hugging Face rotate_half layout the GGUF converter keeps for this architecture.
var archQwen2 = &architecture{
	name:    "qwen2",
	rope:    RopeNeox,
	qkvBias: required,
	forward: forwardLlama,
}
