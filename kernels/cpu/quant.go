package cpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/llmls/llmls/kernels"
)

// Quantize encodes src (whole blocks: len(src) a multiple of t.BlockSize()) as type t into dst
// (exactly t.RowSize(len(src)) bytes) with ggml's reference rounding
// (ggml/src/ggml-quants.c quantize_row_*_ref; for the K types the same searches,
// make_qkx2_quants and make_qx_quants, without an importance matrix). F32, F16 and BF16 are plain
// conversions (round to nearest even).
//
// Supported t: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K, Q6_K, Q8_K.
// Errors: an unsupported type, a length that is not whole blocks, or a dst of the wrong size.
func Quantize(t kernels.DType, dst []byte, src []float32) error {
	if err := checkRow(t, len(dst), len(src)); err != nil {
		return err
	}
	switch t {
	case kernels.F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case kernels.F16:
		if h := asUint16s(dst); h != nil {
			f32ToF16Impl(h, src)
			break
		}
		for i, v := range src {
			putLE16(dst[2*i:], F32ToF16(v))
		}
	case kernels.BF16:
		for i, v := range src {
			putLE16(dst[2*i:], F32ToBF16(v))
		}
	case kernels.Q4_0:
		quantizeQ4_0(dst, src)
	case kernels.Q4_1:
		quantizeQ4_1(dst, src)
	case kernels.Q5_0:
		quantizeQ5_0(dst, src)
	case kernels.Q5_1:
		quantizeQ5_1(dst, src)
	case kernels.Q8_0:
		quantizeQ8_0Ref(dst, src)
	case kernels.Q8_1:
		quantizeQ8_1Ref(dst, src)
	case kernels.Q4_K:
		quantizeQ4_K(dst, src)
	case kernels.Q5_K:
		quantizeQ5_K(dst, src)
	case kernels.Q6_K:
		quantizeQ6_K(dst, src)
	case kernels.Q8_K:
		quantizeQ8_K(dst, src)
	}
	return nil
}

// Dequantize decodes src (t.RowSize(len(dst)) bytes of type t) into dst, exactly as ggml's
// dequantize_row_* (ggml/src/ggml-quants.c). Supported types and errors as for [Quantize].
func Dequantize(t kernels.DType, dst []float32, src []byte) error {
	if err := checkRow(t, len(src), len(dst)); err != nil {
		return err
	}
	dequantize(t, dst, src)
	return nil
}

// quantTypes lists the types Quantize and Dequantize handle.
var quantTypes = map[kernels.DType]bool{
	kernels.F32: true, kernels.F16: true, kernels.BF16: true,
	kernels.Q4_0: true, kernels.Q4_1: true, kernels.Q5_0: true, kernels.Q5_1: true,
	kernels.Q8_0: true, kernels.Q8_1: true,
	kernels.Q4_K: true, kernels.Q5_K: true, kernels.Q6_K: true, kernels.Q8_K: true,
}

func checkRow(t kernels.DType, nbytes, n int) error {
	if !quantTypes[t] {
		return fmt.Errorf("cpu: quantize %v: unsupported type", t)
	}
	size, ok := t.RowSize(int64(n))
	if !ok {
		return fmt.Errorf("cpu: quantize %v: %d elements is not a whole number of %d-element blocks", t, n, t.BlockSize())
	}
	if int64(nbytes) != size {
		return fmt.Errorf("cpu: quantize %v: %d elements need %d bytes, got %d", t, n, size, nbytes)
	}
	return nil
}

