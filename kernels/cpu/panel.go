package cpu

import (
	"encoding/binary"
	"math"
	"sync"
	"unsafe"
)

// Panels: for prompts (many tokens) MatMul repacks 8 weight rows at a time into a small
// thread-local buffer laid out so that one SIMD instruction multiplies a slice of all 8 rows by a
// broadcast slice of one token, the layout of llama.cpp's repacked Q4_0×8 GEMM
// (ggml-cpu/repack.cpp). The weights stay where they are (often a read-only file mapping); the
// panel is at most nb·544 bytes (83 KiB for 4864 columns) and is reused for every token, so the
// repacking costs a few percent of the product.

const (
	panelRows    = 8
	panelQ4Block = 32 + 32 + 8*32 // dw[8] f32, corr[8] i32, 8 groups × 8 rows × 4 × (q−8)
	panelQ8Block = 32 + 16*32     // dw[8] f32, 16 groups × 8 rows × 2 × int16 w
)

// panelKernel computes dst[t·ldd + r] for r < 8, t < T from a panel of nb blocks and T token
// rows of x (Q4_0: x+128 as bytes, nb·32 per token; Q8_0: int16, nb·64 bytes per token) and
// their block scales xd (nb per token).
type panelKernel func(dst *float32, ldd int, p *byte, nb int, x *byte, xd *float32)

var panelPool = sync.Pool{New: func() any { return new([]byte) }}

// repackQ4_0 writes the panel of rows w[0:8·rb] (nb blocks each) into p.
func repackQ4_0(p []byte, w []byte, rb, nb int) {
	const lo4 = 0x0f0f0f0f0f0f0f0f
	const b3 = 0x0808080808080808
	for b := 0; b < nb; b++ {
		pb := p[b*panelQ4Block : (b+1)*panelQ4Block]
		for r := 0; r < panelRows; r++ {
			blk := w[r*rb+b*blockQ4_0 : r*rb+(b+1)*blockQ4_0]
			binary.LittleEndian.PutUint32(pb[4*r:], math.Float32bits(F16ToF32(le16(blk))))
			q0 := binary.LittleEndian.Uint64(blk[2:])
			q1 := binary.LittleEndian.Uint64(blk[10:])
			// Elements 0–7, 8–15 (low nibbles), 16–23, 24–31 (high nibbles).
			e := [4]uint64{q0 & lo4, q1 & lo4, q0 >> 4 & lo4, q1 >> 4 & lo4}
			sum := e[0] + e[1] + e[2] + e[3] // bytes ≤ 60: no carries
			sum = sum&0x00ff00ff00ff00ff + sum>>8&0x00ff00ff00ff00ff
			sum = sum * 0x0001000100010001 >> 48 // Σq ≤ 480
			binary.LittleEndian.PutUint32(pb[32+4*r:], uint32(int32(128*(int(sum)-8*qk))))
			for i, v := range e {
				v ^= b3              // q−8 as 4-bit two's complement …
				v |= (v & b3) * 0x1e // … sign-extended to 8 bits (8·0x1e = 0xf0, no carry)
				binary.LittleEndian.PutUint32(pb[64+32*(2*i)+4*r:], uint32(v))
				binary.LittleEndian.PutUint32(pb[64+32*(2*i+1)+4*r:], uint32(v>>32))
			}
		}
	}
}

// repackQ8_0 writes the Q8_0 panel of rows w[0:8·rb] into p.
func repackQ8_0(p []byte, w []byte, rb, nb int) {
	for b := 0; b < nb; b++ {
		pb := p[b*panelQ8Block : (b+1)*panelQ8Block]
		for r := 0; r < panelRows; r++ {
			blk := w[r*rb+b*blockQ8_0 : r*rb+(b+1)*blockQ8_0]
			binary.LittleEndian.PutUint32(pb[4*r:], math.Float32bits(F16ToF32(le16(blk))))
			q := blk[2:]
			for g := 0; g < qk/2; g++ {
				v := uint32(uint16(int16(int8(q[2*g])))) | uint32(uint16(int16(int8(q[2*g+1]))))<<16
				binary.LittleEndian.PutUint32(pb[32+32*g+4*r:], v)
			}
		}
	}
}

