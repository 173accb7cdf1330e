package lora

import "github.com/llmls/llmls/decoder/gguf"

// Internals reached by the external tests.

// STTensor is a parsed safetensors tensor, as the fuzz test sees it.
type STTensor struct {
	Name, DType string
	Shape       []int64
	Data        []byte
	Begin       int64
}

// ParseSafetensorsForTest runs parseSafetensors.
func ParseSafetensorsForTest(data []byte) ([]STTensor, error) {
	ts, _, err := parseSafetensors(data, "fuzz.safetensors")
	out := make([]STTensor, len(ts))
	for i, t := range ts {
		out[i] = STTensor(t)
	}
	return out, err
}

// DTypeSizeForTest returns the element size of a safetensors dtype (0: unknown).
func DTypeSizeForTest(dtype string) int { return stDTypeSizes[dtype] }

// ParsePEFTForTest parses a PEFT adapter from the bytes of its two files.
func ParsePEFTForTest(config, weights []byte) (*Adapter, error) {
	cfg, rp, ap, err := parsePEFTConfig(config, "adapter_config.json")
	if err != nil {
		return nil, err
	}
	a, err := parsePEFT(cfg, rp, ap, weights, "adapter_model.safetensors")
	if err == nil {
		a.summarize()
	}
	return a, err
}

// AdapterFromGGUFForTest reads a parsed GGUF adapter.
func AdapterFromGGUFForTest(f *gguf.File) (*Adapter, error) {
	a, err := adapterFromGGUF(f)
	if err == nil {
		a.summarize()
	}
	return a, err
}

// PermuteRowsForTest runs permuteRows.
func PermuteRowsForTest(b []float32, out, r, nHead int) error { return permuteRows(b, out, r, nHead) }
