package cpu

import (
	"encoding/binary"
	"math"
)

// Block dot products of one weight row (whole blocks, len(w) = row bytes) with one activation
// row, as ggml-cpu's ggml_vec_dot_*_generic (ggml/src/ggml-cpu/quants.c): integer products
// within a block, scaled by the product of the two block scales in float32.

func dotQ8_0Generic(w []byte, a actRow) float32 {
	var sumf float32
	for i, d := range a.d {
		b := w[i*blockQ8_0 : (i+1)*blockQ8_0]
		q := a.qs[i*qk : (i+1)*qk]
		var sumi int32
		for j := 0; j < qk; j++ {
			sumi += int32(int8(b[2+j])) * int32(q[j])
		}
		sumf += float32(sumi) * float32(f16at(b)*d)
	}
	return sumf
}

func dotQ4_0Generic(w []byte, a actRow) float32 {
	var sumf float32
	for i, d := range a.d {
		b := w[i*blockQ4_0 : (i+1)*blockQ4_0]
		q := a.qs[i*qk : (i+1)*qk]
		var sumi int32
		for j := 0; j < qk/2; j++ {
			sumi += (int32(b[2+j]&0xf) - 8) * int32(q[j])
			sumi += (int32(b[2+j]>>4) - 8) * int32(q[j+qk/2])
		}
		sumf += float32(sumi) * float32(f16at(b)*d)
	}
	return sumf
}

func dotQ5_0Generic(w []byte, a actRow) float32 {
	var sumf float32
	for i, d := range a.d {
		b := w[i*blockQ5_0 : (i+1)*blockQ5_0]
		qh := binary.LittleEndian.Uint32(b[2:])
		q := a.qs[i*qk : (i+1)*qk]
		var sumi int32
		for j := 0; j < qk/2; j++ {
			x0 := int32(b[6+j]&0xf|byte(qh>>j&1)<<4) - 16
			x1 := int32(b[6+j]>>4|byte(qh>>(j+16)&1)<<4) - 16
			sumi += x0*int32(q[j]) + x1*int32(q[j+qk/2])
		}
		sumf += float32(sumi) * float32(f16at(b)*d)
	}
	return sumf
}

func dotQ4_1Generic(w []byte, a actRow) float32 {
	var sumf float32
	for i, d := range a.d {
		b := w[i*blockQ4_1 : (i+1)*blockQ4_1]
		q := a.qs[i*qk : (i+1)*qk]
		var sumi int32
		for j := 0; j < qk/2; j++ {
			sumi += int32(b[4+j]&0xf)*int32(q[j]) + int32(b[4+j]>>4)*int32(q[j+qk/2])
		}
		sumf += float32(float32(f16at(b)*d)*float32(sumi)) + float32(f16at(b[2:])*a.s[i])
	}
	return sumf
}

func dotQ5_1Generic(w []byte, a actRow) float32 {
	var sumf float32
	for i, d := range a.d {
		b := w[i*blockQ5_1 : (i+1)*blockQ5_1]
		qh := binary.LittleEndian.Uint32(b[4:])
		q := a.qs[i*qk : (i+1)*qk]
		var sumi int32
		for j := 0; j < qk/2; j++ {
			x0 := int32(b[8+j]&0xf | byte(qh>>j&1)<<4)
			x1 := int32(b[8+j]>>4 | byte(qh>>(j+16)&1)<<4)
			sumi += x0*int32(q[j]) + x1*int32(q[j+qk/2])
		}
		sumf += float32(float32(f16at(b)*d)*float32(sumi)) + float32(f16at(b[2:])*a.s[i])
	}
	return sumf
}

