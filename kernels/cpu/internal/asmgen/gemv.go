package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// gemv emits gemvQ8_0 / gemvQ4_0: dst[r] = row r · x for r < rows, one row at a time so that
// the weights are read as one sequential stream (interleaving rows defeats the hardware
// prefetcher on rows of ~1 KB). Per block the same arithmetic as the tile kernels (R = T = 1).
func gemv(q8 bool) {
	name, bs := "gemvQ4_0", 18
	if q8 {
		name, bs = "gemvQ8_0", 34
	}
	TEXT(name, NOSPLIT, "func(dst *float32, rows int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int32, tab *float32)")
	Doc(fmt.Sprintf("%s computes rows dot products of a %s matrix with one activation row; see gemvGeneric.", name, name[4:]))
	dst := Load(Param("dst"), GP64())
	rows := Load(Param("rows"), GP64())
	w := Load(Param("w"), GP64())
	rb := Load(Param("rb"), GP64())
	tab := Load(Param("tab"), GP64())
	Label(name + "_row")
	CMPQ(rows, U8(0))
	JE(LabelRef(name + "_done"))
	nb := Load(Param("nb"), GP64())
	x := Load(Param("x"), GP64())
	xd := Load(Param("xd"), GP64())
	var xs reg.Register
	if !q8 {
		xs = Load(Param("xs"), GP64())
	}
	p := GP64()
	MOVQ(w, p)
	acc := []reg.VecVirtual{YMM(), YMM()}
	VXORPS(acc[0], acc[0], acc[0])
	VXORPS(acc[1], acc[1], acc[1])
	// One block into acc[k]; two accumulators alternate so that consecutive FMAs are
	// independent (an FMA's latency is longer than a block's other work).
	block := func(k int) {
		ax := GP32()
		MOVWLZX(Mem{Base: p}, ax)
		dw := YMM()
		VBROADCASTSS(Mem{Base: tab, Index: ax, Scale: 4}, dw)
		v := YMM()
		if q8 {
			aw := YMM()
			VPABSB(Mem{Base: p, Disp: 2}, aw)
			VMOVDQU(Mem{Base: x}, v)
			VPSIGNB(Mem{Base: p, Disp: 2}, v, v)
			VPMADDUBSW(v, aw, v)
			VPMADDWD(ones16, v, v)
		} else {
			h := XMM()
			VMOVDQU(Mem{Base: p, Disp: 2}, v.AsX())
			VPSRLW(U8(4), v.AsX(), h)
			VINSERTI128(U8(1), h, v, v)
			VPAND(mask0f, v, v)
			VPMADDUBSW(Mem{Base: x}, v, v)
			VPMADDWD(ones16, v, v)
			bsv := YMM()
			VPBROADCASTD(Mem{Base: xs}, bsv)
			VPSUBD(bsv, v, v)
		}
		VCVTDQ2PS(v, v)
		s := YMM()
		VBROADCASTSS(Mem{Base: xd}, s)
		VMULPS(dw, s, s)
		VFMADD231PS(s, v, acc[k])
		ADDQ(U8(uint8(bs)), p)
		ADDQ(U8(32), x)
		ADDQ(U8(4), xd)
		if !q8 {
			ADDQ(U8(4), xs)
		}
	}
	pairs := GP64()
	MOVQ(nb, pairs)
	SHRQ(U8(1), pairs)
	JZ(LabelRef(name + "_odd"))
	Label(name + "_block")
	block(0)
	block(1)
	DECQ(pairs)
	JNZ(LabelRef(name + "_block"))
	Label(name + "_odd")
	TESTQ(U32(1), nb)
	JZ(LabelRef(name + "_sum"))
	block(0)
	Label(name + "_sum")
	VADDPS(acc[1], acc[0], acc[0])
	hsumTo(acc[0])
	VMOVSS(acc[0].AsX(), Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(rb, w)
	DECQ(rows)
	JMP(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// gemvQ4_0Pairs emits gemvQ4_0P: gemvQ4_0 taking two blocks per 32-byte vector. The activations
// come pre-arranged per block pair (A, B) (see kernels/cpu/gemm.go q4Pairs): xq = x_A[0:16],
// x_B[0:16], x_A[16:32], x_B[16:32]; corr = 2·Σx_A ×4, 2·Σx_B ×4 (int32); dx = d_A ×4, d_B ×4.
// Then one load + insert gives both blocks' quants, one shift and two ands their low and high
// nibbles, and the int32 lanes 0–3 hold block A's partial sums, 4–7 block B's: subtracting
// corr per lane removes 8·Σx per block (4 lanes × 2·Σx). An odd last block goes through the
// one-block path (x, xd, xs in the plain layout).
func gemvQ4_0Pairs() {
	name := "gemvQ4_0P"
	TEXT(name, NOSPLIT, "func(dst *float32, rows int, w *byte, rb int, nb int, xq *int8, corr *int32, dx *float32, x *int8, xd *float32, xs *int32, tab *float32)")
	Doc(name + " is gemvQ4_0 on pair-arranged activations; see gemvQ4_0PGeneric.")
	dst := Load(Param("dst"), GP64())
	rows := Load(Param("rows"), GP64())
	w := Load(Param("w"), GP64())
	tab := Load(Param("tab"), GP64())
	Label(name + "_row")
	CMPQ(rows, U8(0))
	JE(LabelRef(name + "_done"))
	nb := Load(Param("nb"), GP64())
	xq := Load(Param("xq"), GP64())
	corr := Load(Param("corr"), GP64())
	dx := Load(Param("dx"), GP64())
	p := GP64()
	MOVQ(w, p)
	acc := []reg.VecVirtual{YMM(), YMM()}
	VXORPS(acc[0], acc[0], acc[0])
	VXORPS(acc[1], acc[1], acc[1])
	i := GP64() // byte offset of the current pair in corr and dx (32 per pair); xq at 2i
	XORQ(i, i)
	pair := func(k int) {
		v, h := YMM(), YMM()
		VMOVDQU(Mem{Base: p, Disp: 2}, v.AsX())
		VINSERTI128(U8(1), Mem{Base: p, Disp: 20}, v, v)
		VPSRLW(U8(4), v, h)
		VPAND(mask0f, v, v)
		VPAND(mask0f, h, h)
		VPMADDUBSW(Mem{Base: xq, Index: i, Scale: 2}, v, v)
		VPMADDUBSW(Mem{Base: xq, Index: i, Scale: 2, Disp: 32}, h, h)
		VPADDW(h, v, v) // |Σ| ≤ 2·2·15·127: no int16 overflow
		VPMADDWD(ones16, v, v)
		VPSUBD(Mem{Base: corr, Index: i, Scale: 1}, v, v)
		VCVTDQ2PS(v, v)
		ax, bx := GP32(), GP32()
		da, db := XMM(), XMM()
		MOVWLZX(Mem{Base: p}, ax)
		VBROADCASTSS(Mem{Base: tab, Index: ax, Scale: 4}, da)
		MOVWLZX(Mem{Base: p, Disp: 18}, bx)
		VBROADCASTSS(Mem{Base: tab, Index: bx, Scale: 4}, db)
		s := YMM()
		VINSERTF128(U8(1), db, da.AsY(), s)
		VMULPS(Mem{Base: dx, Index: i, Scale: 1}, s, s)
		VFMADD231PS(s, v, acc[k])
		ADDQ(U8(36), p)
		ADDQ(U8(32), i)
	}
	pairs := GP64()
	MOVQ(nb, pairs)
	SHRQ(U8(2), pairs) // two pairs per iteration
	JZ(LabelRef(name + "_one"))
	Label(name + "_loop")
	pair(0)
	pair(1)
	DECQ(pairs)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_one")
	TESTQ(U32(2), nb)
	JZ(LabelRef(name + "_odd"))
	pair(0)
	Label(name + "_odd")
	TESTQ(U32(1), nb)
	JZ(LabelRef(name + "_sum"))
	{
		// Last block alone, plain layout: block index nb−1.
		last := GP64()
		MOVQ(nb, last)
		DECQ(last)
		xs := Load(Param("xs"), GP64())
		xd := Load(Param("xd"), GP64())
		x := Load(Param("x"), GP64())
		ax := GP32()
		MOVWLZX(Mem{Base: p}, ax)
		dw := YMM()
		VBROADCASTSS(Mem{Base: tab, Index: ax, Scale: 4}, dw)
		v, h := YMM(), XMM()
		VMOVDQU(Mem{Base: p, Disp: 2}, v.AsX())
		VPSRLW(U8(4), v.AsX(), h)
		VINSERTI128(U8(1), h, v, v)
		VPAND(mask0f, v, v)
		off := GP64()
		MOVQ(last, off)
		SHLQ(U8(5), off)
		VPMADDUBSW(Mem{Base: x, Index: off, Scale: 1}, v, v)
		VPMADDWD(ones16, v, v)
		bsv := YMM()
		VPBROADCASTD(Mem{Base: xs, Index: last, Scale: 4}, bsv)
		VPSUBD(bsv, v, v)
		VCVTDQ2PS(v, v)
		s := YMM()
		VBROADCASTSS(Mem{Base: xd, Index: last, Scale: 4}, s)
		VMULPS(dw, s, s)
		VFMADD231PS(s, v, acc[0])
	}
	Label(name + "_sum")
	VADDPS(acc[1], acc[0], acc[0])
	hsumTo(acc[0])
	VMOVSS(acc[0].AsX(), Mem{Base: dst})
	ADDQ(U8(4), dst)
	rb := Load(Param("rb"), GP64())
	ADDQ(rb, w)
	DECQ(rows)
	JMP(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
