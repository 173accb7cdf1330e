package decoder

import (
	"fmt"
	"math"
	"slices"

	"github.com/llmls/llmls/decoder/lora"
	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/kernels/cpu"
)

// LoRA adapters at run time (read by decoder/lora; applied as llama.cpp's
// src/llama-graph.cpp build_lora_mm and tools/export-lora do). Two ways:
//
//   - Merged at load (WithMergedLoRA): W' = W + s·B·A, computed once per adapted matrix into
//     a heap copy of W of the same type (dequantize a row, add, quantize it again). Decoding
//     then costs what the base costs, but the adapter is fixed for the Model's lifetime.
//   - Unmerged (Model.LoadAdapter, Session.SetAdapters): every projection computes
//     y = W·x + Σ s·B(A·x) over the session's active adapters, W untouched and shared, so a
//     session switches adapters or scales between requests without reloading anything.
//
// In both s = userScale · alpha/rank (rsLoRA: alpha/√rank; lora.Pair.Scale). A and B stay
// float32 whatever the base type: on a Q8_0 or Q4 base (the QLoRA deployment case) the LoRA
// branch is a float32 product on unquantized activations, as in llama.cpp.

// Adapter is a LoRA adapter prepared for unmerged use with one Model: for each projection it
// adapts, A [rank, in] as a float32 matrix and Bᵀ [rank, out]. It is immutable and may be
// active in any number of sessions of its Model at once. Its memory (Bytes) is freed with the
// last reference.
type Adapter struct {
	info    lora.Info
	model   *Model
	weights []*loraWeight // indexed by Linear.slot−1; nil where the adapter does not apply
	maxRank int
	bytes   int64
}

// loraWeight is one adapted projection: y += userScale·scale·B(A·x).
type loraWeight struct {
	a     cpu.Matrix // F32, GGUF dims [in, rank]: Rows = rank, Cols = in
	bt    []float32  // Bᵀ [rank, out] row-major: row j is column j of B
	rank  int
	scale float32 // alpha/rank (rsLoRA: alpha/√rank), lora.Pair.Scale
}

// Info describes the adapter: path, format, rank, alpha, targets, layers.
func (a *Adapter) Info() lora.Info { return a.info }

// Bytes returns the memory the adapter holds: 4·rank·(in+out) bytes per adapted projection.
func (a *Adapter) Bytes() int64 { return a.bytes }

// LoadAdapter reads the LoRA adapter at path (a PEFT folder or a llama.cpp GGUF adapter, see
// decoder/lora), checks it against m and prepares it for unmerged use with
// Session.SetAdapters. The base weights are not touched. Errors: *lora.Error naming the file
// and tensor (kinds lora.ErrFormat, lora.ErrUnsupported, lora.ErrMismatch: another base
// model's adapter, unknown target modules, NaN/Inf values, truncated files), *os.PathError.
func (m *Model) LoadAdapter(path string) (*Adapter, error) {
	base, err := lora.BaseFromGGUF(m.File)
	if err != nil {
		return nil, err
	}
	la, err := lora.Load(path, base)
	if err != nil {
		return nil, err
	}
	return m.newAdapter(la)
}

// newAdapter lays out a fitted adapter's pairs for the projection helper.
func (m *Model) newAdapter(la *lora.Adapter) (*Adapter, error) {
	a := &Adapter{info: la.Info, model: m, weights: make([]*loraWeight, len(m.linears))}
	for _, p := range la.Pairs {
		lin, err := m.adaptedLinear(la.Path, &p)
		if err != nil {
			return nil, err
		}
		ab := make([]byte, 4*len(p.A))
		if err := cpu.Quantize(kernels.F32, ab, p.A); err != nil {
			return nil, err
		}
		am, err := cpu.NewMatrix(kernels.F32, p.Rank, p.In, ab)
		if err != nil {
			return nil, fmt.Errorf("decoder: LoRA %s: %s: %w", la.Path, p.SourceA, err)
		}
		bt := make([]float32, p.Rank*p.Out)
		for o := range p.Out {
			for j := range p.Rank {
				bt[j*p.Out+o] = p.B[o*p.Rank+j]
			}
		}
		a.weights[lin.slot-1] = &loraWeight{a: am, bt: bt, rank: p.Rank, scale: p.Scale}
		a.maxRank = max(a.maxRank, p.Rank)
		a.bytes += int64(4 * (len(p.A) + len(p.B)))
	}
	return a, nil
}

