package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// K-quant tile kernels: one weight row × T Q8_K activation rows (qs: 256 int8 per block, d:
// float32 per block, bsums: 16 int16 per block). They follow llama.cpp's AVX2
// ggml_vec_dot_q4_K_q8_K / q6_K_q8_K (ggml-cpu/arch/x86/quants.c): per block, integer sums of
// 32-element sub-blocks weighted by their 6-bit (Q4_K) or 8-bit (Q6_K) scales, the Q4_K mins
// (or the Q6_K −32 offset) applied through the activation's 16-element sums.

var shufK [8]Mem // shufK[k]: pshufb control broadcasting int16 lane k of a 128-bit lane
var q6Shuf [16]Mem

func kConsts() {
	for k := 0; k < 8; k++ {
		shufK[k] = GLOBL(fmt.Sprintf("shufk%d", k), RODATA|NOPTR)
		for i := 0; i < 16; i++ {
			DATA(2*i, U8(2*k))
			DATA(2*i+1, U8(2*k+1))
		}
	}
	// q6Shuf[g]: broadcast int16 scale g (of 16 in a ymm: lanes 0..7 low half, 8..15 high half)
	// to the 8 int16 of the low 128 bits, and scale g+1 to the high 128 bits, after the scales
	// are placed in both 128-bit lanes (so pshufb, which works within lanes, reaches them).
	for g := 0; g < 16; g += 2 {
		q6Shuf[g] = GLOBL(fmt.Sprintf("q6shuf%d", g), RODATA|NOPTR)
		for i := 0; i < 16; i++ {
			s := g % 8
			if i >= 8 {
				s = g%8 + 1
			}
			DATA(2*i, U8(2*s))
			DATA(2*i+1, U8(2*s+1))
		}
	}
}

const ksig = "func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int16, tab *float32)"

// ktokens returns, for t in 1..T-1, registers holding t·nb·256 (quants), t·nb·4 (scales) and
// t·nb·32 (bsums) byte offsets.
func ktokens(nb reg.Register, T int) (xo, do, so []reg.GPVirtual) {
	xo, do, so = make([]reg.GPVirtual, T), make([]reg.GPVirtual, T), make([]reg.GPVirtual, T)
	for t := 1; t < T; t++ {
		xo[t], do[t], so[t] = GP64(), GP64(), GP64()
		IMUL3Q(U32(uint32(256*t)), nb, xo[t])
		IMUL3Q(U32(uint32(4*t)), nb, do[t])
		IMUL3Q(U32(uint32(32*t)), nb, so[t])
	}
	return
}

func tm(base reg.Register, off []reg.GPVirtual, t, disp int) Mem {
	if t == 0 {
		return Mem{Base: base, Disp: disp}
	}
	return Mem{Base: base, Index: off[t], Scale: 1, Disp: disp}
}

// storeK reduces acc[t] and stores it at dst + t·ldd.
func storeK(acc []reg.VecVirtual) {
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	for t, a := range acc {
		hsumTo(a)
		VMOVSS(a.AsX(), Mem{Base: dst})
		if t+1 < len(acc) {
			ADDQ(ldd, dst)
		}
	}
	VZEROUPPER()
	RET()
}

