// Command asmgen generates kernels/cpu/kernels_amd64.s with avo (github.com/mmcloughlin/avo).
// It is its own module so that users of llmls never need avo: run it with `go generate` in
// kernels/cpu, which commits the generated assembly.
//
// The kernels compute a tile of R weight rows × T activation rows (tokens) of a quantized matrix
// product. Their Go declarations and plain-Go twins are in kernels/cpu (gemm_amd64.go,
// gemm_generic.go); the doc comments there give the loops these implement.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

var ones16, mask0f, mask08, ones8 Mem

func main() {
	ConstraintExpr("!purego")
	ones16 = GLOBL("ones16", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(2*i, U16(1))
	}
	mask0f = GLOBL("mask0f", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(i, U8(0x0f))
	}
	for _, rt := range [][2]int{{1, 1}, {4, 1}, {1, 2}, {4, 2}, {3, 3}} {
		gemmQ8_0(rt[0], rt[1])
		gemmQ4_0(rt[0], rt[1])
	}
	for T := 1; T <= 6; T++ {
		panel(false, T)
		panel(true, T)
	}
	mask08 = GLOBL("bytes08", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(i, U8(8))
	}
	ones8 = GLOBL("ones8", RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		DATA(i, U8(1))
	}
	repack(false)
	repack(true)
	vecOps()
	reductions()
	quantQ8()
	kquants()
	floatDots()
	gemv(true)
	gemv(false)
	attnRows()
	gemvQ4_0Pairs()
	Generate()
}

// tileParams loads the common parameters.
type tile struct {
	dst, ldd, w, rb, nb, x, xd, tab reg.Register
}

const sig = "func(dst *float32, ldd int, w *byte, rb int, nb int, x *int8, xd *float32, xs *int32, tab *float32)"

func loadTile() tile {
	var t tile
	t.w = Load(Param("w"), GP64())
	t.rb = Load(Param("rb"), GP64())
	t.nb = Load(Param("nb"), GP64())
	t.x = Load(Param("x"), GP64())
	t.xd = Load(Param("xd"), GP64())
	t.tab = Load(Param("tab"), GP64())
	return t
}

// hsumStore reduces each accumulator to a float and stores it at dst + 4·(t·ldd + r).
func hsumStore(t tile, acc [][]reg.VecVirtual, R, T int) {
	Comment("Horizontal sums and stores: dst[t·ldd + r].")
	t.dst = Load(Param("dst"), GP64())
	t.ldd = Load(Param("ldd"), GP64())
	SHLQ(U8(2), t.ldd) // bytes
	for ti := 0; ti < T; ti++ {
		for r := 0; r < R; r++ {
			a := acc[r][ti]
			hi := XMM()
			VEXTRACTF128(U8(1), a, hi)
			lo := a.AsX()
			VADDPS(hi, lo, lo)
			VMOVHLPS(lo, lo, hi)
			VADDPS(hi, lo, lo)
			VMOVSHDUP(lo, hi)
			VADDSS(hi, lo, lo)
			VMOVSS(lo, Mem{Base: t.dst, Disp: 4 * r})
		}
		if ti+1 < T {
			ADDQ(t.ldd, t.dst)
		}
	}
	VZEROUPPER()
	RET()
}

// rowBases returns registers holding r·rb for r in 1..R-1 (index registers for row r).
func rowOffsets(t tile, R int) []reg.GPVirtual {
	offs := make([]reg.GPVirtual, R)
	for r := 1; r < R; r++ {
		offs[r] = GP64()
		if r == 1 {
			MOVQ(t.rb, offs[r])
		} else {
			IMUL3Q(Imm(uint64(r)), t.rb, offs[r])
		}
	}
	return offs
}

// tokenOffsets returns, for t in 1..T-1, registers holding t·nb·32 (quants) and t·nb·4 (scales).
func tokenOffsets(nb reg.Register, T int) (xoff, doff []reg.GPVirtual) {
	xoff = make([]reg.GPVirtual, T)
	doff = make([]reg.GPVirtual, T)
	for ti := 1; ti < T; ti++ {
		xoff[ti], doff[ti] = GP64(), GP64()
		if ti == 1 {
			MOVQ(nb, xoff[ti])
			SHLQ(U8(5), xoff[ti])
			MOVQ(nb, doff[ti])
			SHLQ(U8(2), doff[ti])
		} else {
			IMUL3Q(Imm(uint64(32*ti)), nb, xoff[ti])
			IMUL3Q(U32(uint32(4*ti)), nb, doff[ti])
		}
	}
	return xoff, doff
}

