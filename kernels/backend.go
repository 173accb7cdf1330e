package kernels

// Backend is the set of operations a transformer forward pass needs, implemented once per
// device: kernels/cpu (cpu.Backend, Go on the host) and kernels/cuda (cuda.Device, CUDA
// kernels, build tag cuda). The list is what decoder's forward pass calls in kernels/cpu
// (decoder/ops.go, decoder/attention.go, decoder/session.go's RoPE): quantized matrix products,
// RMSNorm with its weight, residual and bias adds, SwiGLU, RoPE with angles computed by the
// caller, and attention over a KV cache held by the backend.
//
// Data lives in the backend's memory: a [Buffer] is an array of float32 (device memory on a
// GPU); [Weights] is a weight matrix in GGUF layout; a [KV] is a KV cache. The host moves
// activations in and out with Write and Read. Token-major layout everywhere: a buffer of n
// rows of width w holds row t at elements [t·w, (t+1)·w).
//
// Operations are asynchronous on a device: they are queued in order, and a failure of the device
// (a launch error, an illegal address) is remembered and returned by the next Read or Sync; the
// operations after a failure are skipped. Inconsistent shapes are the caller's bug and panic
// before anything is queued. A Backend is not safe for concurrent use.
//
// Semantics (the reference is kernels/cpu, which follows llama.cpp's ggml-cpu):
//   - MatMul: dst[t·Rows + r] = Σ_c W[r, c]·x[t·Cols + c].
//   - RMSNorm: dst[t] = x[t] / sqrt(mean(x[t]²) + eps) ⊙ w (ggml_rms_norm then ggml_mul).
//   - RoPE: Su et al., arXiv:2104.09864; the caller computes cos and sin of every (token, pair)
//     (so YaRN and linear scaling stay in the decoder); [RopeNorm] pairs (2i, 2i+1),
//     [RopeNeox] pairs (i, i+nRot/2).
//   - Attention: causal scaled dot-product attention with GQA over the cells of a KV cache:
//     out[t, h] = Σ_{j ≤ pos0+t} softmax_j(q[t, h]·K[j, h/g] / √HeadDim)·V[j, h/g],
//     g = nHead/HeadsKV.
type Backend interface {
	// Name says which backend and device this is ("cpu (8 threads)", "cuda: NVIDIA H200").
	Name() string

	// Alloc returns a zeroed buffer of n float32 elements, or an error when memory is exhausted.
	Alloc(n int) (Buffer, error)
	// Write copies src into dst at elements [off, off+len(src)).
	Write(dst Buffer, off int, src []float32) error
	// Read waits for the queued operations and copies src's elements [off, off+len(dst)) into
	// dst; it returns the first device error since the last Sync or Read.
	Read(dst []float32, src Buffer, off int) error
	// LoadWeights makes a weight matrix of type t with rows output features of cols input
	// features from data in GGUF layout (rows × t.RowSize(cols) bytes). It returns an error for
	// a type the backend cannot multiply, inconsistent sizes, or exhausted memory. The backend
	// may keep data (the CPU does, without copying) or copy it (a GPU does).
	LoadWeights(t DType, rows, cols int, data []byte) (Weights, error)
	// NewKV allocates a KV cache of shape s, or returns an error for an unsupported element type
	// (F32 and F16 are the ones llama.cpp uses by default) or exhausted memory.
	NewKV(s KVShape) (KV, error)

	// MatMul computes dst = W·x for nTokens rows: x [nTokens, w.Cols()], dst [nTokens, w.Rows()].
	MatMul(dst Buffer, w Weights, x Buffer, nTokens int)
	// RMSNorm computes dst = RMSNorm(x)·w for n rows: x, dst [n, width], w [width].
	RMSNorm(dst, x, w Buffer, n, width int, eps float32)
	// Add computes dst = a + b over the first n elements.
	Add(dst, a, b Buffer, n int)
	// AddBias adds bias [width] to each of the n rows of x [n, width] in place.
	AddBias(x, bias Buffer, n, width int)
	// SiLUMul computes dst = SiLU(gate) ⊙ up over the first n elements (SwiGLU; Shazeer 2020,
	// arXiv:2002.05202).
	SiLUMul(dst, gate, up Buffer, n int)
	// RoPE rotates, in place, the first nRot dimensions of each head of x [n, nHeads·headDim];
	// cos and sin are [n, nRot/2]: the angles of each token's position (dimensions past nRot
	// are unchanged).
	RoPE(x Buffer, n, nHeads, headDim, nRot int, mode RopeMode, cos, sin Buffer)
	// StoreKV writes the keys and values of n tokens at positions [pos, pos+n) of layer:
	// k and v are [n, HeadsKV·HeadDim]. With an F16 cache they are rounded to nearest even.
	StoreKV(kv KV, layer, pos int, k, v Buffer, n int)
	// Attention computes out [n, nHead·HeadDim] from q [n, nHead·HeadDim] for the tokens at
	// positions [pos0, pos0+n) of layer, attending to cells [0, pos0+t] (causal mask); the cache
	// must hold cells [0, pos0+n).
	Attention(out, q Buffer, kv KV, layer, pos0, n, nHead int)

	// Sync waits for the queued operations and returns the first device error since the last
	// Sync or Read.
	Sync() error
	// Close releases the backend's resources (the buffers, weights and caches it made become
	// invalid).
	Close() error
}

// Buffer is a backend's array of float32.
type Buffer interface {
	// Len returns the number of float32 elements.
	Len() int
	// Free releases the memory; the buffer must not be used afterwards.
	Free()
}

// Weights is a backend's weight matrix in GGUF layout: Rows() output features of Cols() input
// features of Type().
type Weights interface {
	Type() DType
	Rows() int
	Cols() int
	// Free releases the backend's copy (if any); the weights must not be used afterwards.
	Free()
}

// KVShape is the size of a KV cache: per layer, K and V are [HeadsKV, Cap, HeadDim] (head
// outermost, as decoder.KVCache), elements of Type (F32 or F16).
type KVShape struct {
	Layers, HeadsKV, HeadDim int
	Cap                      int // cells (tokens of context)
	Type                     DType
}

// Elems returns the elements of one of K or V of one layer: HeadsKV·Cap·HeadDim.
func (s KVShape) Elems() int { return s.HeadsKV * s.Cap * s.HeadDim }

// KV is a backend's KV cache.
type KV interface {
	Shape() KVShape
	// Free releases the memory; the cache must not be used afterwards.
	Free()
}

// RopeMode is how RoPE pairs the dimensions of a head (llama.cpp enum llama_rope_type).
type RopeMode int

const (
	// RopeNorm rotates adjacent pairs (2i, 2i+1): llama.
	RopeNorm RopeMode = iota
	// RopeNeox rotates (i, i+nRot/2), as GPT-NeoX and Hugging Face's rotate_half: qwen2.
	RopeNeox
)
