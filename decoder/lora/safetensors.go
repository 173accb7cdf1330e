package lora

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/llmls/llmls/kernels/cpu"
)

// A small safetensors reader (https://github.com/huggingface/safetensors, README § Format):
//
//	u64 little-endian N | N bytes of JSON header | tensor data
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}, the
// offsets relative to the start of the data; "__metadata__" maps strings to strings. It is
// ours rather than github.com/nlpodyssey/safetensors because it is smaller than that module
// (which also pulls testify) and its errors name the file, the tensor and the byte offset.

// maxSafetensorsHeader bounds the JSON header (as the reference implementation: 100 MB).
const maxSafetensorsHeader = 100 << 20

// stDTypeSizes are the element sizes of the safetensors dtypes, bytes.
var stDTypeSizes = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1,
	"U16": 2, "I16": 2, "F16": 2, "BF16": 2,
	"U32": 4, "I32": 4, "F32": 4,
	"U64": 8, "I64": 8, "F64": 8,
}

// stTensor is one tensor of a safetensors file: Data aliases the file's bytes.
type stTensor struct {
	Name  string
	DType string  // safetensors dtype, e.g. "F32"
	Shape []int64 // row-major, outermost first (numpy order)
	Data  []byte  // Elements()·size bytes
	Begin int64   // absolute byte offset of Data in the file
}

// elements returns the product of the shape (1 for a scalar).
func (t *stTensor) elements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// parseSafetensors reads the header of a safetensors file held in data (file names it in
// errors) and returns its tensors in header order, and the __metadata__ map. Every tensor's
// data lies inside the file and no two overlap. Errors are *Error of kind ErrFormat (or
// ErrUnsupported for a dtype not in stDTypeSizes).
func parseSafetensors(data []byte, file string) ([]stTensor, map[string]string, error) {
	errAt := func(off int64, tensor, format string, a ...any) error {
		e := formatErr(file, tensor, format, a...)
		e.Offset = off
		return e
	}
	if len(data) < 8 {
		return nil, nil, errAt(0, "", "%d bytes: too short for the 8-byte header length (truncated?)", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxSafetensorsHeader {
		return nil, nil, errAt(0, "", "header length %d exceeds %d bytes", n, maxSafetensorsHeader)
	}
	if n > uint64(len(data)-8) {
		return nil, nil, errAt(0, "", "header length %d, but only %d bytes follow (truncated?)", n, len(data)-8)
	}
	header := data[8 : 8+n]
	dataStart := int64(8 + n)
	dataLen := int64(len(data)) - dataStart

	dec := json.NewDecoder(bytes.NewReader(header))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errAt(8, "", "header is not a JSON object")
	}
	var (
		tensors []stTensor
		meta    map[string]string
		seen    = map[string]bool{}
	)
	for dec.More() {
		off := 8 + dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, errAt(off, "", "header JSON: %v", err)
		}
		name, _ := tok.(string)
		if seen[name] {
			return nil, nil, errAt(off, name, "listed twice in the header")
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, errAt(off, "", "__metadata__: want an object of strings: %v", err)
			}
			continue
		}
		var info struct {
			DType       *string  `json:"dtype"`
			Shape       []int64  `json:"shape"`
			DataOffsets *[]int64 `json:"data_offsets"`
		}
		if err := dec.Decode(&info); err != nil {
			return nil, nil, errAt(off, name, "header entry: %v", err)
		}
		if info.DType == nil || info.DataOffsets == nil || info.Shape == nil {
			return nil, nil, errAt(off, name, "header entry lacks dtype, shape or data_offsets")
		}
		size, ok := stDTypeSizes[*info.DType]
		if !ok {
			e := unsupportedErr(file, name, "dtype %q", *info.DType)
			e.Offset = off
			return nil, nil, e
		}
		elems := int64(1)
		for _, d := range info.Shape {
			if d < 0 || (d > 0 && elems > math.MaxInt64/8/d) {
				return nil, nil, errAt(off, name, "shape %v: negative or too large", info.Shape)
			}
			elems *= d
		}
		offs := *info.DataOffsets
		if len(offs) != 2 || offs[0] < 0 || offs[0] > offs[1] || offs[1] > dataLen {
			return nil, nil, errAt(off, name, "data_offsets %v outside the %d data bytes (truncated?)", offs, dataLen)
		}
		if got := offs[1] - offs[0]; got != elems*int64(size) {
			return nil, nil, errAt(off, name, "data_offsets %v hold %d bytes, but %s %v needs %d", offs, got, *info.DType, info.Shape, elems*int64(size))
		}
		tensors = append(tensors, stTensor{Name: name, DType: *info.DType, Shape: info.Shape,
			Data: data[dataStart+offs[0] : dataStart+offs[1] : dataStart+offs[1]], Begin: dataStart + offs[0]})
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, errAt(8+dec.InputOffset(), "", "header JSON: %v", err)
	}
	if rest := bytes.TrimSpace(header[dec.InputOffset():]); len(rest) > 0 {
		return nil, nil, errAt(8+dec.InputOffset(), "", "%d bytes of garbage after the header JSON", len(rest))
	}
	// Overlapping tensors would alias each other's values: no writer produces them.
	byBegin := make([]*stTensor, len(tensors))
	for i := range tensors {
		byBegin[i] = &tensors[i]
	}
	sort.SliceStable(byBegin, func(i, j int) bool { return byBegin[i].Begin < byBegin[j].Begin })
	for i := 1; i < len(byBegin); i++ {
		prev, t := byBegin[i-1], byBegin[i]
		if t.Begin < prev.Begin+int64(len(prev.Data)) {
			return nil, nil, errAt(t.Begin, t.Name, "data overlaps tensor %q", prev.Name)
		}
	}
	return tensors, meta, nil
}

// float32s converts the tensor's data (F32, F16, BF16 or F64) to float32. Errors:
// ErrUnsupported for other dtypes.
func (t *stTensor) float32s(file string) ([]float32, error) {
	n := int(t.elements())
	out := make([]float32, n)
	switch t.DType {
	case "F32":
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
	case "F16":
		for i := range out {
			out[i] = cpu.F16ToF32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	case "BF16":
		for i := range out {
			out[i] = cpu.BF16ToF32(binary.LittleEndian.Uint16(t.Data[2*i:]))
		}
	case "F64":
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:])))
		}
	default:
		return nil, unsupportedErr(file, t.Name, "dtype %s for LoRA weights (want F32, F16, BF16 or F64)", t.DType)
	}
	return out, nil
}

// shapeString formats a numpy shape, e.g. [4 64].
func shapeString(s []int64) string { return fmt.Sprint(s) }