// adaptedLinear returns the projection a fitted pair targets. lora.Fit has checked the
// target and shape against the same file; a failure here is a bug, reported, not a panic.
func (m *Model) adaptedLinear(path string, p *lora.Pair) (*Linear, error) {
	for _, lin := range m.linears {
		if lin.name == p.Target {
			if lin.In() != p.In || lin.Out() != p.Out {
				return nil, &ModelError{File: m.File.Path, Tensor: p.Target, Msg: fmt.Sprintf("LoRA %s: ΔW [%d, %d], projection [%d, %d]", path, p.Out, p.In, lin.Out(), lin.In())}
			}
			return lin, nil
		}
	}
	return nil, &ModelError{File: m.File.Path, Tensor: p.Target, Msg: fmt.Sprintf("LoRA %s: not a projection of this model", path)}
}

// indexLinears numbers the projections adapters can target (Linear.slot).
func (m *Model) indexLinears() {
	add := func(l *Linear) {
		if l.name != "" {
			m.linears = append(m.linears, l)
			l.slot = len(m.linears)
		}
	}
	for i := range m.Weights.Layers {
		lw := &m.Weights.Layers[i]
		for _, l := range []*Linear{&lw.Wq, &lw.Wk, &lw.Wv, &lw.Wo, &lw.FFNGate, &lw.FFNUp, &lw.FFNDown} {
			add(l)
		}
	}
	add(&m.Weights.Output)
}

// ActiveAdapter is an adapter applied unmerged in a session, with its user scale.
type ActiveAdapter struct {
	Adapter *Adapter
	// Scale multiplies the adapter's alpha/rank: 1 applies it as trained, 0 disables it,
	// 0.5 halves its effect (llama.cpp llama_set_adapter_lora's scale).
	Scale float32
}

// SetAdapters sets the LoRA adapters the session's forward passes apply, unmerged
// (y = W·x + Σ Scale·alpha/rank·B(A·x)); nil or empty means the base model (plus whatever
// was merged at load). Entries with Scale 0 are dropped.
//
// When the set changes, the KV cache is emptied: its keys and values were computed with other
// weights, so no prefix of them may be reused (the next Prefill evaluates the whole prompt).
// Setting the same set again (same adapters, same order, same scales) keeps the cache. To
// keep prefix reuse while alternating between adapters (one per workspace folder, say), use
// one Session per set. Switching costs no more than that: adapters are prepared once by
// Model.LoadAdapter.
//
// Errors (the session is left unchanged): a nil adapter, an adapter loaded for another
// Model, or a NaN or infinite scale.
func (s *Session) SetAdapters(set []ActiveAdapter) error {
	var next []ActiveAdapter
	maxRank := 0
	for i, aa := range set {
		switch {
		case aa.Adapter == nil:
			return fmt.Errorf("decoder: SetAdapters: adapter %d is nil", i)
		case aa.Adapter.model != s.m:
			return fmt.Errorf("decoder: SetAdapters: adapter %s was loaded for another model (%s), not %s", aa.Adapter.info.Path, aa.Adapter.model.File.Path, s.m.File.Path)
		case math.IsNaN(float64(aa.Scale)) || math.IsInf(float64(aa.Scale), 0):
			return fmt.Errorf("decoder: SetAdapters: adapter %s: scale %v is not finite", aa.Adapter.info.Path, aa.Scale)
		case aa.Scale == 0:
			continue
		}
		next = append(next, aa)
		maxRank = max(maxRank, aa.Adapter.maxRank)
	}
	if slices.Equal(next, s.active) {
		return nil
	}
	s.active = next
	s.dropCache()
	if need := s.batchSize * maxRank; len(s.loraAX) < need {
		s.loraAX = make([]float32, need)
	}
	return nil
}

// Adapters returns a copy of the session's active adapters (see SetAdapters).
func (s *Session) Adapters() []ActiveAdapter { return slices.Clone(s.active) }

// dropCache empties the KV cache (its entries belong to other weights).
func (s *Session) dropCache() {
	s.cache.Truncate(0)
	s.tokens = s.tokens[:0]
	s.hasLogits = false
}

// project computes dst = l(x) for n rows with the session's active adapters (see
// Model.project).
func (s *Session) project(dst []float32, l *Linear, x []float32, n int) {
	s.m.project(dst, l, x, n, s.active, s.loraAX)
}

// addLoRA adds s·B(A·x) to dst [n, out] for x [n, in]: A·x [n, rank] through the rank-r
// bottleneck (scaled there, rank values per row instead of out), then for each row rank
// axpys over Bᵀ's rows. Output columns are split across threads, so each thread reads its
// slice of Bᵀ once for all n rows. ax is scratch of at least n·rank.
func (m *Model) addLoRA(dst []float32, w *loraWeight, s float32, x []float32, n int, ax []float32) {
	r := w.rank
	out := len(w.bt) / r
	ax = ax[:n*r]
	cpu.MatMul(m.pool, ax, w.a, x, n)
	cpu.Scale(ax, s)
	apply := func(lo, hi int) {
		for t := range n {
			d := dst[t*out+lo : t*out+hi]
			for j := range r {
				cpu.Axpy(ax[t*r+j], w.bt[j*out+lo:j*out+hi], d)
			}
		}
	}
	if n*r*out < 2*rowGrain {
		apply(0, out)
		return
	}
	// Chunks of whole cache lines (16 floats), about four per thread.
	grain := (out/(4*m.pool.Threads()) + 15) &^ 15
	m.pool.ForChunk(out, max(grain, 16), apply)
}

