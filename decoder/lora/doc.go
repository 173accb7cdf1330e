// Package lora reads LoRA adapters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large
// Language Models", https://arxiv.org/abs/2106.09685) in the two formats users have and maps
// them onto a GGUF base model; package decoder applies them, merged into the weights or
// unmerged per request.
//
// Formats:
//   - Hugging Face PEFT folders: adapter_config.json (r, lora_alpha, use_rslora,
//     rank_pattern, alpha_pattern, target_modules; https://huggingface.co/docs/peft, LoraConfig)
//     and adapter_model.safetensors (read by a small reader of this package, format at
//     https://github.com/huggingface/safetensors). Tensor names are mapped to GGUF as llama.cpp's
//     convert_lora_to_gguf.py does ("base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight"
//     → "blk.N.attn_q.weight"), including the q_proj/k_proj row permutation that
//     convert_hf_to_gguf.py applies to llama models (not qwen2): on B's rows.
//   - llama.cpp GGUF LoRA adapters (general.type = "adapter", adapter.type = "lora",
//     adapter.lora.alpha, tensors "<base tensor>.lora_a" [in, rank] and ".lora_b" [rank, out]),
//     checked as llama.cpp's llama_adapter_lora_init does.
//
// Principal types: [Adapter] (an [Info] plus one [Pair] per adapted weight, each with A
// [rank, in], B [out, rank] in float32 and its Scale = alpha/rank, rsLoRA alpha/√rank), and
// [Base], the shape of a base model ([BaseFromGGUF]). [Read] parses, [Adapter.Fit] checks
// against a base and orders B's rows for it, [Load] does both; [Inspect] prints a summary.
//
// Errors about input are *[Error] values naming the file and the tensor or key, of one of
// three kinds: [ErrFormat], [ErrUnsupported], [ErrMismatch].
package lora
