package tokenizer_test

import (
	"slices"
	"sync"
	"testing"
)

// TestConcurrentEncode encodes from several goroutines at once (run with -race): a Tokenizer
// has no mutable state after construction.
func TestConcurrentEncode(t *testing.T) {
	tok := tinyTokenizer(t)
	text := "func main() {\n\treturn nil\n}\n<|fim_prefix|>hello world 🦙 " + string(make([]byte, 2000))
	want, wantS := tok.Encode(text), tok.EncodeSpecial(text)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if got := tok.Encode(text); !slices.Equal(got, want) {
					t.Error("Encode differs under concurrency")
					return
				}
				if got := tok.EncodeSpecial(text); !slices.Equal(got, wantS) {
					t.Error("EncodeSpecial differs under concurrency")
					return
				}
				_ = tok.Decode(want)
			}
		})
	}
	wg.Wait()
}
