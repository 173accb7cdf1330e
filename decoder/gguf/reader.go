package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/llmls/llmls/kernels"
)

// File is a parsed GGUF file. It is safe for concurrent reads.
type File struct {
	Path      string // the path given to Open, or the name given to Parse
	Version   uint32
	KV        []KV          // metadata in file order
	Tensors   []*TensorInfo // tensor directory in file order
	Alignment int64         // general.alignment or DefaultAlignment
	// DataOffset is the byte offset of the tensor data section within the file.
	DataOffset int64

	kv      map[string]int
	tensors map[string]int
	data    []byte       // the whole file
	unmap   func() error // releases data; nil for Parse
}

// Open memory-maps and parses the GGUF file at path. Tensor data stays in the mapping.
// Errors are *FormatError, *UnsupportedError or an *os.PathError.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("is a directory, not a GGUF file")}
	}
	data, unmap, err := mapFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("gguf: %s: map: %w", path, err)
	}
	g, err := Parse(data, path)
	if err != nil {
		unmap()
		return nil, err
	}
	g.unmap = unmap
	return g, nil
}

// Close releases the file mapping. Tensor Data slices must not be used afterwards.
// Close on a File from Parse does nothing.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	u := f.unmap
	f.unmap = nil
	f.data = nil
	return u()
}