// q4K emits gemmQ4_Kx1x{T}, or gemmQ5_Kx1x{T} (q5: the same with a fifth bit per weight from
// qh: bit 2j of qh[l] for element 64j+l, bit 2j+1 for element 64j+32+l).
func q4K(T int, q5 bool) {
	name := fmt.Sprintf("gemmQ4_Kx1x%d", T)
	qsOff, blockBytes := 16, 144
	if q5 {
		name = fmt.Sprintf("gemmQ5_Kx1x%d", T)
		qsOff, blockBytes = 48, 176
	}
	TEXT(name, NOSPLIT, ksig)
	Doc(name + " computes a 1×T tile of a " + name[4:8] + " matrix product; see gem" + name[:8] + "Generic.")
	w := Load(Param("w"), GP64())
	nb := Load(Param("nb"), GP64())
	x := Load(Param("x"), GP64())
	xd := Load(Param("xd"), GP64())
	xs := Load(Param("xs"), GP64())
	xo, do, so := ktokens(nb, T)
	acc := make([]reg.VecVirtual, T)
	for t := range acc {
		acc[t] = YMM()
		VXORPS(acc[t], acc[t], acc[t])
	}
	Label(name + "_block")
	// Unpack the 12 scale bytes into scales[0..7] (u0, u1) and mins[0..7] (u2, u3)
	// (ggml's kmask1/2/3 trick).
	u0, u1, u2, u3, t0 := GP32(), GP32(), GP32(), GP32(), GP32()
	MOVL(Mem{Base: w, Disp: 4}, u0)
	MOVL(Mem{Base: w, Disp: 8}, u1)
	MOVL(Mem{Base: w, Disp: 12}, u2)
	// u3 = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4)
	MOVL(u2, u3)
	SHRL(U8(4), u3)
	ANDL(U32(0x0f0f0f0f), u3)
	MOVL(u1, t0)
	SHRL(U8(6), t0)
	ANDL(U32(0x03030303), t0)
	SHLL(U8(4), t0)
	ORL(t0, u3)
	// mins0..3 = u1 & 0x3f3f3f3f (into t1); u1 = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4)
	t1 := GP32()
	MOVL(u1, t1)
	ANDL(U32(0x3f3f3f3f), t1)
	ANDL(U32(0x0f0f0f0f), u2)
	MOVL(u0, t0)
	SHRL(U8(6), t0)
	ANDL(U32(0x03030303), t0)
	SHLL(U8(4), t0)
	ORL(t0, u2) // u2 now holds scales 4..7
	ANDL(U32(0x3f3f3f3f), u0)
	ms := XMM()
	VMOVD(u0, ms)
	VPINSRD(U8(1), u2, ms, ms)
	VPINSRD(U8(2), t1, ms, ms)
	VPINSRD(U8(3), u3, ms, ms)
	msw := YMM()
	VPMOVZXBW(ms, msw) // int16: scales 0..7 | mins 0..7
	sc := YMM()
	VPERMQ(U8(0x44), msw, sc) // scales in both 128-bit lanes
	mins := XMM()
	VEXTRACTI128(U8(1), msw, mins)
	sumi := make([]reg.VecVirtual, T)
	for j := 0; j < 4; j++ {
		q, ql, qh, sl, sh := YMM(), YMM(), YMM(), YMM(), YMM()
		VMOVDQU(Mem{Base: w, Disp: qsOff + 32*j}, q)
		VPAND(mask0f, q, ql)
		VPSRLW(U8(4), q, qh)
		VPAND(mask0f, qh, qh)
		if q5 {
			for k, dst := range []reg.VecVirtual{ql, qh} {
				hb := YMM()
				VMOVDQU(Mem{Base: w, Disp: 16}, hb)
				if sh := 2*j + k; sh > 0 {
					VPSRLW(U8(uint8(sh)), hb, hb) // bit sh of each byte to bit 0 (word shift: masked below)
				}
				VPAND(mask01, hb, hb)
				VPSLLW(U8(4), hb, hb)
				VPOR(hb, dst, dst)
			}
		}
		VPSHUFB(shufK[2*j], sc, sl)
		VPSHUFB(shufK[2*j+1], sc, sh)
		for t := 0; t < T; t++ {
			p, p2 := YMM(), YMM()
			VPMADDUBSW(tm(x, xo, t, 64*j), ql, p)
			VPMADDWD(sl, p, p)
			VPMADDUBSW(tm(x, xo, t, 64*j+32), qh, p2)
			VPMADDWD(sh, p2, p2)
			VPADDD(p2, p, p)
			if j == 0 {
				sumi[t] = p
			} else {
				VPADDD(p, sumi[t], sumi[t])
			}
		}
	}
	// d and dmin.
	tab := Load(Param("tab"), GP64()) // reloaded per block: registers are short
	ax := GP32()
	dw, dm := YMM(), YMM()
	MOVWLZX(Mem{Base: w}, ax)
	VBROADCASTSS(Mem{Base: tab, Index: ax, Scale: 4}, dw)
	MOVWLZX(Mem{Base: w, Disp: 2}, ax)
	VBROADCASTSS(Mem{Base: tab, Index: ax, Scale: 4}, dm)
	for t := 0; t < T; t++ {
		d := YMM()
		VBROADCASTSS(tm(xd, do, t, 0), d)
		s := YMM()
		VMULPS(d, dw, s)
		VCVTDQ2PS(sumi[t], sumi[t])
		VFMADD231PS(s, sumi[t], acc[t])
		// mins: Σ_sb m_sb · (bsums[2sb] + bsums[2sb+1])
		bs, bh := YMM(), XMM()
		VMOVDQU(tm(xs, so, t, 0), bs)
		VEXTRACTI128(U8(1), bs, bh)
		VPHADDW(bh, bs.AsX(), bs.AsX())
		VPMADDWD(mins, bs.AsX(), bs.AsX()) // VEX.128: upper lanes zeroed
		VCVTDQ2PS(bs, bs)
		VMULPS(d, dm, s)
		VFNMADD231PS(s, bs, acc[t])
	}
	ADDQ(U32(uint32(blockBytes)), w)
	ADDQ(U32(256), x)
	ADDQ(U8(4), xd)
	ADDQ(U8(32), xs)
	DECQ(nb)
	JNZ(LabelRef(name + "_block"))
	storeK(acc)
}

