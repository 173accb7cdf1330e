package tokenizer_test

import (
	"fmt"
	"log"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/tokenizer"
)

// exampleTokenizer loads the small vocabulary of tiny_test.go: the 256 byte tokens, one
// token per word of tinyWords ("hello", " world", "func", " main", ...), and the added tokens
// <|endoftext|>, <|fim_prefix|>, <|fim_suffix|>, <|fim_middle|> (control) and <tool_call>.
func exampleTokenizer() *tokenizer.Tokenizer {
	tok, err := tokenizer.FromHuggingFace(tinyTokenizerJSON(), []byte(tinyConfigJSON))
	if err != nil {
		log.Fatal(err)
	}
	return tok
}

func ExampleFromHuggingFace() {
	tok, err := tokenizer.FromHuggingFace(tinyTokenizerJSON(), []byte(tinyConfigJSON))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Model(), tok.Pre(), tok.VocabSize())
	fmt.Printf("EOS %d %q, add BOS %v\n", tok.EOS(), tok.Text(tok.EOS()), tok.AddBOS())
	// Output:
	// gpt2 qwen2 288
	// EOS 283 "<|endoftext|>", add BOS false
}

func ExampleFromGGUF() {
	// A GGUF model file carries its vocabulary in tokenizer.ggml.* metadata; *gguf.File
	// satisfies tokenizer.Metadata. (tinyGGUF writes the tiny vocabulary as a GGUF.)
	f, err := gguf.Parse(tinyGGUF(), "tiny.gguf")
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Model(), tok.Pre(), tok.VocabSize(), tok.EOS())
	fmt.Println(tok.Encode("hello world"))
	// Output:
	// gpt2 qwen2 288 283
	// [259 264]
}

func ExampleTokenizer_Encode() {
	tok := exampleTokenizer()
	ids := tok.Encode("hello world")
	fmt.Println(ids, tok.Decode(ids))

	// User text that spells a control token is just text.
	ids = tok.Encode("<|endoftext|>")
	fmt.Println(len(ids), tok.Decode(ids))
	// Output:
	// [259 264] hello world
	// 13 <|endoftext|>
}

func ExampleTokenizer_EncodeSpecial() {
	tok := exampleTokenizer()
	// A FIM prompt template: the markers become single control tokens.
	ids := tok.EncodeSpecial("<|fim_prefix|>func main() {\n\t<|fim_suffix|>\n}<|fim_middle|>")
	fmt.Println(ids)
	fmt.Println(tok.FIM().Prefix, tok.FIM().Suffix, tok.FIM().Middle)
	// Output:
	// [284 267 271 272 273 10 9 285 10 125 286]
	// 284 285 286
}

func ExampleTokenizer_NewStreamDecoder() {
	tok := exampleTokenizer()
	// "é" is two bytes, and the tiny vocabulary has no token for it: two byte tokens.
	ids := tok.Encode("café")
	d := tok.NewStreamDecoder()
	for _, id := range ids {
		fmt.Printf("%d → %q\n", id, d.Add(id))
	}
	fmt.Printf("EOS → %q, end of generation %v\n", d.Add(tok.EOS()), tok.IsEOG(tok.EOS()))
	fmt.Printf("flush → %q\n", d.Flush())
	// Output:
	// 99 → "c"
	// 97 → "a"
	// 102 → "f"
	// 195 → ""
	// 169 → "é"
	// EOS → "", end of generation true
	// flush → ""
}

func ExampleFormatIDs() {
	fmt.Println(tokenizer.FormatIDs([]int32{151659, 750, 912}))
	// Output: 151659 750 912
}

func ExampleTokenizer_FormatPieces() {
	tok := exampleTokenizer()
	fmt.Print(tok.FormatPieces(tok.EncodeSpecial("<|fim_middle|>return nil\n")))
	// Output:
	// 286	"<|fim_middle|>"	control
	// 279	"return"
	// 282	" nil"
	// 10	"\n"
}