func tokMem(base reg.Register, off []reg.GPVirtual, ti int) Mem {
	if ti == 0 {
		return Mem{Base: base}
	}
	return Mem{Base: base, Index: off[ti], Scale: 1}
}

func rowMem(base reg.Register, offs []reg.GPVirtual, r, disp int) Mem {
	if r == 0 {
		return Mem{Base: base, Disp: disp}
	}
	return Mem{Base: base, Index: offs[r], Scale: 1, Disp: disp}
}

// gemmQ8_0 emits gemmQ8_0x{R}x{T}: Q8_0 weights (34-byte blocks {f16 d; i8 q[32]}) times T
// Q8_0 activation rows. Per block, per row r: |w| and dw = tab[f16 d]; per token t:
// sx = sign(x_t, w) (x_t negated where w < 0, zeroed where w = 0), so that maddubs(|w|, sx)
// = Σ w·x in int16 pairs (|w| ≤ 128, |x| ≤ 127: no saturation, w = −128 included), as
// llama.cpp's mul_sum_i8_pairs_float.
func gemmQ8_0(R, T int) {
	name := fmt.Sprintf("gemmQ8_0x%dx%d", R, T)
	TEXT(name, NOSPLIT, sig)
	Doc(name + " computes an R×T tile of a Q8_0 matrix product; see gemmQ8_0Generic.")
	t := loadTile()
	offs := rowOffsets(t, R)
	acc := make([][]reg.VecVirtual, R)
	for r := range acc {
		acc[r] = make([]reg.VecVirtual, T)
		for ti := range acc[r] {
			acc[r][ti] = YMM()
			VXORPS(acc[r][ti], acc[r][ti], acc[r][ti])
		}
	}
	// Token t's activation rows start at t·nb·32 (quants) and t·nb·4 (scales).
	xoff, doff := tokenOffsets(t.nb, T)
	k := GP64()
	MOVQ(t.nb, k)
	Label(name + "_block")
	xv := make([]reg.VecVirtual, T)
	for ti := 0; ti < T; ti++ {
		xv[ti] = YMM()
		VMOVDQU(tokMem(t.x, xoff, ti), xv[ti])
	}
	for r := 0; r < R; r++ {
		ax := GP32()
		MOVWLZX(rowMem(t.w, offs, r, 0), ax)
		dw := YMM()
		VBROADCASTSS(Mem{Base: t.tab, Index: ax, Scale: 4}, dw)
		wm := rowMem(t.w, offs, r, 2)
		aw := YMM()
		VPABSB(wm, aw)
		for ti := 0; ti < T; ti++ {
			dm := tokMem(t.xd, doff, ti)
			sw := YMM()
			VPSIGNB(wm, xv[ti], sw)
			VPMADDUBSW(sw, aw, sw)
			VPMADDWD(ones16, sw, sw)
			VCVTDQ2PS(sw, sw)
			s := YMM()
			VBROADCASTSS(dm, s)
			VMULPS(dw, s, s)
			VFMADD231PS(s, sw, acc[r][ti])
		}
	}
	ADDQ(U32(34), t.w)
	ADDQ(U32(32), t.x)
	ADDQ(U32(4), t.xd)
	DECQ(k)
	JNZ(LabelRef(name + "_block"))
	hsumStore(t, acc, R, T)
}