// Parse parses a GGUF file held in memory. name is used in error messages. Tensor Data
// slices alias data.
func Parse(data []byte, name string) (*File, error) {
	r := &reader{data: data, file: name}
	f := &File{Path: name, data: data, Alignment: DefaultAlignment}

	r.field = "magic"
	magic := r.bytes(4)
	if r.err != nil {
		return nil, r.err
	}
	if string(magic) != Magic {
		if string(magic) == "FUGG" {
			return nil, &UnsupportedError{File: name, Field: "magic", Msg: "big-endian GGUF"}
		}
		return nil, r.fail(0, fmt.Sprintf("magic is %q, want %q (not a GGUF file)", magic, Magic))
	}
	r.field = "version"
	f.Version = r.u32()
	if r.err != nil {
		return nil, r.err
	}
	switch f.Version {
	case 2, 3:
	case 1:
		return nil, &UnsupportedError{File: name, Field: "version", Msg: "GGUF v1 (32-bit counts) is obsolete; reconvert the model"}
	default:
		if f.Version>>16 != 0 && f.Version&0xffff == 0 {
			return nil, &UnsupportedError{File: name, Field: "version", Msg: "big-endian GGUF"}
		}
		return nil, &UnsupportedError{File: name, Field: "version", Msg: fmt.Sprintf("version %d (want 2 or 3)", f.Version)}
	}
	r.field = "tensor_count"
	nTensors := r.u64()
	r.field = "metadata_kv_count"
	nKV := r.u64()
	if r.err != nil {
		return nil, r.err
	}
	// Every KV needs at least 8+4+1 bytes, every tensor info 8+4+4+8 bytes.
	if nKV > uint64(len(data))/13 {
		return nil, r.fail(16, fmt.Sprintf("%d metadata entries cannot fit in %d bytes (truncated file?)", nKV, len(data)))
	}
	if nTensors > uint64(len(data))/24 {
		r.field = "tensor_count"
		return nil, r.fail(8, fmt.Sprintf("%d tensors cannot fit in %d bytes (truncated file?)", nTensors, len(data)))
	}

	f.KV = make([]KV, 0, nKV)
	f.kv = make(map[string]int, nKV)
	for i := uint64(0); i < nKV; i++ {
		start := r.off
		r.field = fmt.Sprintf("metadata key #%d", i)
		key := r.str()
		if r.err != nil {
			return nil, r.err
		}
		r.field = fmt.Sprintf("metadata %q", key)
		vt := ValueType(r.u32())
		v := r.value(vt, 0)
		if r.err != nil {
			return nil, r.err
		}
		if _, dup := f.kv[key]; dup {
			return nil, r.fail(start, "duplicate key")
		}
		f.kv[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Value: v})
	}
	if v, ok := f.Lookup("general.alignment"); ok {
		a, ok := v.V.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 {
			return nil, &FormatError{File: name, Offset: 0, Field: "general.alignment", Msg: fmt.Sprintf("must be a uint32 power of two, got %v (%s)", v.V, v.Type)}
		}
		f.Alignment = int64(a)
	}

	f.Tensors = make([]*TensorInfo, 0, nTensors)
	f.tensors = make(map[string]int, nTensors)
	for i := uint64(0); i < nTensors; i++ {
		start := r.off
		r.field = fmt.Sprintf("tensor info #%d", i)
		t := &TensorInfo{Name: r.str()}
		if r.err != nil {
			return nil, r.err
		}
		r.field = fmt.Sprintf("tensor %q", t.Name)
		nd := r.u32()
		if r.err != nil {
			return nil, r.err
		}
		if nd == 0 || nd > maxDims {
			return nil, r.fail(start, fmt.Sprintf("n_dims %d (want 1..%d)", nd, maxDims))
		}
		t.Dims = make([]int64, nd)
		elems := int64(1)
		for d := range t.Dims {
			n := r.u64()
			if r.err != nil {
				return nil, r.err
			}
			if n == 0 || n > math.MaxInt64/uint64(elems) || int64(n)*elems > int64(len(data))*8 {
				// A tensor cannot have more elements than 8× the file's bytes (≥ 1 bit each).
				return nil, r.fail(start, fmt.Sprintf("dimension %d is %d: absurd for a %d-byte file", d, n, len(data)))
			}
			t.Dims[d] = int64(n)
			elems *= int64(n)
		}
		t.Type = kernels.DType(r.u32())
		off := r.u64()
		if r.err != nil {
			return nil, r.err
		}
		if !t.Type.Known() {
			return nil, &UnsupportedError{File: name, Field: r.field, Msg: fmt.Sprintf("unknown tensor type %d", uint32(t.Type))}
		}
		size, ok := t.Type.RowSize(elems)
		if !ok || t.Dims[0]%int64(t.Type.BlockSize()) != 0 {
			return nil, r.fail(start, fmt.Sprintf("ne0 %d is not a multiple of the %s block size %d", t.Dims[0], t.Type, t.Type.BlockSize()))
		}
		if off > math.MaxInt64/2 || int64(off)%f.Alignment != 0 {
			return nil, r.fail(start, fmt.Sprintf("data offset %d is not a multiple of the alignment %d", off, f.Alignment))
		}
		t.Offset, t.Size = int64(off), size
		if _, dup := f.tensors[t.Name]; dup {
			return nil, r.fail(start, "duplicate tensor name")
		}
		f.tensors[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}

	f.DataOffset = (r.off + f.Alignment - 1) / f.Alignment * f.Alignment
	if nTensors > 0 && f.DataOffset > int64(len(data)) {
		return nil, r.fail(r.off, "file ends before the tensor data section")
	}
	for _, t := range f.Tensors {
		end := f.DataOffset + t.Offset + t.Size
		if t.Offset > int64(len(data)) || end > int64(len(data)) || end < f.DataOffset {
			return nil, &FormatError{File: name, Offset: f.DataOffset + t.Offset, Field: fmt.Sprintf("tensor %q", t.Name),
				Msg: fmt.Sprintf("data [%d, %d) runs past the end of the file (%d bytes); truncated file?", f.DataOffset+t.Offset, end, len(data))}
		}
		t.Data = data[f.DataOffset+t.Offset : end : end]
	}
	// Overlapping tensors mean a corrupt directory.
	sorted := append([]*TensorInfo(nil), f.Tensors...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Offset < sorted[j].Offset })
	for i := 1; i < len(sorted); i++ {
		if p := sorted[i-1]; p.Offset+p.Size > sorted[i].Offset {
			return nil, &FormatError{File: name, Offset: f.DataOffset + sorted[i].Offset, Field: fmt.Sprintf("tensor %q", sorted[i].Name),
				Msg: fmt.Sprintf("data overlaps tensor %q", p.Name)}
		}
	}
	return f, nil
}

// Lookup returns the metadata value for key.
func (f *File) Lookup(key string) (Value, bool) {
	i, ok := f.kv[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// Tensor returns the tensor named name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensors[name]
	if !ok {
		return nil, false
	}
	return f.Tensors[i], true
}

// reader decodes little-endian values from a byte slice, remembering the first error.
type reader struct {
	data  []byte
	off   int64
	file  string
	field string
	err   error
}

func (r *reader) fail(off int64, msg string) error {
	if r.err == nil {
		r.err = &FormatError{File: r.file, Offset: off, Field: r.field, Msg: msg}
	}
	return r.err
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.data))-uint64(r.off) {
		r.fail(r.off, fmt.Sprintf("need %d bytes, file ends after %d (truncated file?)", n, int64(len(r.data))-r.off))
		return nil
	}
	b := r.data[r.off : r.off+int64(n)]
	r.off += int64(n)
	return b
}

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *reader) str() string {
	n := r.u64()
	return string(r.bytes(n))
}

