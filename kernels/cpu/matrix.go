package cpu

import (
	"fmt"

	"github.com/llmls/llmls/kernels"
)

// Matrix is a 2-D weight tensor in GGUF layout: GGUF dims [ne0, ne1] = [in, out] are Rows = ne1
// rows (output features) of Cols = ne0 elements (input features), each row whole blocks of Type,
// rows contiguous. Data is read, never written, so it may be a slice of a read-only mmapped
// model file.
type Matrix struct {
	Type kernels.DType
	Rows int    // ne1, output features
	Cols int    // ne0, input features; a multiple of Type.BlockSize()
	Data []byte // Rows × RowBytes() bytes
}

// MatMulTypes are the weight types MatMul and DequantizeRow support.
var MatMulTypes = []kernels.DType{
	kernels.F32, kernels.F16, kernels.BF16,
	kernels.Q4_0, kernels.Q4_1, kernels.Q5_0, kernels.Q5_1, kernels.Q8_0,
	kernels.Q4_K, kernels.Q5_K, kernels.Q6_K,
}

// Supported reports whether t is one of MatMulTypes.
func Supported(t kernels.DType) bool {
	_, ok := dotKernels[t]
	return ok
}

// NewMatrix checks that t is supported, that rows and cols are positive, that cols is whole
// blocks of t, and that len(data) is exactly rows × t.RowSize(cols); it returns the Matrix or an
// error saying which check failed.
func NewMatrix(t kernels.DType, rows, cols int, data []byte) (Matrix, error) {
	if !Supported(t) {
		return Matrix{}, fmt.Errorf("cpu: matrix of type %v: unsupported type", t)
	}
	if rows <= 0 || cols <= 0 {
		return Matrix{}, fmt.Errorf("cpu: matrix %v [%d, %d]: dimensions must be positive", t, cols, rows)
	}
	rb, ok := t.RowSize(int64(cols))
	if !ok {
		return Matrix{}, fmt.Errorf("cpu: matrix %v [%d, %d]: row of %d elements is not whole %d-element blocks", t, cols, rows, cols, t.BlockSize())
	}
	if want := rb * int64(rows); int64(len(data)) != want {
		return Matrix{}, fmt.Errorf("cpu: matrix %v [%d, %d]: need %d bytes, got %d", t, cols, rows, want, len(data))
	}
	return Matrix{Type: t, Rows: rows, Cols: cols, Data: data}, nil
}

// RowBytes returns the bytes of one row: Type.RowSize(Cols).
func (m Matrix) RowBytes() int {
	rb, _ := m.Type.RowSize(int64(m.Cols))
	return int(rb)
}

// Row returns the bytes of row r.
func (m Matrix) Row(r int) []byte {
	rb := m.RowBytes()
	return m.Data[r*rb : (r+1)*rb]
}

// DequantizeRow writes row r of m as float32 into dst[:Cols] (ggml get_rows: the embedding
// lookup). It panics with a *ShapeError if r is out of range or len(dst) < Cols.
func (m Matrix) DequantizeRow(r int, dst []float32) {
	m.check("DequantizeRow")
	if r < 0 || r >= m.Rows {
		panic(&ShapeError{Op: "DequantizeRow", Msg: fmt.Sprintf("row %d out of range [0, %d)", r, m.Rows)})
	}
	if len(dst) < m.Cols {
		panic(&ShapeError{Op: "DequantizeRow", Msg: fmt.Sprintf("dst has %d elements, need %d", len(dst), m.Cols)})
	}
	dequantize(m.Type, dst[:m.Cols], m.Row(r))
}

// ShapeError is the panic value of a kernel called with inconsistent shapes or an invalid Matrix:
// a programming error in the caller, not bad input.
type ShapeError struct {
	Op  string // the function, e.g. "MatMul"
	Msg string
}

func (e *ShapeError) Error() string { return "cpu: " + e.Op + ": " + e.Msg }

func (m Matrix) check(op string) {
	if !Supported(m.Type) {
		panic(&ShapeError{Op: op, Msg: fmt.Sprintf("unsupported matrix type %v", m.Type)})
	}
	rb, ok := m.Type.RowSize(int64(m.Cols))
	if !ok || m.Rows <= 0 || int64(len(m.Data)) != rb*int64(m.Rows) {
		panic(&ShapeError{Op: op, Msg: fmt.Sprintf("invalid %v matrix [%d, %d] with %d bytes", m.Type, m.Cols, m.Rows, len(m.Data))})
	}
}