// gemmQ4_0 emits gemmQ4_0x{R}x{T}: Q4_0 weights (18-byte blocks {f16 d; u8 qs[16]}, element j
// in the low nibble of qs[j] for j < 16, the high nibble of qs[j−16] after) times T Q8_0
// activation rows. The unsigned nibbles q multiply the signed x directly (maddubs); the −8
// offset is applied by subtracting Σx (xs, the block sum) from each of the 8 int32 lanes, which
// removes 8·Σx from their total.
func gemmQ4_0(R, T int) {
	name := fmt.Sprintf("gemmQ4_0x%dx%d", R, T)
	TEXT(name, NOSPLIT, sig)
	Doc(name + " computes an R×T tile of a Q4_0 matrix product; see gemmQ4_0Generic.")
	t := loadTile()
	offs := rowOffsets(t, R)
	acc := make([][]reg.VecVirtual, R)
	for r := range acc {
		acc[r] = make([]reg.VecVirtual, T)
		for ti := range acc[r] {
			acc[r][ti] = YMM()
			VXORPS(acc[r][ti], acc[r][ti], acc[r][ti])
		}
	}
	xs := Load(Param("xs"), GP64())
	xoff, doff := tokenOffsets(t.nb, T)
	k := GP64()
	MOVQ(t.nb, k)
	Label(name + "_block")
	for r := 0; r < R; r++ {
		ax := GP32()
		MOVWLZX(rowMem(t.w, offs, r, 0), ax)
		dw := YMM()
		VBROADCASTSS(Mem{Base: t.tab, Index: ax, Scale: 4}, dw)
		q := YMM()
		VMOVDQU(rowMem(t.w, offs, r, 2), q.AsX())
		h := XMM()
		VPSRLW(U8(4), q.AsX(), h)
		VINSERTI128(U8(1), h, q, q)
		VPAND(mask0f, q, q)
		for ti := 0; ti < T; ti++ {
			xm := tokMem(t.x, xoff, ti)
			dm := tokMem(t.xd, doff, ti)
			sm := tokMem(xs, doff, ti)
			p := YMM()
			VPMADDUBSW(xm, q, p)
			VPMADDWD(ones16, p, p)
			bs := YMM()
			VPBROADCASTD(sm, bs)
			VPSUBD(bs, p, p)
			VCVTDQ2PS(p, p)
			s := YMM()
			VBROADCASTSS(dm, s)
			VMULPS(dw, s, s)
			VFMADD231PS(s, p, acc[r][ti])
		}
	}
	ADDQ(U32(18), t.w)
	ADDQ(U32(32), t.x)
	ADDQ(U32(4), t.xd)
	ADDQ(U32(4), xs)
	DECQ(k)
	JNZ(LabelRef(name + "_block"))
	hsumStore(t, acc, R, T)
}

const panelSig = "func(dst *float32, ldd int, p *byte, nb int, x *byte, xd *float32)"

// panel emits panelQ4_0x{T} or panelQ8_0x{T}: 8 weight rows repacked into a panel (see
// kernels/cpu/panel.go for the layout) times T activation rows, writing dst[t·ldd + r] for
// r < 8 with one 8-float store per token.
//
// Q4_0: per block the panel holds dw[8] float32, corr[8] int32 = 128·Σ(q−8) per row, then 8
// groups of 32 bytes, group g holding (q−8) of elements 4g..4g+3 for rows 0..7 (4 bytes each).
// Activations are x+128 as unsigned bytes. Per group: broadcast the token's 4 bytes, maddubs with
// the group (unsigned x+128 × signed q−8: |pair| ≤ 2·8·255) and add in int16 (8 groups:
// |sum| ≤ 32640, no overflow); then madd to int32 per row, subtract corr (the +128 offset),
// convert, scale by dw·dx.
//
// Q8_0: per block dw[8] float32, then 16 groups of 32 bytes, group g holding the int16 weights of
// elements 2g, 2g+1 for rows 0..7. Activations are int16. Per group: broadcast the token's two
// int16, pmaddwd with the group, add in int32; convert, scale.
func panel(q8 bool, T int) {
	name := fmt.Sprintf("panelQ4_0x%d", T)
	groups, blockBytes, qoff, xstride := 8, 320, 64, 32
	if q8 {
		name = fmt.Sprintf("panelQ8_0x%d", T)
		groups, blockBytes, qoff, xstride = 16, 544, 32, 64
	}
	TEXT(name, NOSPLIT, panelSig)
	Doc(name + " computes 8 rows × T tokens from a repacked panel; see panelGeneric.")
	p := Load(Param("p"), GP64())
	nb := Load(Param("nb"), GP64())
	x := Load(Param("x"), GP64())
	xd := Load(Param("xd"), GP64())
	// Token offsets: t·nb·xstride bytes of x, t·nb·4 of xd, as (register, scale) pairs so that
	// few registers are needed (R15 stays free: dynamically linked code clobbers it when
	// reaching globals such as ones16).
	xo, do := offsets(nb, xstride, T), offsets(nb, 4, T)
	acc := make([]reg.VecVirtual, T)
	for ti := range acc {
		acc[ti] = YMM()
		VXORPS(acc[ti], acc[ti], acc[ti])
	}
	Label(name + "_block")
	isum := make([]reg.VecVirtual, T)
	for g := 0; g < groups; g++ {
		wv := YMM()
		VMOVDQU(Mem{Base: p, Disp: qoff + 32*g}, wv)
		for ti := 0; ti < T; ti++ {
			bx := YMM()
			xm := xo.mem(x, ti, 4*g)
			VPBROADCASTD(xm, bx)
			if q8 {
				VPMADDWD(wv, bx, bx)
				if g == 0 {
					isum[ti] = bx
				} else {
					VPADDD(bx, isum[ti], isum[ti])
				}
			} else {
				VPMADDUBSW(wv, bx, bx)
				if g == 0 {
					isum[ti] = bx
				} else {
					VPADDW(bx, isum[ti], isum[ti])
				}
			}
		}
	}
	for ti := 0; ti < T; ti++ {
		v := isum[ti]
		if !q8 {
			VPMADDWD(ones16, v, v)
			VPSUBD(Mem{Base: p, Disp: 32}, v, v)
		}
		VCVTDQ2PS(v, v)
		s := YMM()
		VBROADCASTSS(do.mem(xd, ti, 0), s)
		VMULPS(Mem{Base: p}, s, s)
		VFMADD231PS(s, v, acc[ti])
	}
	ADDQ(U32(uint32(blockBytes)), p)
	ADDQ(U32(uint32(xstride)), x)
	ADDQ(U32(4), xd)
	DECQ(nb)
	JNZ(LabelRef(name + "_block"))

	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	for ti := 0; ti < T; ti++ {
		VMOVUPS(acc[ti], Mem{Base: dst})
		if ti+1 < T {
			ADDQ(ldd, dst)
		}
	}
	VZEROUPPER()
	RET()
}

