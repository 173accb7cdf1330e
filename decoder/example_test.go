package decoder_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os"

	"github.com/llmls/llmls/decoder"
	"github.com/llmls/llmls/decoder/sample"
	"github.com/llmls/llmls/kernels"
)

// Example shows what `llmls generate` does: load, tokenize, generate with streaming, report
// the speed.
func Example() {
	m, err := decoder.Load("model.gguf", decoder.WithThreads(2))
	if err != nil {
		log.Fatal(err) // names the file and what is wrong with it
	}
	defer m.Close()
	prompt, err := m.Tokenize("def fibonacci(n):", true)
	if err != nil {
		log.Fatal(err)
	}
	s, err := m.NewSession(decoder.SessionOptions{KVType: kernels.F16})
	if err != nil {
		log.Fatal(err)
	}
	stream := m.Tokenizer.NewStreamDecoder() // holds back incomplete UTF-8 sequences
	res, err := s.Generate(context.Background(), prompt, decoder.GenerateOptions{
		MaxTokens: 64,
		Sampling:  sample.Params{Temperature: 0.7, TopK: 40, TopP: 0.95, MinP: 0.05},
		Rand:      rand.New(rand.NewPCG(42, 0)),
		OnToken: func(id int32) error {
			_, err := fmt.Print(stream.Add(id))
			return err
		},
	})
	fmt.Print(stream.Flush())
	if err != nil {
		log.Fatal(err)
	}
	st := res.Stats
	fmt.Fprintf(os.Stderr, "\n%d prompt tokens (%d reused) at %.1f tok/s, %d generated at %.1f tok/s, stop: %v\n",
		st.PromptTokens, st.Reused, st.PromptTokensPerSecond(), st.Generated, st.GenerateTokensPerSecond(), res.Reason)
}

// ExampleSession_Prefill shows prefix reuse between two requests that share their start.
func ExampleSession_Prefill() {
	m, err := decoder.Load("model.gguf")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	s, _ := m.NewSession(decoder.SessionOptions{})
	ctx := context.Background()
	first, _ := m.Tokenize("package main\n\nfunc main() {\n\tfmt.", false)
	second, _ := m.Tokenize("package main\n\nfunc main() {\n\tfmt.Println(", false)
	if _, err := s.Prefill(ctx, first); err != nil {
		log.Fatal(err)
	}
	reused, err := s.Prefill(ctx, second) // evaluates only the tokens after the common prefix
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(reused, "tokens reused; next token:", sample.Argmax(s.Logits()))
}