// dequantize decodes without checks (sizes already valid).
func dequantize(t kernels.DType, dst []float32, src []byte) {
	switch t {
	case kernels.F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case kernels.F16:
		if h := asUint16s(src); h != nil {
			f16ToF32Impl(dst, h)
			break
		}
		for i := range dst {
			dst[i] = F16ToF32(le16(src[2*i:]))
		}
	case kernels.BF16:
		for i := range dst {
			dst[i] = BF16ToF32(le16(src[2*i:]))
		}
	case kernels.Q4_0:
		for i := 0; i < len(dst)/qk; i++ {
			b := src[i*blockQ4_0:]
			d := f16at(b)
			y := dst[i*qk:]
			for j := 0; j < qk/2; j++ {
				y[j] = float32(int(b[2+j]&0xf)-8) * d
				y[j+qk/2] = float32(int(b[2+j]>>4)-8) * d
			}
		}
	case kernels.Q4_1:
		for i := 0; i < len(dst)/qk; i++ {
			b := src[i*blockQ4_1:]
			d, m := f16at(b), f16at(b[2:])
			y := dst[i*qk:]
			for j := 0; j < qk/2; j++ {
				y[j] = float32(float32(b[4+j]&0xf)*d) + m
				y[j+qk/2] = float32(float32(b[4+j]>>4)*d) + m
			}
		}
	case kernels.Q5_0:
		for i := 0; i < len(dst)/qk; i++ {
			b := src[i*blockQ5_0:]
			d := f16at(b)
			qh := binary.LittleEndian.Uint32(b[2:])
			y := dst[i*qk:]
			for j := 0; j < qk/2; j++ {
				x0 := int(b[6+j]&0xf) | int(qh>>j&1)<<4
				x1 := int(b[6+j]>>4) | int(qh>>(j+16)&1)<<4
				y[j] = float32(x0-16) * d
				y[j+qk/2] = float32(x1-16) * d
			}
		}
	case kernels.Q5_1:
		for i := 0; i < len(dst)/qk; i++ {
			b := src[i*blockQ5_1:]
			d, m := f16at(b), f16at(b[2:])
			qh := binary.LittleEndian.Uint32(b[4:])
			y := dst[i*qk:]
			for j := 0; j < qk/2; j++ {
				x0 := int(b[8+j]&0xf) | int(qh>>j&1)<<4
				x1 := int(b[8+j]>>4) | int(qh>>(j+16)&1)<<4
				y[j] = float32(float32(x0)*d) + m
				y[j+qk/2] = float32(float32(x1)*d) + m
			}
		}
	case kernels.Q8_0:
		for i := 0; i < len(dst)/qk; i++ {
			b := src[i*blockQ8_0:]
			d := f16at(b)
			y := dst[i*qk:]
			for j := 0; j < qk; j++ {
				y[j] = float32(int8(b[2+j])) * d
			}
		}
	case kernels.Q8_1:
		for i := 0; i < len(dst)/qk; i++ {
			b := src[i*blockQ8_1:]
			d := f16at(b)
			y := dst[i*qk:]
			for j := 0; j < qk; j++ {
				y[j] = float32(int8(b[4+j])) * d
			}
		}
	case kernels.Q4_K:
		for i := 0; i < len(dst)/qkK; i++ {
			b := src[i*blockQ4_K:]
			d, dmin := f16at(b), f16at(b[2:])
			sc := b[offKScales : offKScales+12]
			q := b[offQ4KQs:]
			y := dst[i*qkK:]
			for j := 0; j < qkK/64; j++ {
				s1, m1 := scaleMinK4(2*j, sc)
				s2, m2 := scaleMinK4(2*j+1, sc)
				d1, mm1 := d*float32(s1), dmin*float32(m1)
				d2, mm2 := d*float32(s2), dmin*float32(m2)
				for l := 0; l < 32; l++ {
					y[64*j+l] = float32(d1*float32(q[32*j+l]&0xf)) - mm1
					y[64*j+32+l] = float32(d2*float32(q[32*j+l]>>4)) - mm2
				}
			}
		}
	case kernels.Q5_K:
		for i := 0; i < len(dst)/qkK; i++ {
			b := src[i*blockQ5_K:]
			d, dmin := f16at(b), f16at(b[2:])
			sc := b[offKScales : offKScales+12]
			qh := b[offKQh:]
			ql := b[offQ5KQs:]
			y := dst[i*qkK:]
			for j := 0; j < qkK/64; j++ {
				s1, m1 := scaleMinK4(2*j, sc)
				s2, m2 := scaleMinK4(2*j+1, sc)
				d1, mm1 := d*float32(s1), dmin*float32(m1)
				d2, mm2 := d*float32(s2), dmin*float32(m2)
				u1, u2 := byte(1)<<(2*j), byte(2)<<(2*j)
				for l := 0; l < 32; l++ {
					h1, h2 := 0, 0
					if qh[l]&u1 != 0 {
						h1 = 16
					}
					if qh[l]&u2 != 0 {
						h2 = 16
					}
					y[64*j+l] = float32(d1*float32(int(ql[32*j+l]&0xf)+h1)) - mm1
					y[64*j+32+l] = float32(d2*float32(int(ql[32*j+l]>>4)+h2)) - mm2
				}
			}
		}
	case kernels.Q6_K:
		for i := 0; i < len(dst)/qkK; i++ {
			b := src[i*blockQ6_K:]
			d := f16at(b[offQ6D:])
			y := dst[i*qkK:]
			for n := 0; n < 2; n++ {
				ql := b[64*n:]
				qh := b[offQ6Qh+32*n:]
				sc := b[offQ6Scales+8*n:]
				yy := y[128*n:]
				for l := 0; l < 32; l++ {
					is := l / 16
					q1 := int(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
					q2 := int(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
					q3 := int(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
					q4 := int(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
					yy[l] = float32(d*float32(int8(sc[is]))) * float32(q1)
					yy[l+32] = float32(d*float32(int8(sc[is+2]))) * float32(q2)
					yy[l+64] = float32(d*float32(int8(sc[is+4]))) * float32(q3)
					yy[l+96] = float32(d*float32(int8(sc[is+6]))) * float32(q4)
				}
			}
		}
	case kernels.Q8_K:
		for i := 0; i < len(dst)/qkK; i++ {
			b := src[i*blockQ8_K:]
			d := math.Float32frombits(binary.LittleEndian.Uint32(b))
			for j := 0; j < qkK; j++ {
				dst[i*qkK+j] = d * float32(int8(b[4+j]))
			}
		}
	}
}

// asUint16s views b as little-endian uint16s when the machine is little-endian and b is 2-byte
// aligned (GGUF tensor data is), else returns nil.
func asUint16s(b []byte) []uint16 {
	if len(b) < 2 || !littleEndian || uintptr(unsafe.Pointer(&b[0]))%2 != 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), len(b)/2)
}

var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// nearestInt rounds to the nearest integer, ties to even: ggml's nearest_int (which adds
// 1.5·2^23 in float32) for |f| ≤ 4194303. The float32→float64 conversion is exact, so the caller's
// float32 expression is rounded once, as in C.
func nearestInt(f float32) int { return int(math.RoundToEven(float64(f))) }

// fabs32 is fabsf.
func fabs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// truncI8 is C's (int8_t)(float) conversion for values in range: truncation toward zero.
func truncI8(f float32) int { return int(int8(f)) }

func quantizeQ4_0(dst []byte, x []float32) {
	for i := 0; i < len(x)/qk; i++ {
		xb := x[i*qk : (i+1)*qk]
		var amax, max float32
		for _, v := range xb {
			if amax < fabs32(v) {
				amax, max = fabs32(v), v
			}
		}
		d := max / -8
		var id float32
		if d != 0 {
			id = 1 / d
		}
		b := dst[i*blockQ4_0:]
		putLE16(b, F32ToF16(d))
		for j := 0; j < qk/2; j++ {
			x0 := float32(xb[j] * id)
			x1 := float32(xb[j+qk/2] * id)
			xi0 := min(15, truncI8(x0+8.5))
			xi1 := min(15, truncI8(x1+8.5))
			b[2+j] = byte(xi0) | byte(xi1)<<4
		}
	}
}

func quantizeQ4_1(dst []byte, x []float32) {
	for i := 0; i < len(x)/qk; i++ {
		xb := x[i*qk : (i+1)*qk]
		mn, mx := float32(math.MaxFloat32), float32(-math.MaxFloat32)
		for _, v := range xb {
			mn = min(mn, v)
			mx = max(mx, v)
		}
		d := (mx - mn) / 15
		var id float32
		if d != 0 {
			id = 1 / d
		}
		b := dst[i*blockQ4_1:]
		putLE16(b, F32ToF16(d))
		putLE16(b[2:], F32ToF16(mn))
		for j := 0; j < qk/2; j++ {
			x0 := float32((xb[j] - mn) * id)
			x1 := float32((xb[j+qk/2] - mn) * id)
			xi0 := min(15, truncI8(x0+0.5))
			xi1 := min(15, truncI8(x1+0.5))
			b[4+j] = byte(xi0) | byte(xi1)<<4
		}
	}
}

func quantizeQ5_0(dst []byte, x []float32) {
	for i := 0; i < len(x)/qk; i++ {
		xb := x[i*qk : (i+1)*qk]
		var amax, max float32
		for _, v := range xb {
			if amax < fabs32(v) {
				amax, max = fabs32(v), v
			}
		}
		d := max / -16
		var id float32
		if d != 0 {
			id = 1 / d
		}
		b := dst[i*blockQ5_0:]
		putLE16(b, F32ToF16(d))
		var qh uint32
		for j := 0; j < qk/2; j++ {
			x0 := float32(xb[j] * id)
			x1 := float32(xb[j+qk/2] * id)
			xi0 := min(31, truncI8(x0+16.5))
			xi1 := min(31, truncI8(x1+16.5))
			b[6+j] = byte(xi0&0xf) | byte(xi1&0xf)<<4
			qh |= uint32(xi0&0x10) >> 4 << j
			qh |= uint32(xi1&0x10) >> 4 << (j + qk/2)
		}
		binary.LittleEndian.PutUint32(b[2:], qh)
	}
}

func quantizeQ5_1(dst []byte, x []float32) {
	for i := 0; i < len(x)/qk; i++ {
		xb := x[i*qk : (i+1)*qk]
		mn, mx := float32(math.MaxFloat32), float32(-math.MaxFloat32)
		for _, v := range xb {
			mn = min(mn, v)
			mx = max(mx, v)
		}
		d := (mx - mn) / 31
		var id float32
		if d != 0 {
			id = 1 / d
		}
		b := dst[i*blockQ5_1:]
		putLE16(b, F32ToF16(d))
		putLE16(b[2:], F32ToF16(mn))
		var qh uint32
		for j := 0; j < qk/2; j++ {
			x0 := float32((xb[j] - mn) * id)
			x1 := float32((xb[j+qk/2] - mn) * id)
			xi0 := int(uint8(x0 + 0.5))
			xi1 := int(uint8(x1 + 0.5))
			b[8+j] = byte(xi0&0xf) | byte(xi1&0xf)<<4
			qh |= uint32(xi0&0x10) >> 4 << j
			qh |= uint32(xi1&0x10) >> 4 << (j + qk/2)
		}
		binary.LittleEndian.PutUint32(b[4:], qh)
	}
}

// quantizeQ8_0Ref is quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d) (ties away from zero).
func quantizeQ8_0Ref(dst []byte, x []float32) {
	for i := 0; i < len(x)/qk; i++ {
		xb := x[i*qk : (i+1)*qk]
		var amax float32
		for _, v := range xb {
			amax = max(amax, fabs32(v))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		b := dst[i*blockQ8_0:]
		putLE16(b, F32ToF16(d))
		for j, v := range xb {
			b[2+j] = byte(int8(math.Round(float64(float32(v * id)))))
		}
	}
}

// quantizeQ8_1Ref is quantize_row_q8_1_ref.
func quantizeQ8_1Ref(dst []byte, x []float32) {
	for i := 0; i < len(x)/qk; i++ {
		xb := x[i*qk : (i+1)*qk]
		var amax float32
		for _, v := range xb {
			amax = max(amax, fabs32(v))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		b := dst[i*blockQ8_1:]
		putLE16(b, F32ToF16(d))
		sum := 0
		for j, v := range xb {
			q := int8(math.Round(float64(float32(v * id))))
			b[4+j] = byte(q)
			sum += int(q)
		}
		putLE16(b[2:], F32ToF16(float32(sum)*d))
	}
}

// quantizeQ8_K is quantize_row_q8_K_ref (also what ggml-cpu uses for activations on x86).
func quantizeQ8_K(dst []byte, x []float32) {
	for i := 0; i < len(x)/qkK; i++ {
		xb := x[i*qkK : (i+1)*qkK]
		b := dst[i*blockQ8_K : (i+1)*blockQ8_K]
		var amax, max float32
		for _, v := range xb {
			if ax := fabs32(v); ax > amax {
				amax, max = ax, v
			}
		}
		if amax == 0 {
			clear(b) // d = 0, qs = 0 (bsums left as ggml leaves them: we zero them)
			continue
		}
		iscale := -127 / max
		for j, v := range xb {
			b[4+j] = byte(int8(min(127, nearestInt(iscale*v))))
		}
		for j := 0; j < qkK/16; j++ {
			sum := 0
			for _, q := range b[4+16*j : 4+16*j+16] {
				sum += int(int8(q))
			}
			putLE16(b[4+qkK+2*j:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(b, math.Float32bits(1/iscale))
	}
}

// makeQKX2Quants is ggml's make_qkx2_quants: fit x ≈ scale·L − min over L in [0, nmax] with
// weights, trying nstep+1 candidate scales. Returns scale and the (positive) min.
func makeQKX2Quants(nmax int, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int) (scale, theMin float32) {
	n := len(x)
	mn, mx := x[0], x[0]
	sumW := weights[0]
	sumX := sumW * x[0]
	for i := 1; i < n; i++ {
		mn = min(mn, x[i])
		mx = max(mx, x[i])
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		for i := range L[:n] {
			L[i] = 0
		}
		return 0, -mn
	}
	iscale := float32(nmax) / (mx - mn)
	scale = 1 / iscale
	var bestError float32
	for i := 0; i < n; i++ {
		l := nearestInt(float32(iscale * (x[i] - mn)))
		L[i] = uint8(max(0, min(nmax, l)))
		diff := float32(scale*float32(L[i])) + mn - x[i]
		bestError += float32(weights[i] * float32(diff*diff))
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + float32(nmax)) / (mx - mn)
		var sumL, sumL2, sumXL float32
		for i := 0; i < n; i++ {
			l := nearestInt(float32(iscale * (x[i] - mn)))
			l = max(0, min(nmax, l))
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(float32(w*fl) * fl)
			sumXL += float32(float32(w*fl) * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curError float32
			for i := 0; i < n; i++ {
				diff := float32(thisScale*float32(Laux[i])) + thisMin - x[i]
				curError += float32(weights[i] * float32(diff*diff))
			}
			if curError < bestError {
				copy(L[:n], Laux[:n])
				bestError = curError
				scale = thisScale
				mn = thisMin
			}
		}
	}
	return scale, -mn
}

// makeQXQuants is ggml's make_qx_quants with rmse_type 1 and no importance weights (the Q6_K
// reference path): symmetric L in [-nmax, nmax-1] stored as L+nmax, searching 19 scales.
func makeQXQuants(nmax int, x []float32, L []int8) float32 {
	var max, amax float32
	for _, v := range x {
		if ax := fabs32(v); ax > amax {
			amax, max = ax, v
		}
	}
	if amax < 1e-15 { // GROUP_MAX_EPS
		for i := range x {
			L[i] = 0
		}
		return 0
	}
	fnmax := float32(nmax)
	iscale := -fnmax / max
	var sumlx, suml2 float32
	for i, v := range x {
		l := nearestInt(float32(iscale * v))
		l = max0(-nmax, min(nmax-1, l))
		L[i] = int8(l + nmax)
		w := float32(v * v)
		fl := float32(l)
		sumlx += float32(float32(w*v) * fl)
		suml2 += float32(float32(w*fl) * fl)
	}
	var scale float32
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := scale * sumlx
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(fnmax + float32(0.1*float32(is))) / max
		sumlx, suml2 = 0, 0
		for _, v := range x {
			l := nearestInt(float32(iscale * v))
			l = max0(-nmax, min(nmax-1, l))
			w := float32(v * v)
			fl := float32(l)
			sumlx += float32(float32(w*v) * fl)
			suml2 += float32(float32(w*fl) * fl)
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i, v := range x {
				l := nearestInt(float32(iscale * v))
				L[i] = int8(nmax + max0(-nmax, min(nmax-1, l)))
			}
			scale = sumlx / suml2
			best = scale * sumlx
		}
	}
	return scale
}

func max0(a, b int) int { return max(a, b) }

// packScalesK4 stores the 6-bit scales ls and mins lm of 8 sub-blocks into 12 bytes, the inverse
// of scaleMinK4.
func packScalesK4(dst []byte, ls, lm *[8]uint8) {
	clear(dst[:12])
	for j := 0; j < 8; j++ {
		if j < 4 {
			dst[j] = ls[j]
			dst[j+4] = lm[j]
		} else {
			dst[j+4] = ls[j]&0xf | (lm[j]&0xf)<<4
			dst[j-4] |= (ls[j] >> 4) << 6
			dst[j] |= (lm[j] >> 4) << 6
		}
	}
}

// quantizeKScaleMin is the part of quantize_row_q4_K_ref / q5_K_ref shared by both: per
// sub-block scale/min search, 6-bit packing, and the final requantization of L against the
// packed scales. nmax is 15 (Q4_K) or 31 (Q5_K).
func quantizeKScaleMin(b []byte, x []float32, L *[qkK]uint8, nmax int, rmin, rdelta float32, nstep int) {
	var weights [32]float32
	var Laux [32]uint8
	var scales, mins [8]float32
	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := float32(math.Sqrt(float64(sumX2 / 32)))
		for l, v := range xs {
			weights[l] = avX + fabs32(v)
		}
		scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], L[32*j:32*j+32], Laux[:], rmin, rdelta, nstep)
		maxScale = max(maxScale, scales[j])
		maxMin = max(maxMin, mins[j])
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	var ls, lm [8]uint8
	for j := 0; j < 8; j++ {
		ls[j] = min(63, uint8(nearestInt(float32(invScale*scales[j]))))
		lm[j] = min(63, uint8(nearestInt(float32(invMin*mins[j]))))
	}
	packScalesK4(b[offKScales:], &ls, &lm)
	putLE16(b, F32ToF16(maxScale/63))
	putLE16(b[2:], F32ToF16(maxMin/63))
	d, dmin := f16at(b), f16at(b[2:])
	for j := 0; j < 8; j++ {
		sc, m := scaleMinK4(j, b[offKScales:])
		dd := d * float32(sc)
		if dd == 0 {
			continue
		}
		dm := dmin * float32(m)
		for ii := 0; ii < 32; ii++ {
			l := nearestInt((x[32*j+ii] + dm) / dd)
			L[32*j+ii] = uint8(max(0, min(nmax, l)))
		}
	}
}

// quantizeQ4_K is quantize_row_q4_K_ref.
func quantizeQ4_K(dst []byte, x []float32) {
	var L [qkK]uint8
	for i := 0; i < len(x)/qkK; i++ {
		b := dst[i*blockQ4_K : (i+1)*blockQ4_K]
		quantizeKScaleMin(b, x[i*qkK:], &L, 15, -1, 0.1, 20)
		q := b[offQ4KQs:]
		for j := 0; j < qkK; j += 64 {
			for l := 0; l < 32; l++ {
				q[j/2+l] = L[j+l] | L[j+l+32]<<4
			}
		}
	}
}

// quantizeQ5_K is quantize_row_q5_K_ref.
func quantizeQ5_K(dst []byte, x []float32) {
	var L [qkK]uint8
	for i := 0; i < len(x)/qkK; i++ {
		b := dst[i*blockQ5_K : (i+1)*blockQ5_K]
		quantizeKScaleMin(b, x[i*qkK:], &L, 31, -0.5, 0.1, 15)
		qh := b[offKQh : offKQh+qkK/8]
		ql := b[offQ5KQs:]
		clear(qh)
		m1, m2 := byte(1), byte(2)
		for n := 0; n < qkK; n += 64 {
			for j := 0; j < 32; j++ {
				l1, l2 := L[n+j], L[n+j+32]
				if l1 > 15 {
					l1 -= 16
					qh[j] |= m1
				}
				if l2 > 15 {
					l2 -= 16
					qh[j] |= m2
				}
				ql[n/2+j] = l1 | l2<<4
			}
			m1 <<= 2
			m2 <<= 2
		}
	}
}

// quantizeQ6_K is quantize_row_q6_K_ref.
func quantizeQ6_K(dst []byte, x []float32) {
	var L [qkK]int8
	var scales [16]float32
	for i := 0; i < len(x)/qkK; i++ {
		b := dst[i*blockQ6_K : (i+1)*blockQ6_K]
		xb := x[i*qkK : (i+1)*qkK]
		var maxScale, maxAbsScale float32
		for ib := 0; ib < 16; ib++ {
			s := makeQXQuants(32, xb[16*ib:16*ib+16], L[16*ib:16*ib+16])
			scales[ib] = s
			if as := fabs32(s); as > maxAbsScale {
				maxAbsScale, maxScale = as, s
			}
		}
		if maxAbsScale < 1e-15 {
			clear(b)
			continue
		}
		iscale := -128 / maxScale
		putLE16(b[offQ6D:], F32ToF16(1/iscale))
		for ib := 0; ib < 16; ib++ {
			b[offQ6Scales+ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
		}
		d0 := f16at(b[offQ6D:])
		for j := 0; j < 16; j++ {
			d := d0 * float32(int8(b[offQ6Scales+j]))
			if d == 0 {
				continue
			}
			for ii := 0; ii < 16; ii++ {
				l := nearestInt(xb[16*j+ii] / d)
				L[16*j+ii] = int8(max(-32, min(31, l)) + 32)
			}
		}
		ql := b[:offQ6Qh]
		qh := b[offQ6Qh:offQ6Scales]
		for j := 0; j < qkK; j += 128 {
			for l := 0; l < 32; l++ {
				q1 := byte(L[j+l]) & 0xf
				q2 := byte(L[j+l+32]) & 0xf
				q3 := byte(L[j+l+64]) & 0xf
				q4 := byte(L[j+l+96]) & 0xf
				ql[j/2+l] = q1 | q3<<4
				ql[j/2+l+32] = q2 | q4<<4
				qh[j/4+l] = byte(L[j+l])>>4 | (byte(L[j+l+32])>>4)<<2 | (byte(L[j+l+64])>>4)<<4 | (byte(L[j+l+96])>>4)<<6
			}
		}
	}
}