// transpose8x8 transposes an 8×8 matrix of dwords whose row i load(i) returns in a register,
// storing column j (dword j of rows 0..7) at dst + 32·j. It works on 4 rows at a time, storing
// 16-byte halves of columns, so that few registers are live at once.
func transpose8x8(load func(i int) reg.VecVirtual, dst Mem) {
	for q := 0; q < 8; q += 4 { // rows q..q+3
		t := make([]reg.VecVirtual, 4)
		for i := 0; i < 4; i += 2 {
			a, b := load(q+i), load(q+i+1)
			t[i], t[i+1] = YMM(), YMM()
			VPUNPCKLDQ(b, a, t[i])   // a.d0 b.d0 a.d1 b.d1 | d4 d5
			VPUNPCKHDQ(b, a, t[i+1]) // d2 d3 | d6 d7
		}
		u := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
		VPUNPCKLQDQ(t[2], t[0], u[0]) // d0 | d4 of rows q..q+3
		VPUNPCKHQDQ(t[2], t[0], u[1]) // d1 | d5
		VPUNPCKLQDQ(t[3], t[1], u[2]) // d2 | d6
		VPUNPCKHQDQ(t[3], t[1], u[3]) // d3 | d7
		for j := 0; j < 4; j++ {
			lo := dst.Offset(32*j + 4*q)
			hi := dst.Offset(32*(j+4) + 4*q)
			VMOVDQU(u[j].AsX(), lo)
			VEXTRACTI128(U8(1), u[j], hi)
		}
	}
}