// q6K emits gemmQ6_Kx1x{T}.
func q6K(T int) {
	name := fmt.Sprintf("gemmQ6_Kx1x%d", T)
	TEXT(name, NOSPLIT, ksig)
	Doc(name + " computes a 1×T tile of a Q6_K matrix product; see gemmQ6_KGeneric.")
	w := Load(Param("w"), GP64())
	nb := Load(Param("nb"), GP64())
	x := Load(Param("x"), GP64())
	xd := Load(Param("xd"), GP64())
	xs := Load(Param("xs"), GP64())
	xo, do, so := ktokens(nb, T)
	acc := make([]reg.VecVirtual, T)
	for t := range acc {
		acc[t] = YMM()
		VXORPS(acc[t], acc[t], acc[t])
	}
	Label(name + "_block")
	// Scales: 16 int8 at w+192 → int16 (sc16); in both lanes for pshufb: scLo (scales 0..7)
	// and scHi (8..15).
	sc16 := YMM()
	VPMOVSXBW(Mem{Base: w, Disp: 192}, sc16)
	tab := Load(Param("tab"), GP64())
	ax := GP32()
	dw := YMM()
	MOVWLZX(Mem{Base: w, Disp: 208}, ax)
	VBROADCASTSS(Mem{Base: tab, Index: ax, Scale: 4}, dw)
	sumi := make([]reg.VecVirtual, T)
	// The −32 offset: Σ_g sc_g·32·bsum_g, subtracted below.
	for half := 0; half < 2; half++ {
		scl := YMM()
		VPERMQ(U8(0x44+0xaa*half), sc16, scl) // scales 8·half..8·half+7 in both lanes
		for k := 0; k < 4; k++ {              // 32-element vectors: elements 128·half + 32k …
			// q = (ql[l + 32·(k&1)] >> 4·(k>>1)) & 15 | ((qh[l] >> 2k) & 3) << 4
			q, h := YMM(), YMM()
			VMOVDQU(Mem{Base: w, Disp: 64*half + 32*(k&1)}, q)
			if k>>1 == 1 {
				VPSRLW(U8(4), q, q)
			}
			VPAND(mask0f, q, q)
			VMOVDQU(Mem{Base: w, Disp: 128 + 32*half}, h)
			if k > 0 {
				VPSRLW(U8(uint8(2*k)), h, h)
			}
			VPAND(mask03, h, h)
			VPSLLW(U8(4), h, h)
			VPOR(h, q, q)
			s := YMM()
			VPSHUFB(q6Shuf[2*k], scl, s) // scales of elements 32k..32k+15 and +16..+31
			for t := 0; t < T; t++ {
				p := YMM()
				VPMADDUBSW(tm(x, xo, t, 128*half+32*k), q, p)
				VPMADDWD(s, p, p)
				if half == 0 && k == 0 {
					sumi[t] = p
				} else {
					VPADDD(p, sumi[t], sumi[t])
				}
			}
		}
	}
	for t := 0; t < T; t++ {
		// Offset: 32·Σ_g sc_g·bsum_g.
		bs := YMM()
		VMOVDQU(tm(xs, so, t, 0), bs)
		VPMADDWD(sc16, bs, bs)
		VPSLLD(U8(5), bs, bs)
		VPSUBD(bs, sumi[t], sumi[t])
		d := YMM()
		VBROADCASTSS(tm(xd, do, t, 0), d)
		VMULPS(dw, d, d)
		VCVTDQ2PS(sumi[t], sumi[t])
		VFMADD231PS(d, sumi[t], acc[t])
	}
	ADDQ(U32(210), w)
	ADDQ(U32(256), x)
	ADDQ(U8(4), xd)
	ADDQ(U8(32), xs)
	DECQ(nb)
	JNZ(LabelRef(name + "_block"))
	storeK(acc)
}

var mask03, mask01 Mem

func kquants() {
	kConsts()
	mask03 = GLOBL("mask03", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(i, U8(3))
	}
	mask01 = GLOBL("mask01", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(i, U8(1))
	}
	for _, T := range []int{1, 2} { // larger T needs more than 16 vector or 14 general registers
		q4K(T, false)
		q4K(T, true)
		q6K(T)
	}
}