// panelGeneric is the plain-Go twin of the panel kernels: panelGeneric(q8, T) ≡ panelQ8_0xT
// (q8) or panelQ4_0xT.
func panelGeneric(q8 bool, T int) panelKernel {
	return func(dst *float32, ldd int, p *byte, nb int, x *byte, xd *float32) {
		blockBytes, xstride := panelQ4Block, qk
		if q8 {
			blockBytes, xstride = panelQ8Block, 2*qk
		}
		P := unsafe.Slice(p, nb*blockBytes)
		X := unsafe.Slice(x, T*nb*xstride)
		D := unsafe.Slice(xd, T*nb)
		out := unsafe.Slice(dst, (T-1)*ldd+panelRows)
		for t := 0; t < T; t++ {
			var acc [panelRows]float32
			for b := 0; b < nb; b++ {
				pb := P[b*blockBytes:]
				xb := X[(t*nb+b)*xstride:]
				for r := 0; r < panelRows; r++ {
					var dot int32
					if q8 {
						for g := 0; g < qk/2; g++ {
							w := pb[32+32*g+4*r:]
							dot += int32(int16(le16(w)))*int32(int16(le16(xb[4*g:]))) + int32(int16(le16(w[2:])))*int32(int16(le16(xb[4*g+2:])))
						}
					} else {
						for g := 0; g < qk/4; g++ {
							for k := 0; k < 4; k++ {
								dot += int32(int8(pb[64+32*g+4*r+k])) * int32(xb[4*g+k])
							}
						}
						dot -= int32(binary.LittleEndian.Uint32(pb[32+4*r:]))
					}
					dw := math.Float32frombits(binary.LittleEndian.Uint32(pb[4*r:]))
					acc[r] += float32(dot) * float32(dw*D[t*nb+b])
				}
			}
			copy(out[t*ldd:t*ldd+panelRows], acc[:])
		}
	}
}

// panelSet is the panel kernels of one weight type, indexed by T (1..6).
type panelSet struct {
	k          [7]panelKernel
	q8         bool
	blockBytes int // panel bytes per block
	repack     func(p []byte, w []byte, rb, nb int)
}

// prepare fills a's panel activations (x+128 bytes for Q4_0, int16 for Q8_0) from its quants.
func (ps *panelSet) prepare(a *acts) {
	n := len(a.qs)
	if ps.q8 {
		a.x16 = grow(a.x16, n)
		for i, v := range a.qs {
			a.x16[i] = int16(v)
		}
		return
	}
	a.xu = grow(a.xu, n)
	for i, v := range a.qs {
		a.xu[i] = byte(v) ^ 0x80
	}
}

// run computes rows [lo, hi) (hi−lo a multiple of 8) for all tokens of a.
func (ps *panelSet) run(dst []float32, ldd int, w []byte, rb, lo, hi int, a *acts) {
	nb := a.cols / qk
	n := a.n
	bp := panelPool.Get().(*[]byte)
	defer panelPool.Put(bp)
	*bp = grow(*bp, nb*ps.blockBytes)
	p := *bp
	var x *byte
	xstride := nb * qk
	if ps.q8 {
		x = (*byte)(unsafe.Pointer(&a.x16[0]))
		xstride *= 2
	} else {
		x = &a.xu[0]
	}
	_ = dst[(n-1)*ldd+hi-1]
	for r := lo; r+panelRows <= hi; r += panelRows {
		ps.repack(p, w[r*rb:(r+panelRows)*rb], rb, nb)
		for t := 0; t < n; {
			T := min(6, n-t)
			ps.k[T](&dst[t*ldd+r], ldd, &p[0], nb, (*byte)(unsafe.Add(unsafe.Pointer(x), t*xstride)), &a.d[t*nb])
			t += T
		}
	}
}
