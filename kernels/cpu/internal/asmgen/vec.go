package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Vector ops on float32 slices (kernels/cpu/vec_amd64.go declares them; their Generic twins are
// in vec_generic.go). Shape: a vector main loop over 8 floats (32 for the reductions, with four
// accumulators), then a scalar tail that continues from the same index.

var expConsts Mem

// exp constants, one 8-float vector each.
const (
	ecLo = iota // −86.6: below, exp flushes to 0 (true value < 2.4e-38)
	ecHi        // 88.7: above, exp is +Inf
	ecLog2e
	ecLn2Hi
	ecLn2Lo
	ecC6 // Taylor coefficients of 2·e^b, b ∈ [−ln2/2, ln2/2]
	ecC5
	ecC4
	ecC3
	ecC2
	ecC1
	ecC0
	ecInf
	ecOne
	ecBias // 126 as int32: 2^(n−1) = (n+126)<<23
	ecN
)

func vecConsts() {
	expConsts = GLOBL("expconsts", RODATA|NOPTR)
	vals := []uint32{
		math.Float32bits(-86.6), math.Float32bits(88.7), math.Float32bits(1.44269504088896341),
		0x3f317200, 0x35bfbe8e, // ln2 = hi + lo
		math.Float32bits(2.0 / 720), math.Float32bits(2.0 / 120), math.Float32bits(2.0 / 24),
		math.Float32bits(2.0 / 6), math.Float32bits(2.0 / 2), math.Float32bits(2), math.Float32bits(2),
		0x7f800000, math.Float32bits(1), 126,
	}
	for i, v := range vals {
		for l := 0; l < 8; l++ {
			DATA(32*i+4*l, U32(v))
		}
	}
}

func ec(i int) Mem { return expConsts.Offset(32 * i) }

// expY sets r = e^x for 8 floats (x is not modified): n = round(x·log2e), b = x − n·ln2 (in two
// parts), e^x = 2^(n−1)·(2·e^b) with 2·e^b a degree-6 Taylor polynomial (relative error < 2e-7
// on |b| ≤ ln2/2). x < −86.6 gives 0 (e^x < 2.4e-38: 2^(n−1) must stay a normal float), x > 88.7
// gives +Inf, NaN stays NaN.
func expY(x, r reg.VecVirtual) {
	xc, n, b, t := YMM(), YMM(), YMM(), YMM()
	// Intel maxps(lo, x) and minps(hi, ·) return their second source, x, when it is NaN.
	VMOVUPS(ec(ecLo), xc)
	VMAXPS(x, xc, xc)
	VMOVUPS(ec(ecHi), t)
	VMINPS(xc, t, xc)
	VMULPS(ec(ecLog2e), xc, n)
	VROUNDPS(U8(0), n, n) // nearest even
	VMOVAPS(xc, b)
	VFNMADD231PS(ec(ecLn2Hi), n, b) // b −= n·ln2hi
	VFNMADD231PS(ec(ecLn2Lo), n, b)
	VMOVUPS(ec(ecC6), r)
	for _, c := range []int{ecC5, ecC4, ecC3, ecC2, ecC1, ecC0} {
		VFMADD213PS(ec(c), b, r) // r = r·b + c
	}
	VCVTPS2DQ(n, t)
	VPADDD(ec(ecBias), t, t)
	VPSLLD(U8(23), t, t)
	VMULPS(t, r, r)
	// Fix-ups: x < −86.6 → 0; x > 88.7 → +Inf.
	VCMPPS(U8(1), ec(ecLo), x, t) // x < lo (LT_OS)
	VANDNPS(r, t, r)
	VCMPPS(U8(0x1e), ec(ecHi), x, t) // x > hi (GT_OQ)
	VBLENDVPS(t, ec(ecInf), r, r)
}

type sl struct{ base, n reg.Register }

func loadSlice(name string) sl {
	return sl{Load(Param(name).Base(), GP64()), Load(Param(name).Len(), GP64())}
}

// elementwise emits a loop over n = len(first slice) floats calling body on 8-float vectors
// (addresses at byte offset i·4), then on single floats (X registers, loaded with VMOVSS).
func elementwise(name string, n reg.Register, body func(off reg.Register, wide bool)) {
	i := GP64()
	XORQ(i, i)
	m := GP64()
	MOVQ(n, m)
	ANDQ(I32(-8), m)
	Label(name + "_vec")
	CMPQ(i, m)
	JAE(LabelRef(name + "_tail"))
	body(i, true)
	ADDQ(U8(8), i)
	JMP(LabelRef(name + "_vec"))
	Label(name + "_tail")
	CMPQ(i, n)
	JAE(LabelRef(name + "_done"))
	body(i, false)
	INCQ(i)
	JMP(LabelRef(name + "_tail"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func at(s sl, i reg.Register) Mem { return Mem{Base: s.base, Index: i, Scale: 4} }

func vecOps() {
	vecConsts()

	// func mulAVX2(dst, a, b []float32)
	for _, op := range []struct {
		name string
		f    func(a, b, d reg.VecVirtual)
	}{
		{"mulAVX2", func(b, a, d reg.VecVirtual) { VMULPS(b, a, d) }},
		{"addAVX2", func(b, a, d reg.VecVirtual) { VADDPS(b, a, d) }},
	} {
		TEXT(op.name, NOSPLIT, "func(dst, a, b []float32)")
		Doc(op.name + " is the AVX2 twin of " + op.name[:3] + "Generic.")
		dst, a, b := loadSlice("dst"), loadSlice("a"), loadSlice("b")
		elementwise(op.name, dst.n, func(i reg.Register, wide bool) {
			x, y := YMM(), YMM()
			if wide {
				VMOVUPS(at(a, i), x)
				VMOVUPS(at(b, i), y)
				op.f(y, x, x)
				VMOVUPS(x, at(dst, i))
			} else {
				VMOVSS(at(a, i), x.AsX())
				VMOVSS(at(b, i), y.AsX())
				op.f(y, x, x) // upper lanes are zero: harmless
				VMOVSS(x.AsX(), at(dst, i))
			}
		})
		_ = b
	}

	// func scale2AVX2(dst, x []float32, s float32)
	TEXT("scale2AVX2", NOSPLIT, "func(dst, x []float32, s float32)")
	Doc("scale2AVX2 is the AVX2 twin of scale2Generic.")
	{
		dst, x := loadSlice("dst"), loadSlice("x")
		s := YMM()
		VBROADCASTSS(Load(Param("s"), XMM()), s)
		elementwise("scale2AVX2", dst.n, func(i reg.Register, wide bool) {
			v := YMM()
			if wide {
				VMULPS(at(x, i), s, v)
				VMOVUPS(v, at(dst, i))
			} else {
				VMOVSS(at(x, i), v.AsX())
				VMULSS(s.AsX(), v.AsX(), v.AsX())
				VMOVSS(v.AsX(), at(dst, i))
			}
		})
	}

	// func axpyAVX2(a float32, x, y []float32)
	TEXT("axpyAVX2", NOSPLIT, "func(a float32, x, y []float32)")
	Doc("axpyAVX2 is the AVX2 twin of axpyGeneric.")
	{
		a := YMM()
		VBROADCASTSS(Load(Param("a"), XMM()), a)
		x, y := loadSlice("x"), loadSlice("y")
		elementwise("axpyAVX2", x.n, func(i reg.Register, wide bool) {
			v := YMM()
			if wide {
				VMOVUPS(at(y, i), v)
				VFMADD231PS(at(x, i), a, v)
				VMOVUPS(v, at(y, i))
			} else {
				w := YMM()
				VMOVSS(at(y, i), v.AsX())
				VMOVSS(at(x, i), w.AsX())
				VFMADD231SS(w.AsX(), a.AsX(), v.AsX())
				VMOVSS(v.AsX(), at(y, i))
			}
		})
	}

	// func siluMulAVX2(dst, gate, up []float32): dst = gate/(1+e^−gate)·up
	TEXT("siluMulAVX2", NOSPLIT, "func(dst, gate, up []float32)")
	Doc("siluMulAVX2 is the AVX2 twin of siluMulGeneric.")
	{
		dst, gate, up := loadSlice("dst"), loadSlice("gate"), loadSlice("up")
		elementwise("siluMulAVX2", dst.n, func(i reg.Register, wide bool) {
			g, ng, e := YMM(), YMM(), YMM()
			if wide {
				VMOVUPS(at(gate, i), g)
			} else {
				VMOVSS(at(gate, i), g.AsX())
			}
			VXORPS(ng, ng, ng)
			VSUBPS(g, ng, ng)
			expY(ng, e)
			VADDPS(ec(ecOne), e, e)
			VDIVPS(e, g, g)
			if wide {
				VMULPS(at(up, i), g, g)
				VMOVUPS(g, at(dst, i))
			} else {
				u := YMM()
				VMOVSS(at(up, i), u.AsX())
				VMULSS(u.AsX(), g.AsX(), g.AsX())
				VMOVSS(g.AsX(), at(dst, i))
			}
		})
	}

	// func expSumAVX2(x []float32, max float32) float32: x[i] = e^(x[i]−max), returns Σ.
	TEXT("expSumAVX2", NOSPLIT, "func(x []float32, max float32) float32")
	Doc("expSumAVX2 is the AVX2 twin of expSumGeneric.")
	{
		x := loadSlice("x")
		mx := YMM()
		VBROADCASTSS(Load(Param("max"), XMM()), mx)
		sum := YMM()
		VXORPS(sum, sum, sum)
		ssum := XMM()
		VXORPS(ssum, ssum, ssum)
		name := "expSumAVX2"
		i := GP64()
		XORQ(i, i)
		m := GP64()
		MOVQ(x.n, m)
		ANDQ(I32(-8), m)
		Label(name + "_vec")
		CMPQ(i, m)
		JAE(LabelRef(name + "_tail"))
		{
			v, e := YMM(), YMM()
			VMOVUPS(at(x, i), v)
			VSUBPS(mx, v, v)
			expY(v, e)
			VMOVUPS(e, at(x, i))
			VADDPS(e, sum, sum)
		}
		ADDQ(U8(8), i)
		JMP(LabelRef(name + "_vec"))
		Label(name + "_tail")
		CMPQ(i, x.n)
		JAE(LabelRef(name + "_done"))
		{
			v, e := YMM(), YMM()
			VMOVSS(at(x, i), v.AsX()) // upper lanes zero; only lane 0 is used below
			VSUBPS(mx, v, v)
			expY(v, e)
			VMOVSS(e.AsX(), at(x, i))
			VADDSS(e.AsX(), ssum, ssum)
		}
		INCQ(i)
		JMP(LabelRef(name + "_tail"))
		Label(name + "_done")
		hsumTo(sum)
		VADDSS(ssum, sum.AsX(), sum.AsX())
		VZEROUPPER()
		Store(sum.AsX(), ReturnIndex(0))
		RET()
	}
}

// hsumTo reduces the 8 floats of v into lane 0 of v.
func hsumTo(v reg.VecVirtual) {
	hi := XMM()
	VEXTRACTF128(U8(1), v, hi)
	VADDPS(hi, v.AsX(), v.AsX())
	VMOVHLPS(v.AsX(), v.AsX(), hi)
	VADDPS(hi, v.AsX(), v.AsX())
	VMOVSHDUP(v.AsX(), hi)
	VADDSS(hi, v.AsX(), v.AsX())
}

// reductions emits dotAVX2, sumSquaresAVX2 and the F16 conversions.
func reductions() {
	// func dotAVX2(a, b []float32) float32: four accumulators over 32 floats, then 8, then 1.
	TEXT("dotAVX2", NOSPLIT, "func(a, b []float32) float32")
	Doc("dotAVX2 is the AVX2 twin of dotGeneric.")
	{
		a, b := loadSlice("a"), loadSlice("b")
		acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
		for _, r := range acc {
			VXORPS(r, r, r)
		}
		i := GP64()
		XORQ(i, i)
		m := GP64()
		MOVQ(a.n, m)
		ANDQ(I32(-32), m)
		Label("dot_32")
		CMPQ(i, m)
		JAE(LabelRef("dot_8pre"))
		for k := 0; k < 4; k++ {
			v := YMM()
			VMOVUPS(Mem{Base: a.base, Index: i, Scale: 4, Disp: 32 * k}, v)
			VFMADD231PS(Mem{Base: b.base, Index: i, Scale: 4, Disp: 32 * k}, v, acc[k])
		}
		ADDQ(U8(32), i)
		JMP(LabelRef("dot_32"))
		Label("dot_8pre")
		MOVQ(a.n, m)
		ANDQ(I32(-8), m)
		Label("dot_8")
		CMPQ(i, m)
		JAE(LabelRef("dot_1"))
		{
			v := YMM()
			VMOVUPS(at(a, i), v)
			VFMADD231PS(at(b, i), v, acc[0])
		}
		ADDQ(U8(8), i)
		JMP(LabelRef("dot_8"))
		Label("dot_1")
		s := XMM()
		VXORPS(s, s, s)
		Label("dot_1loop")
		CMPQ(i, a.n)
		JAE(LabelRef("dot_done"))
		{
			v, w := XMM(), XMM()
			VMOVSS(at(a, i), v)
			VMOVSS(at(b, i), w)
			VFMADD231SS(w, v, s)
		}
		INCQ(i)
		JMP(LabelRef("dot_1loop"))
		Label("dot_done")
		VADDPS(acc[1], acc[0], acc[0])
		VADDPS(acc[3], acc[2], acc[2])
		VADDPS(acc[2], acc[0], acc[0])
		hsumTo(acc[0])
		VADDSS(s, acc[0].AsX(), acc[0].AsX())
		VZEROUPPER()
		Store(acc[0].AsX(), ReturnIndex(0))
		RET()
	}

	// func sumSquaresAVX2(x []float32) float64: Σ x² accumulated in float64 (as ggml's RMSNorm).
	TEXT("sumSquaresAVX2", NOSPLIT, "func(x []float32) float64")
	Doc("sumSquaresAVX2 is the AVX2 twin of sumSquaresGeneric.")
	{
		x := loadSlice("x")
		acc := []reg.VecVirtual{YMM(), YMM()}
		for _, r := range acc {
			VXORPD(r, r, r)
		}
		i := GP64()
		XORQ(i, i)
		m := GP64()
		MOVQ(x.n, m)
		ANDQ(I32(-8), m)
		Label("ss_8")
		CMPQ(i, m)
		JAE(LabelRef("ss_1"))
		for k := 0; k < 2; k++ {
			v := YMM()
			VMOVUPS(Mem{Base: x.base, Index: i, Scale: 4, Disp: 16 * k}, v.AsX())
			VMULPS(v.AsX(), v.AsX(), v.AsX()) // x² rounded to float32, as (ggml_float)(x*x)
			VCVTPS2PD(v.AsX(), v)
			VADDPD(v, acc[k], acc[k])
		}
		ADDQ(U8(8), i)
		JMP(LabelRef("ss_8"))
		Label("ss_1")
		s := XMM()
		VXORPD(s, s, s)
		Label("ss_1loop")
		CMPQ(i, x.n)
		JAE(LabelRef("ss_done"))
		{
			v := XMM()
			VMOVSS(at(x, i), v)
			VMULSS(v, v, v)
			VCVTSS2SD(v, v, v)
			VADDSD(v, s, s)
		}
		INCQ(i)
		JMP(LabelRef("ss_1loop"))
		Label("ss_done")
		VADDPD(acc[1], acc[0], acc[0])
		hi := XMM()
		VEXTRACTF128(U8(1), acc[0], hi)
		VADDPD(hi, acc[0].AsX(), acc[0].AsX())
		VUNPCKHPD(acc[0].AsX(), acc[0].AsX(), hi)
		VADDSD(hi, acc[0].AsX(), acc[0].AsX())
		VADDSD(s, acc[0].AsX(), acc[0].AsX())
		VZEROUPPER()
		Store(acc[0].AsX(), ReturnIndex(0))
		RET()
	}

	// func f16ToF32F16C(dst []float32, src []uint16) and the reverse (round to nearest even).
	TEXT("f16ToF32F16C", NOSPLIT, "func(dst []float32, src []uint16)")
	Doc("f16ToF32F16C is the F16C twin of f16ToF32Generic.")
	{
		dst, src := loadSlice("dst"), loadSlice("src")
		i := GP64()
		XORQ(i, i)
		m := GP64()
		MOVQ(dst.n, m)
		ANDQ(I32(-8), m)
		Label("h2f_8")
		CMPQ(i, m)
		JAE(LabelRef("h2f_1"))
		v := YMM()
		VCVTPH2PS(Mem{Base: src.base, Index: i, Scale: 2}, v)
		VMOVUPS(v, at(dst, i))
		ADDQ(U8(8), i)
		JMP(LabelRef("h2f_8"))
		Label("h2f_1")
		CMPQ(i, dst.n)
		JAE(LabelRef("h2f_done"))
		ax := GP32()
		MOVWLZX(Mem{Base: src.base, Index: i, Scale: 2}, ax)
		w := XMM()
		VMOVD(ax, w)
		VCVTPH2PS(w, w)
		VMOVSS(w, at(dst, i))
		INCQ(i)
		JMP(LabelRef("h2f_1"))
		Label("h2f_done")
		VZEROUPPER()
		RET()
	}
	TEXT("f32ToF16F16C", NOSPLIT, "func(dst []uint16, src []float32)")
	Doc("f32ToF16F16C is the F16C twin of f32ToF16Generic.")
	{
		dst, src := loadSlice("dst"), loadSlice("src")
		i := GP64()
		XORQ(i, i)
		m := GP64()
		MOVQ(dst.n, m)
		ANDQ(I32(-8), m)
		Label("f2h_8")
		CMPQ(i, m)
		JAE(LabelRef("f2h_1"))
		v := YMM()
		VMOVUPS(at(src, i), v)
		VCVTPS2PH(U8(0), v, Mem{Base: dst.base, Index: i, Scale: 2})
		ADDQ(U8(8), i)
		JMP(LabelRef("f2h_8"))
		Label("f2h_1")
		CMPQ(i, dst.n)
		JAE(LabelRef("f2h_done"))
		w := XMM()
		VMOVSS(at(src, i), w)
		VCVTPS2PH(U8(0), w, w)
		ax := GP32()
		VMOVD(w, ax)
		MOVW(ax.As16(), Mem{Base: dst.base, Index: i, Scale: 2})
		INCQ(i)
		JMP(LabelRef("f2h_1"))
		Label("f2h_done")
		VZEROUPPER()
		RET()
	}

	// func cpuid(eax, ecx uint32) (a, b, c, d uint32)
	TEXT("cpuid", NOSPLIT, "func(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)")
	Doc("cpuid executes CPUID with the given leaf and subleaf.")
	{
		Load(Param("eaxArg"), reg.EAX)
		Load(Param("ecxArg"), reg.ECX)
		CPUID()
		Store(reg.EAX, Return("eax"))
		Store(reg.EBX, Return("ebx"))
		Store(reg.ECX, Return("ecx"))
		Store(reg.EDX, Return("edx"))
		RET()
	}
}

var absMask, c127, permPack Mem

// quantQ8 emits quantizeQ8_0AVX2: activations to Q8_0 the way ggml-cpu's AVX2
// quantize_row_q8_0 does: per block of 32, amax = max |x|, d = f16(amax/127) (stored widened to
// float32), q = round-half-even(x·127/amax) (0 when amax = 0), isum = Σq.
func quantQ8() {
	absMask = GLOBL("absmask", RODATA|NOPTR)
	for l := 0; l < 8; l++ {
		DATA(4*l, U32(0x7fffffff))
	}
	c127 = GLOBL("c127", RODATA|NOPTR)
	DATA(0, U32(math.Float32bits(127)))
	permPack = GLOBL("permpack", RODATA|NOPTR)
	for l, v := range []uint32{0, 4, 1, 5, 2, 6, 3, 7} {
		DATA(4*l, U32(v))
	}

	TEXT("quantizeQ8_0AVX2", NOSPLIT, "func(qs []int8, d []float32, isum []int32, x []float32)")
	Doc("quantizeQ8_0AVX2 is the AVX2+F16C twin of quantizeActQ8Generic with s == nil; nb = len(d) blocks.")
	qs := Load(Param("qs").Base(), GP64())
	d := loadSlice("d")
	is := Load(Param("isum").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := d.n
	Label("q8_block")
	CMPQ(n, U8(0))
	JE(LabelRef("q8_done"))
	v := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
	for k := range v {
		VMOVUPS(Mem{Base: x, Disp: 32 * k}, v[k])
	}
	m, t := YMM(), YMM()
	VANDPS(absMask, v[0], m)
	for k := 1; k < 4; k++ {
		VANDPS(absMask, v[k], t)
		VMAXPS(t, m, m)
	}
	hx := XMM()
	VEXTRACTF128(U8(1), m, hx)
	VMAXPS(hx, m.AsX(), m.AsX())
	VMOVHLPS(m.AsX(), m.AsX(), hx)
	VMAXPS(hx, m.AsX(), m.AsX())
	VMOVSHDUP(m.AsX(), hx)
	VMAXSS(hx, m.AsX(), m.AsX()) // amax in lane 0
	k127 := XMM()
	VMOVSS(c127, k127)
	dd := XMM()
	VDIVSS(k127, m.AsX(), dd) // d = amax/127
	VCVTPS2PH(U8(0), dd, dd)
	VCVTPH2PS(dd, dd)
	VMOVSS(dd, Mem{Base: d.base})
	// id = amax != 0 ? 127/amax : 0
	id, z := XMM(), XMM()
	VDIVSS(m.AsX(), k127, id)
	VXORPS(z, z, z)
	VCMPSS(U8(4), z, m.AsX(), z) // amax != 0 (NEQ_UQ)
	VANDPS(z, id, id)
	idy := YMM()
	VBROADCASTSS(id, idy)
	for k := range v {
		VMULPS(idy, v[k], v[k])
		VCVTPS2DQ(v[k], v[k]) // MXCSR rounding: nearest even
	}
	s := YMM()
	VPADDD(v[1], v[0], s)
	VPADDD(v[2], s, s)
	VPADDD(v[3], s, s)
	hs := XMM()
	VEXTRACTI128(U8(1), s, hs)
	VPADDD(hs, s.AsX(), s.AsX())
	VPSHUFD(U8(0x4e), s.AsX(), hs)
	VPADDD(hs, s.AsX(), s.AsX())
	VPSHUFD(U8(0xb1), s.AsX(), hs)
	VPADDD(hs, s.AsX(), s.AsX())
	VMOVD(s.AsX(), Mem{Base: is})
	VPACKSSDW(v[1], v[0], v[0])
	VPACKSSDW(v[3], v[2], v[2])
	VPACKSSWB(v[2], v[0], v[0])
	perm := YMM()
	VMOVDQU(permPack, perm)
	VPERMD(v[0], perm, v[0]) // restore element order after the in-lane packs
	VMOVDQU(v[0], Mem{Base: qs})
	ADDQ(U8(128), x)
	ADDQ(U8(32), qs)
	ADDQ(U8(4), d.base)
	ADDQ(U8(4), is)
	DECQ(n)
	JMP(LabelRef("q8_block"))
	Label("q8_done")
	VZEROUPPER()
	RET()
}

// floatDots emits dotF16Asm, dotBF16Asm and dotF32Asm: func(w *byte, x *float32, n int)
// float32 for n a multiple of 8 (callers add the tail): Σ widen(w[i])·x[i] with four 8-float
// accumulators.
func floatDots() {
	for _, k := range []struct {
		name string
		size int // bytes per weight
	}{{"dotF16Asm", 2}, {"dotBF16Asm", 2}, {"dotF32Asm", 4}} {
		TEXT(k.name, NOSPLIT, "func(w *byte, x *float32, n int) float32")
		Doc(k.name + " is the AVX2 main loop of the row dot product of its weight type; see rowDotFloat.")
		w := Load(Param("w"), GP64())
		x := Load(Param("x"), GP64())
		n := Load(Param("n"), GP64())
		acc := []reg.VecVirtual{YMM(), YMM(), YMM(), YMM()}
		for _, a := range acc {
			VXORPS(a, a, a)
		}
		load := func(i reg.Register, disp int, v reg.VecVirtual) {
			m := Mem{Base: w, Index: i, Scale: uint8(k.size), Disp: disp * k.size}
			switch k.name {
			case "dotF16Asm":
				VCVTPH2PS(m, v)
			case "dotBF16Asm":
				VPMOVZXWD(m, v)
				VPSLLD(U8(16), v, v)
			default:
				VMOVUPS(m, v)
			}
		}
		i := GP64()
		XORQ(i, i)
		m := GP64()
		MOVQ(n, m)
		ANDQ(I32(-32), m)
		Label(k.name + "_32")
		CMPQ(i, m)
		JAE(LabelRef(k.name + "_8"))
		for j := 0; j < 4; j++ {
			v := YMM()
			load(i, 8*j, v)
			VFMADD231PS(Mem{Base: x, Index: i, Scale: 4, Disp: 32 * j}, v, acc[j])
		}
		ADDQ(U8(32), i)
		JMP(LabelRef(k.name + "_32"))
		Label(k.name + "_8")
		CMPQ(i, n)
		JAE(LabelRef(k.name + "_done"))
		v := YMM()
		load(i, 0, v)
		VFMADD231PS(Mem{Base: x, Index: i, Scale: 4}, v, acc[0])
		ADDQ(U8(8), i)
		JMP(LabelRef(k.name + "_8"))
		Label(k.name + "_done")
		VADDPS(acc[1], acc[0], acc[0])
		VADDPS(acc[3], acc[2], acc[2])
		VADDPS(acc[2], acc[0], acc[0])
		hsumTo(acc[0])
		VZEROUPPER()
		Store(acc[0].AsX(), ReturnIndex(0))
		RET()
	}
}