// value reads a value of type t. depth guards against deeply nested arrays.
func (r *reader) value(t ValueType, depth int) Value {
	v := Value{Type: t}
	switch t {
	case TypeUint8:
		v.V = r.u8()
	case TypeInt8:
		v.V = int8(r.u8())
	case TypeUint16:
		v.V = r.u16()
	case TypeInt16:
		v.V = int16(r.u16())
	case TypeUint32:
		v.V = r.u32()
	case TypeInt32:
		v.V = int32(r.u32())
	case TypeFloat32:
		v.V = math.Float32frombits(r.u32())
	case TypeBool:
		b := r.u8()
		if b > 1 && r.err == nil {
			r.fail(r.off-1, fmt.Sprintf("bool value %d (want 0 or 1)", b))
		}
		v.V = b == 1
	case TypeString:
		v.V = r.str()
	case TypeUint64:
		v.V = r.u64()
	case TypeInt64:
		v.V = int64(r.u64())
	case TypeFloat64:
		v.V = math.Float64frombits(r.u64())
	case TypeArray:
		if depth > 4 {
			r.fail(r.off, "arrays nested too deeply")
			return v
		}
		v.ElemType = ValueType(r.u32())
		n := r.u64()
		if r.err != nil {
			return v
		}
		min := uint64(v.ElemType.fixedSize())
		if v.ElemType == TypeString {
			min = 8
		} else if v.ElemType == TypeArray {
			min = 12
		} else if min == 0 {
			r.fail(r.off-12, fmt.Sprintf("array of unknown type %d", uint32(v.ElemType)))
			return v
		}
		if n > (uint64(len(r.data))-uint64(r.off))/min {
			r.fail(r.off-8, fmt.Sprintf("array of %d %s cannot fit in the %d bytes left", n, v.ElemType, int64(len(r.data))-r.off))
			return v
		}
		v.V = r.array(v.ElemType, int(n), depth)
	default:
		r.fail(r.off-4, fmt.Sprintf("unknown value type %d", uint32(t)))
	}
	return v
}

func (r *reader) array(t ValueType, n int, depth int) any {
	switch t {
	case TypeString:
		a := make([]string, n)
		for i := range a {
			a[i] = r.str()
		}
		return a
	case TypeUint8:
		return append([]uint8(nil), r.bytes(uint64(n))...)
	case TypeInt8:
		a := make([]int8, n)
		for i, b := range r.bytes(uint64(n)) {
			a[i] = int8(b)
		}
		return a
	case TypeBool:
		a := make([]bool, n)
		for i, b := range r.bytes(uint64(n)) {
			a[i] = b != 0
		}
		return a
	case TypeUint16, TypeInt16:
		b := r.bytes(uint64(n) * 2)
		if t == TypeUint16 {
			a := make([]uint16, n)
			for i := range a {
				if b != nil {
					a[i] = binary.LittleEndian.Uint16(b[2*i:])
				}
			}
			return a
		}
		a := make([]int16, n)
		for i := range a {
			if b != nil {
				a[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
			}
		}
		return a
	case TypeUint32, TypeInt32, TypeFloat32:
		b := r.bytes(uint64(n) * 4)
		if b == nil {
			return nil
		}
		switch t {
		case TypeUint32:
			a := make([]uint32, n)
			for i := range a {
				a[i] = binary.LittleEndian.Uint32(b[4*i:])
			}
			return a
		case TypeInt32:
			a := make([]int32, n)
			for i := range a {
				a[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
			}
			return a
		default:
			a := make([]float32, n)
			for i := range a {
				a[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
			return a
		}
	case TypeUint64, TypeInt64, TypeFloat64:
		b := r.bytes(uint64(n) * 8)
		if b == nil {
			return nil
		}
		switch t {
		case TypeUint64:
			a := make([]uint64, n)
			for i := range a {
				a[i] = binary.LittleEndian.Uint64(b[8*i:])
			}
			return a
		case TypeInt64:
			a := make([]int64, n)
			for i := range a {
				a[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
			}
			return a
		default:
			a := make([]float64, n)
			for i := range a {
				a[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			}
			return a
		}
	case TypeArray:
		a := make([]Value, n)
		for i := range a {
			a[i] = r.value(TypeArray, depth+1)
			if r.err != nil {
				return nil
			}
		}
		return a
	}
	return nil
}
