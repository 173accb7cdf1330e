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