func dotQ4_KGeneric(w []byte, a actRow) float32 {
	var sumf float32
	for i, dy := range a.d {
		b := w[i*blockQ4_K : (i+1)*blockQ4_K]
		sc := b[offKScales : offKScales+12]
		qs := b[offQ4KQs:]
		q8 := a.qs[i*qkK : (i+1)*qkK]
		bs := a.bsum[i*16 : i*16+16]
		var sumi, summ int32
		for j := 0; j < 4; j++ {
			s1, m1 := scaleMinK4(2*j, sc)
			s2, m2 := scaleMinK4(2*j+1, sc)
			var p1, p2 int32
			for l := 0; l < 32; l++ {
				p1 += int32(qs[32*j+l]&0xf) * int32(q8[64*j+l])
				p2 += int32(qs[32*j+l]>>4) * int32(q8[64*j+32+l])
			}
			sumi += int32(s1)*p1 + int32(s2)*p2
			summ += int32(m1)*(int32(bs[4*j])+int32(bs[4*j+1])) + int32(m2)*(int32(bs[4*j+2])+int32(bs[4*j+3]))
		}
		d := f16at(b) * dy
		dmin := f16at(b[2:]) * dy
		sumf += float32(d*float32(sumi)) - float32(dmin*float32(summ))
	}
	return sumf
}

func dotQ5_KGeneric(w []byte, a actRow) float32 {
	var sumf float32
	for i, dy := range a.d {
		b := w[i*blockQ5_K : (i+1)*blockQ5_K]
		sc := b[offKScales : offKScales+12]
		qh := b[offKQh : offKQh+32]
		ql := b[offQ5KQs:]
		q8 := a.qs[i*qkK : (i+1)*qkK]
		bs := a.bsum[i*16 : i*16+16]
		var sumi, summ int32
		for j := 0; j < 4; j++ {
			s1, m1 := scaleMinK4(2*j, sc)
			s2, m2 := scaleMinK4(2*j+1, sc)
			var p1, p2 int32
			for l := 0; l < 32; l++ {
				v1 := int32(ql[32*j+l]&0xf) | int32(qh[l]>>(2*j)&1)<<4
				v2 := int32(ql[32*j+l]>>4) | int32(qh[l]>>(2*j+1)&1)<<4
				p1 += v1 * int32(q8[64*j+l])
				p2 += v2 * int32(q8[64*j+32+l])
			}
			sumi += int32(s1)*p1 + int32(s2)*p2
			summ += int32(m1)*(int32(bs[4*j])+int32(bs[4*j+1])) + int32(m2)*(int32(bs[4*j+2])+int32(bs[4*j+3]))
		}
		d := f16at(b) * dy
		dmin := f16at(b[2:]) * dy
		sumf += float32(d*float32(sumi)) - float32(dmin*float32(summ))
	}
	return sumf
}

func dotQ6_KGeneric(w []byte, a actRow) float32 {
	var sumf float32
	for i, dy := range a.d {
		b := w[i*blockQ6_K : (i+1)*blockQ6_K]
		q8 := a.qs[i*qkK : (i+1)*qkK]
		var sumi int32
		for n := 0; n < 2; n++ {
			ql := b[64*n:]
			qh := b[offQ6Qh+32*n:]
			sc := b[offQ6Scales+8*n:]
			y := q8[128*n:]
			var p [8]int32 // per 16-element sub-block: is = l/16 + {0,2,4,6}
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int32(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
				q2 := int32(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				p[is] += q1 * int32(y[l])
				p[is+2] += q2 * int32(y[l+32])
				p[is+4] += q3 * int32(y[l+64])
				p[is+6] += q4 * int32(y[l+96])
			}
			for k := 0; k < 8; k++ {
				sumi += int32(int8(sc[k])) * p[k]
			}
		}
		sumf += float32(f16at(b[offQ6D:])*dy) * float32(sumi)
	}
	return sumf
}

func dotF16Generic(w []byte, a actRow) float32 {
	var sum float64 // ggml_vec_dot_f16 accumulates in ggml_float (double) when not vectorized
	for i, x := range a.f {
		sum += float64(F16ToF32(uint16(w[2*i])|uint16(w[2*i+1])<<8) * x)
	}
	return float32(sum)
}

func dotBF16Generic(w []byte, a actRow) float32 {
	var sum float64
	for i, x := range a.f {
		sum += float64(BF16ToF32(uint16(w[2*i])|uint16(w[2*i+1])<<8) * x)
	}
	return float32(sum)
}

func dotF32Generic(w []byte, a actRow) float32 {
	var sum float32
	for i, x := range a.f {
		sum += float32(math.Float32frombits(binary.LittleEndian.Uint32(w[4*i:])) * x)
	}
	return sum
}