// MatMul computes dst[t·Rows + r] = Σ_c W[r, c] · x[t·Cols + c] for t in [0, nTokens): x is
// [nTokens, Cols] and dst is [nTokens, Rows], both row-major (only the first nTokens·Cols elements
// of x are read and the first nTokens·Rows of dst written).
//
// Like llama.cpp (ggml-cpu.c ggml_compute_forward_mul_mat), each row of x is first converted
// once to the weight type's vec_dot partner (Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K
// for Q4_K/Q5_K/Q6_K, F16 for F16, BF16 for BF16, none for F32) and then dotted block by block
// with integer arithmetic, so results match llama.cpp's to float rounding. Work is split across
// p's threads by rows (p may be nil: the caller's goroutine does it all).
//
// It panics with a *ShapeError if w is invalid, nTokens < 0, or x or dst is too short.
func MatMul(p *Pool, dst []float32, w Matrix, x []float32, nTokens int) {
	w.check("MatMul")
	if nTokens < 0 || len(x) < nTokens*w.Cols || len(dst) < nTokens*w.Rows {
		panic(&ShapeError{Op: "MatMul", Msg: fmt.Sprintf("W [%d, %d] with nTokens %d, len(x) %d, len(dst) %d", w.Cols, w.Rows, nTokens, len(x), len(dst))})
	}
	if nTokens == 0 {
		return
	}
	if p == nil {
		var a acts
		matMul(nil, &a, dst, w, x, nTokens)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	matMul(p, &p.scratch, dst, w, x, nTokens)
}

// matMul runs MatMul with p locked (or p nil) and a as the activation scratch.
func matMul(p *Pool, a *acts, dst []float32, w Matrix, x []float32, nTokens int) {
	a.reset(partner(w.Type), w.Cols, nTokens)
	cols, rows := w.Cols, w.Rows
	quant := func(lo, hi int) {
		for t := lo; t < hi; t++ {
			a.quantizeRow(t, x[t*cols:(t+1)*cols])
		}
	}
	if p == nil || nTokens < 4 {
		quant(0, nTokens)
	} else {
		p.forLocked(nTokens, 1, quant)
	}
	if nTokens == 1 {
		if ts := simdTiles[w.Type]; ts != nil && ts.gemvP != nil && cols >= 2*qk {
			q4Pairs(a)
		}
	}
	k := dotKernels[w.Type]
	rb := w.RowBytes()
	body := func(lo, hi int) { k(dst, rows, w.Data, rb, lo, hi, a) }
	grain := 0
	if p != nil {
		grain = rowGrain(p.threads, rows, rb*nTokens)
	}
	if ps := panels[w.Type]; ps != nil && nTokens >= panelMinTokens && rows >= panelRows {
		// Rows in whole panels of 8 go through the panel kernels, the rest (< 8) through k;
		// chunks start at multiples of 8.
		ps.prepare(a)
		full := rows / panelRows * panelRows
		body = func(lo, hi int) {
			h := min(hi, full)
			if h > lo {
				ps.run(dst, rows, w.Data, rb, lo, h, a)
			}
			if hi > h {
				k(dst, rows, w.Data, rb, max(lo, h), hi, a)
			}
		}
		grain = (grain + panelRows - 1) / panelRows * panelRows
	}
	if p == nil {
		body(0, rows)
		return
	}
	p.forLocked(rows, grain, body)
}

// panelMinTokens is the number of tokens from which MatMul uses the panel kernels (where a type
// has them): below it, repacking costs more than it saves.
const panelMinTokens = 4

// rowGrain picks the rows per chunk: several chunks per thread so that a thread slowed by other
// load is helped by the others, but chunks large enough (≥ 16 KiB of work) that claiming them
// costs little.
func rowGrain(threads, rows, bytesPerRow int) int {
	g := max(1, rows/(threads*8))
	if min := (16 << 10) / max(1, bytesPerRow); g < min {
		g = min
	}
	return g
}

// rowsKernel computes dst[t·ldd + r] for rows r in [lo, hi) and all tokens of a, where w holds
// all rows (rb bytes each).
type rowsKernel func(dst []float32, ldd int, w []byte, rb, lo, hi int, a *acts)

// genericRows builds a rowsKernel from a per-row dot product.
func genericRows(dot func(w []byte, a actRow) float32) rowsKernel {
	return func(dst []float32, ldd int, w []byte, rb, lo, hi int, a *acts) {
		for t := 0; t < a.n; t++ {
			ar := a.row(t)
			for r := lo; r < hi; r++ {
				dst[t*ldd+r] = dot(w[r*rb:(r+1)*rb], ar)
			}
		}
	}
}
