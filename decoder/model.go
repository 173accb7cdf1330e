package decoder

import (
	"fmt"
	"sync"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels/cpu"
	"github.com/llmls/llmls/tokenizer"
)

// Model is a loaded model: its [Config], its [Weights] (aliasing the GGUF file's mapping) and
// the thread pool its forward passes run on. Sessions ([Model.NewSession]) hold the KV caches.
// A Model is safe for concurrent use by its sessions; their forward passes take turns.
type Model struct {
	Config  Config
	Weights Weights
	File    *gguf.File // the GGUF file; tensor data stays in it
	// Tokenizer is built from the file's tokenizer.ggml.* metadata; nil when that failed
	// (TokenizerErr says why), in which case the model still runs on token ids.
	Tokenizer    *tokenizer.Tokenizer
	TokenizerErr error

	arch     *architecture
	rope     ropeParams
	eog      map[int32]bool // end-of-generation ids from the metadata
	pool     *cpu.Pool
	ownsFile bool // Close closes File (Load); LoadFile leaves it to the caller

	// linears are the projections LoRA adapters can target, Linear.slot−1 indexing them
	// (adapter.go); merged lists the adapters merged into the weights at load.
	linears []*Linear
	merged  []MergedAdapter

	// evalMu serializes forward passes: they share pool and would only slow each other.
	evalMu sync.Mutex
}

// Option configures Load and LoadFile.
type Option func(*loadOptions)

type loadOptions struct {
	threads int
	merge   []mergeSpec // WithMergedLoRA
}

// WithThreads sets the number of threads of the forward pass; n <= 0 (the default) means one
// per CPU (runtime.NumCPU).
func WithThreads(n int) Option { return func(o *loadOptions) { o.threads = n } }

// Load memory-maps the GGUF file at path and prepares the model for inference. Tensors are
// not copied: resident memory grows with the pages the forward pass touches. Errors are
// *gguf.FormatError / *gguf.UnsupportedError for invalid files, *ModelError for a valid
// GGUF file this package cannot run (unsupported architecture, missing or misshapen tensor or
// metadata key), or an *os.PathError; with WithMergedLoRA also an adapter that cannot be read
// or does not fit (*lora.Error, naming the adapter file and tensor).
func Load(path string, opts ...Option) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	m, err := LoadFile(f, opts...)
	if err != nil {
		f.Close()
		return nil, err
	}
	m.ownsFile = true
	return m, nil
}

// LoadFile prepares a model from an already-parsed GGUF file (for example an embedded model
// from gguf.Parse). The file must stay open while the Model is used; Close does not close it.
// Errors are as for Load.
func LoadFile(f *gguf.File, opts ...Option) (*Model, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	archName, err := f.String(keyArchitecture)
	if err != nil {
		return nil, &ModelError{File: f.Path, Key: keyArchitecture, Err: err}
	}
	a := lookupArch(archName)
	if a == nil {
		return nil, &ModelError{File: f.Path, Key: keyArchitecture,
			Msg: fmt.Sprintf("unsupported architecture %q (supported: %s)", archName, supportedArchs())}
	}
	c, err := configFromGGUF(f, a)
	if err != nil {
		return nil, err
	}
	w, err := weightsFromGGUF(f, a, &c)
	if err != nil {
		return nil, err
	}
	m := &Model{Config: c, Weights: w, File: f, arch: a, pool: cpu.NewPool(o.threads)}
	m.indexLinears()
	if err := m.mergeAdapters(o.merge); err != nil {
		m.pool.Close()
		return nil, err
	}
	m.rope = newRopeParams(&m.Config, m.Weights.RopeFreqs)
	m.eog = eogFromGGUF(f, c.NVocab)
	m.Tokenizer, m.TokenizerErr = tokenizer.FromGGUF(f)
	return m, nil
}

// Close stops the model's threads and, for a model from Load, unmaps the file. The model and
// its sessions must not be used afterwards.
func (m *Model) Close() error {
	m.pool.Close()
	if m.ownsFile {
		return m.File.Close()
	}
	return nil
}

// Threads returns the number of threads of the forward pass.
func (m *Model) Threads() int { return m.pool.Threads() }

// IsEOG reports whether id ends generation: the end-of-sequence, end-of-turn or end-of-message
// token of the GGUF metadata (tokenizer.ggml.eos_token_id, eot_token_id, eom_token_id), or
// one of the tokenizer's end-of-generation tokens (which include the FIM pad and file
// separator tokens; see tokenizer.Tokenizer.IsEOG).
func (m *Model) IsEOG(id int32) bool {
	return m.eog[id] || (m.Tokenizer != nil && m.Tokenizer.IsEOG(id))
}

// Tokenize encodes a prompt for this model: BOS first when the vocabulary asks for it
// (tokenizer.ggml.add_bos_token), then text. With parseSpecial the texts of control tokens
// ("<|fim_prefix|>") become their ids, as llama.cpp's parse_special; use it only for text
// the program or the user at the command line wrote, never for a document's contents.
// Errors: the model has no usable tokenizer (TokenizerErr wrapped).
func (m *Model) Tokenize(text string, parseSpecial bool) ([]int32, error) {
	if m.Tokenizer == nil {
		return nil, fmt.Errorf("decoder: %s: no tokenizer: %w", m.File.Path, m.TokenizerErr)
	}
	var ids []int32
	if m.Tokenizer.AddBOS() && m.Tokenizer.BOS() >= 0 {
		ids = append(ids, m.Tokenizer.BOS())
	}
	if parseSpecial {
		return append(ids, m.Tokenizer.EncodeSpecial(text)...), nil
	}
	return append(ids, m.Tokenizer.Encode(text)...), nil
}

// eogFromGGUF collects the end-of-generation ids present in f's metadata.
func eogFromGGUF(f *gguf.File, nVocab int) map[int32]bool {
	eog := map[int32]bool{}
	for _, key := range []string{keyEOS, keyEOT, keyEOM} {
		id, err := f.Int(key)
		// An absent or malformed key only loses a stop token; the tokenizer has its own list.
		if err == nil && id >= 0 && id < int64(nVocab) {
			eog[int32(id)] = true
		}
	}
	return eog
}