// repack emits repackQ4_0Asm / repackQ8_0Asm: the panel of 8 rows (kernels/cpu/panel.go
// repackQ4_0 / repackQ8_0, their Generic twins) for nb blocks.
func repack(q8 bool) {
	name, bs, pb := "repackQ4_0Asm", 18, 320
	if q8 {
		name, bs, pb = "repackQ8_0Asm", 34, 544
	}
	TEXT(name, NOSPLIT, "func(p *byte, w *byte, rb int, nb int, tab *float32)")
	Doc(name + " repacks 8 rows of nb blocks into a panel; see panel.go.")
	p := Load(Param("p"), GP64())
	w := Load(Param("w"), GP64())
	rb := Load(Param("rb"), GP64())
	nb := Load(Param("nb"), GP64())
	tab := Load(Param("tab"), GP64())
	// Row r of the current block is at w + r·rb; keep w, w+3rb, w+6rb… in registers via an
	// index: rows 0..7 use (w)(rbk*1) with rbk = 0, rb, 2rb, …; x86 scales go up to 8, so use
	// two bases: w for rows 0..3 and w4 = w + 4rb for rows 4..7, with index rb·{0,1,2,3}.
	rb3 := GP64()
	IMUL3Q(U32(3), rb, rb3)
	rb2 := GP64()
	LEAQ(Mem{Base: rb, Index: rb, Scale: 1}, rb2)
	w4 := GP64()
	LEAQ(Mem{Base: w, Index: rb, Scale: 4}, w4)
	rowMem := func(r, disp int) Mem {
		base := w
		if r >= 4 {
			base = w4
		}
		switch r % 4 {
		case 0:
			return Mem{Base: base, Disp: disp}
		case 1:
			return Mem{Base: base, Index: rb, Scale: 1, Disp: disp}
		case 2:
			return Mem{Base: base, Index: rb2, Scale: 1, Disp: disp}
		}
		return Mem{Base: base, Index: rb3, Scale: 1, Disp: disp}
	}
	Label(name + "_block")
	// Scales: dw[r] = tab[f16 d of row r].
	for r := 0; r < 8; r++ {
		ax, bx := GP32(), GP32()
		MOVWLZX(rowMem(r, 0), ax)
		MOVL(Mem{Base: tab, Index: ax, Scale: 4}, bx)
		MOVL(bx, Mem{Base: p, Disp: 4 * r})
	}
	if q8 {
		for half := 0; half < 2; half++ {
			load := func(r int) reg.VecVirtual {
				v := YMM()
				VPMOVSXBW(rowMem(r, 2+16*half), v)
				return v
			}
			transpose8x8(load, Mem{Base: p, Disp: 32 + 32*8*half})
		}
	} else {
		load := func(r int) reg.VecVirtual {
			v, h := YMM(), XMM()
			VMOVDQU(rowMem(r, 2), v.AsX())
			VPSRLW(U8(4), v.AsX(), h)
			VINSERTI128(U8(1), h, v, v)
			VPAND(mask0f, v, v)
			VPSUBB(mask08, v, v)
			return v
		}
		transpose8x8(load, Mem{Base: p, Disp: 64})
		sum := YMM()
		VMOVDQU(Mem{Base: p, Disp: 64}, sum)
		for g := 1; g < 8; g++ {
			VPADDB(Mem{Base: p, Disp: 64 + 32*g}, sum, sum) // |Σ(q−8)| ≤ 64: no overflow
		}
		one := YMM()
		VMOVDQU(ones8, one)
		VPMADDUBSW(sum, one, sum) // unsigned 1 × signed sums
		VPMADDWD(ones16, sum, sum)
		VPSLLD(U8(7), sum, sum) // corr = 128·Σ(q−8) per row
		VMOVDQU(sum, Mem{Base: p, Disp: 32})
	}
	ADDQ(U32(uint32(bs)), w)
	ADDQ(U32(uint32(bs)), w4)
	ADDQ(U32(uint32(pb)), p)
	DECQ(nb)
	JNZ(LabelRef(name + "_block"))
	VZEROUPPER()
	RET()
}

// tokOffsets addresses token t's rows at base + t·stride using registers for odd t only: even t
// reuse them with an index scale of 2 or 4 (t = 2: 1·2, 4: 1·4, 6: 3·2).
type tokOffsets map[int]reg.GPVirtual

func offsets(nb reg.Register, unit, T int) tokOffsets {
	o := tokOffsets{}
	for t := 1; t < T; t += 2 {
		o[t] = GP64()
		IMUL3Q(U32(uint32(unit*t)), nb, o[t])
	}
	return o
}

func (o tokOffsets) mem(base reg.Register, t, disp int) Mem {
	switch {
	case t == 0:
		return Mem{Base: base, Disp: disp}
	case t%2 == 1:
		return Mem{Base: base, Index: o[t], Scale: 1, Disp: disp}
	case t == 2 || t == 4:
		return Mem{Base: base, Index: o[1], Scale: uint8(t), Disp: disp}
	}
	return Mem{Base: base, Index: o[t/2], Scale: 2, Disp: disp} // t = 6
}
