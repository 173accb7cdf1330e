package gguf_test

import (
	"bytes"
	"fmt"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels"
)

func Example() {
	w := gguf.NewWriter()
	w.Add("general.architecture", "llama")
	w.Add("llama.block_count", uint32(2))
	w.AddTensor("output_norm.weight", kernels.F32, []int64{4}, make([]byte, 16))
	var buf bytes.Buffer
	w.WriteTo(&buf)

	f, err := gguf.Parse(buf.Bytes(), "example.gguf")
	if err != nil {
		fmt.Println(err)
		return
	}
	arch, _ := f.String("general.architecture")
	layers, _ := f.Int("llama.block_count")
	t, _ := f.Tensor("output_norm.weight")
	fmt.Println(arch, layers, t.Type, t.Dims, len(t.Data))
	// Output: llama 2 F32 [4] 16
}
