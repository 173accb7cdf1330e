package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// attnRows emits dotRowsAVX2 and axpyRowsAVX2, the batched Dot and Axpy of attention.
func attnRows() {
	// func dotRowsAVX2(dst []float32, q []float32, rows *float32): dst[j] = q · rows[j·len(q):],
	// len(q) a multiple of 8 (the caller handles other lengths). Four rows at a time with four
	// accumulators, reduced together with horizontal adds.
	TEXT("dotRowsAVX2", NOSPLIT, "func(dst []float32, q []float32, rows *float32)")
	Doc("dotRowsAVX2 is the AVX2 twin of dotRowsGeneric for len(q) a multiple of 8.")
	{
		dst := loadSlice("dst")
		q := loadSlice("q")
		rows := Load(Param("rows"), GP64())
		hd4 := GP64() // row stride in bytes
		MOVQ(q.n, hd4)
		SHLQ(U8(2), hd4)
		j := GP64()
		XORQ(j, j)
		m := GP64()
		MOVQ(dst.n, m)
		ANDQ(I32(-4), m)
		Label("dr_4")
		CMPQ(j, m)
		JAE(LabelRef("dr_1"))
		{
			acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
			for _, a := range acc {
				VXORPS(a, a, a)
			}
			r1, r2, r3 := GP64(), GP64(), GP64()
			LEAQ(Mem{Base: rows, Index: hd4, Scale: 1}, r1)
			LEAQ(Mem{Base: rows, Index: hd4, Scale: 2}, r2)
			LEAQ(Mem{Base: r1, Index: hd4, Scale: 2}, r3)
			d := GP64()
			XORQ(d, d)
			Label("dr_4d")
			qv := YMM()
			VMOVUPS(Mem{Base: q.base, Index: d, Scale: 4}, qv)
			for k, base := range []reg.Register{rows, r1, r2, r3} {
				VFMADD231PS(Mem{Base: base, Index: d, Scale: 4}, qv, acc[k])
			}
			ADDQ(U8(8), d)
			CMPQ(d, q.n)
			JB(LabelRef("dr_4d"))
			// Reduce: hadd pairs → [a0 a0 a1 a1 | …], then combine halves.
			VHADDPS(acc[1], acc[0], acc[0])
			VHADDPS(acc[3], acc[2], acc[2])
			VHADDPS(acc[2], acc[0], acc[0]) // lane l (of 4) in each half: partial sum of row l
			hi := XMM()
			VEXTRACTF128(U8(1), acc[0], hi)
			VADDPS(hi, acc[0].AsX(), acc[0].AsX())
			VMOVUPS(acc[0].AsX(), Mem{Base: dst.base, Index: j, Scale: 4})
			LEAQ(Mem{Base: rows, Index: hd4, Scale: 4}, rows)
		}
		ADDQ(U8(4), j)
		JMP(LabelRef("dr_4"))
		Label("dr_1")
		CMPQ(j, dst.n)
		JAE(LabelRef("dr_done"))
		{
			acc := YMM()
			VXORPS(acc, acc, acc)
			d := GP64()
			XORQ(d, d)
			Label("dr_1d")
			qv := YMM()
			VMOVUPS(Mem{Base: q.base, Index: d, Scale: 4}, qv)
			VFMADD231PS(Mem{Base: rows, Index: d, Scale: 4}, qv, acc)
			ADDQ(U8(8), d)
			CMPQ(d, q.n)
			JB(LabelRef("dr_1d"))
			hsumTo(acc)
			VMOVSS(acc.AsX(), Mem{Base: dst.base, Index: j, Scale: 4})
			ADDQ(hd4, rows)
		}
		INCQ(j)
		JMP(LabelRef("dr_1"))
		Label("dr_done")
		VZEROUPPER()
		RET()
	}

	// func axpyRowsAVX2(y []float32, w []float32, rows *float32): y += Σ_j w[j]·rows[j·len(y):],
	// len(y) a multiple of 8. y is kept in registers 64 floats at a time.
	TEXT("axpyRowsAVX2", NOSPLIT, "func(y []float32, w []float32, rows *float32)")
	Doc("axpyRowsAVX2 is the AVX2 twin of axpyRowsGeneric for len(y) a multiple of 8.")
	{
		y := loadSlice("y")
		w := loadSlice("w")
		rows := Load(Param("rows"), GP64())
		hd4 := GP64()
		MOVQ(y.n, hd4)
		SHLQ(U8(2), hd4)
		c := GP64() // column chunk start (floats)
		XORQ(c, c)
		Label("ar_chunk")
		CMPQ(c, y.n)
		JAE(LabelRef("ar_done"))
		// Width of this chunk: 64 floats, or what is left (a multiple of 8).
		left := GP64()
		MOVQ(y.n, left)
		SUBQ(c, left)
		CMPQ(left, U8(64))
		JB(LabelRef("ar_narrow"))
		{
			acc := make([]reg.VecVirtual, 8)
			for k := range acc {
				acc[k] = YMM()
				VMOVUPS(Mem{Base: y.base, Index: c, Scale: 4, Disp: 32 * k}, acc[k])
			}
			p := GP64()
			LEAQ(Mem{Base: rows, Index: c, Scale: 4}, p)
			j := GP64()
			XORQ(j, j)
			Label("ar_wide_j")
			CMPQ(j, w.n)
			JAE(LabelRef("ar_wide_store"))
			wv := YMM()
			VBROADCASTSS(Mem{Base: w.base, Index: j, Scale: 4}, wv)
			for k := range acc {
				VFMADD231PS(Mem{Base: p, Disp: 32 * k}, wv, acc[k])
			}
			ADDQ(hd4, p)
			INCQ(j)
			JMP(LabelRef("ar_wide_j"))
			Label("ar_wide_store")
			for k := range acc {
				VMOVUPS(acc[k], Mem{Base: y.base, Index: c, Scale: 4, Disp: 32 * k})
			}
			ADDQ(U8(64), c)
			JMP(LabelRef("ar_chunk"))
		}
		Label("ar_narrow") // 8 floats at a time
		{
			acc := YMM()
			VMOVUPS(Mem{Base: y.base, Index: c, Scale: 4}, acc)
			p := GP64()
			LEAQ(Mem{Base: rows, Index: c, Scale: 4}, p)
			j := GP64()
			XORQ(j, j)
			Label("ar_narrow_j")
			CMPQ(j, w.n)
			JAE(LabelRef("ar_narrow_store"))
			wv := YMM()
			VBROADCASTSS(Mem{Base: w.base, Index: j, Scale: 4}, wv)
			VFMADD231PS(Mem{Base: p}, wv, acc)
			ADDQ(hd4, p)
			INCQ(j)
			JMP(LabelRef("ar_narrow_j"))
			Label("ar_narrow_store")
			VMOVUPS(acc, Mem{Base: y.base, Index: c, Scale: 4})
			ADDQ(U8(8), c)
			JMP(LabelRef("ar_chunk"))
		}
		Label("ar_done")
		VZEROUPPER()
		RET()
	}
}