// MergedAdapter is an adapter merged into a Model's weights at load (WithMergedLoRA).
type MergedAdapter struct {
	Info  lora.Info
	Scale float32 // the user scale it was merged with
}

// MergedAdapters returns the adapters merged into the weights at load, in option order.
func (m *Model) MergedAdapters() []MergedAdapter { return slices.Clone(m.merged) }

// mergeSpec is one WithMergedLoRA option.
type mergeSpec struct {
	path  string
	scale float32
}

// WithMergedLoRA merges the LoRA adapter at path (PEFT folder or GGUF adapter) into the
// weights at load, with user scale scale (1: as trained): W' = W + scale·alpha/rank·B·A for
// every adapted projection, held in memory in W's type (the original stays in the file).
// The option may be repeated; the deltas add up before a single requantization.
//
// For a quantized base (Q8_0, Q4_0, Q4_K, …) the merged row is quantized again, which adds
// one rounding of that type's size to the adapted matrices (a Q8_0 step is amax/127 per
// block of 32): the merged model drifts from base + adapter by about as much as the base's
// own quantization error. Unmerged use (Model.LoadAdapter) has no such loss and lets sessions
// switch adapters; merging keeps decoding at the base model's speed.
func WithMergedLoRA(path string, scale float32) Option {
	return func(o *loadOptions) { o.merge = append(o.merge, mergeSpec{path, scale}) }
}

// mergeTerm is one adapter's update of one matrix.
type mergeTerm struct {
	p     *lora.Pair
	scale float32 // user scale · Pair.Scale
}

// mergeAdapters applies the WithMergedLoRA options to m's weights.
func (m *Model) mergeAdapters(specs []mergeSpec) error {
	if len(specs) == 0 {
		return nil
	}
	base, err := lora.BaseFromGGUF(m.File)
	if err != nil {
		return err
	}
	terms := make([][]mergeTerm, len(m.linears))
	for _, sp := range specs {
		if math.IsNaN(float64(sp.scale)) || math.IsInf(float64(sp.scale), 0) {
			return fmt.Errorf("decoder: merge LoRA %s: scale %v is not finite", sp.path, sp.scale)
		}
		la, err := lora.Load(sp.path, base)
		if err != nil {
			return err
		}
		for i := range la.Pairs {
			p := &la.Pairs[i]
			lin, err := m.adaptedLinear(la.Path, p)
			if err != nil {
				return err
			}
			terms[lin.slot-1] = append(terms[lin.slot-1], mergeTerm{p, sp.scale * p.Scale})
		}
		m.merged = append(m.merged, MergedAdapter{Info: la.Info, Scale: sp.scale})
	}
	for i, ts := range terms {
		if len(ts) == 0 {
			continue
		}
		lin := m.linears[i]
		w, err := mergeMatrix(m.pool, lin.W, ts)
		if err != nil {
			return &ModelError{File: m.File.Path, Tensor: lin.name, Msg: "merging LoRA", Err: err}
		}
		lin.W = w
	}
	return nil
}

// mergeMatrix returns W + Σ scale·B·A in a new matrix of W's type: each row dequantized,
// updated by rank axpys per term (row o gets Σ_j scale·B[o, j]·A[j, :]), quantized again.
func mergeMatrix(p *cpu.Pool, w cpu.Matrix, terms []mergeTerm) (cpu.Matrix, error) {
	rb := w.RowBytes()
	// Quantize fails only for a type it lacks, the same for every row: ask once.
	if err := cpu.Quantize(w.Type, make([]byte, rb), make([]float32, w.Cols)); err != nil {
		return cpu.Matrix{}, fmt.Errorf("cannot requantize to %v (use the adapter unmerged): %w", w.Type, err)
	}
	data := make([]byte, w.Rows*rb)
	p.For(w.Rows, func(lo, hi int) {
		row := make([]float32, w.Cols)
		for o := lo; o < hi; o++ {
			w.DequantizeRow(o, row)
			for _, t := range terms {
				r := t.p.Rank
				for j := range r {
					cpu.Axpy(t.scale*t.p.B[o*r+j], t.p.A[j*w.Cols:(j+1)*w.Cols], row)
				}
			}
			_ = cpu.Quantize(w.Type, data[o*rb:(o+1)*rb], row) // checked above
		}
	})
	return cpu.NewMatrix(w.Type, w.Rows, w.Cols, data)
}
