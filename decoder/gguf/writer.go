package gguf

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/llmls/llmls/kernels"
)

// Writer builds a GGUF v3 file: metadata in the order added, then tensors in the order added.
// The zero value is not usable; call NewWriter.
type Writer struct {
	alignment int64
	kv        []KV
	keys      map[string]bool
	tensors   []*TensorInfo
	names     map[string]bool
	dataSize  int64
}

// NewWriter returns a Writer with the default alignment (32 bytes). A "general.alignment"
// uint32 metadata entry added later changes it.
func NewWriter() *Writer {
	return &Writer{alignment: DefaultAlignment, keys: map[string]bool{}, names: map[string]bool{}}
}

// Add appends a metadata entry. v must be one of: uint8, int8, uint16, int16, uint32, int32,
// uint64, int64, float32, float64, bool, string, or a slice of one of them ([]string,
// []int32, []float32, ...). It returns an error for a duplicate key or another type.
func (w *Writer) Add(key string, v any) error {
	if w.keys[key] {
		return fmt.Errorf("gguf: duplicate metadata key %q", key)
	}
	val, err := valueOf(v)
	if err != nil {
		return fmt.Errorf("gguf: metadata %q: %w", key, err)
	}
	if key == "general.alignment" {
		a, ok := v.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 || len(w.tensors) > 0 {
			return fmt.Errorf("gguf: general.alignment must be a uint32 power of two set before any tensor")
		}
		w.alignment = int64(a)
	}
	w.keys[key] = true
	w.kv = append(w.kv, KV{Key: key, Value: val})
	return nil
}

// AddTensor appends a tensor of type t with ggml dims (dims[0] innermost) and its raw data,
// which must be exactly the size the type and dims imply. data is not copied.
func (w *Writer) AddTensor(name string, t kernels.DType, dims []int64, data []byte) error {
	if w.names[name] {
		return fmt.Errorf("gguf: duplicate tensor %q", name)
	}
	if len(dims) == 0 || len(dims) > maxDims {
		return fmt.Errorf("gguf: tensor %q: %d dims (want 1..%d)", name, len(dims), maxDims)
	}
	n := int64(1)
	for _, d := range dims {
		if d <= 0 {
			return fmt.Errorf("gguf: tensor %q: dims %v", name, dims)
		}
		n *= d
	}
	size, ok := t.RowSize(n)
	if !ok || dims[0]%int64(t.BlockSize()) != 0 {
		return fmt.Errorf("gguf: tensor %q: dims %v do not fit type %s", name, dims, t)
	}
	if int64(len(data)) != size {
		return fmt.Errorf("gguf: tensor %q: %d bytes of data, type %s dims %v need %d", name, len(data), t, dims, size)
	}
	off := (w.dataSize + w.alignment - 1) / w.alignment * w.alignment
	w.tensors = append(w.tensors, &TensorInfo{Name: name, Dims: append([]int64(nil), dims...), Type: t, Offset: off, Size: size, Data: data})
	w.names[name] = true
	w.dataSize = off + size
	return nil
}

// WriteTo writes the file to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	cw := &countWriter{w: bufio.NewWriterSize(out, 1<<20)}
	le := binary.LittleEndian
	put := func(v any) { binary.Write(cw, le, v) }
	putStr := func(s string) { put(uint64(len(s))); io.WriteString(cw, s) }

	cw.Write([]byte(Magic))
	put(uint32(3))
	put(uint64(len(w.tensors)))
	put(uint64(len(w.kv)))
	for _, kv := range w.kv {
		putStr(kv.Key)
		put(uint32(kv.Value.Type))
		writeValue(cw, kv.Value)
	}
	for _, t := range w.tensors {
		putStr(t.Name)
		put(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			put(uint64(d))
		}
		put(uint32(t.Type))
		put(uint64(t.Offset))
	}
	pad := func() {
		for cw.n%w.alignment != 0 {
			cw.Write([]byte{0})
		}
	}
	pad()
	start := cw.n
	for _, t := range w.tensors {
		for cw.n-start < t.Offset {
			cw.Write([]byte{0})
		}
		cw.Write(t.Data)
	}
	if cw.err == nil {
		cw.err = cw.w.(*bufio.Writer).Flush()
	}
	return cw.n, cw.err
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

func writeValue(w io.Writer, v Value) {
	le := binary.LittleEndian
	switch v.Type {
	case TypeString:
		s := v.V.(string)
		binary.Write(w, le, uint64(len(s)))
		io.WriteString(w, s)
	case TypeBool:
		b := byte(0)
		if v.V.(bool) {
			b = 1
		}
		w.Write([]byte{b})
	case TypeArray:
		binary.Write(w, le, uint32(v.ElemType))
		switch a := v.V.(type) {
		case []string:
			binary.Write(w, le, uint64(len(a)))
			for _, s := range a {
				binary.Write(w, le, uint64(len(s)))
				io.WriteString(w, s)
			}
		case []bool:
			binary.Write(w, le, uint64(len(a)))
			for _, b := range a {
				writeValue(w, Value{Type: TypeBool, V: b})
			}
		default:
			// Fixed-size numeric slices encode as their little-endian bytes.
			binary.Write(w, le, uint64(sliceLen(a)))
			binary.Write(w, le, a)
		}
	default:
		binary.Write(w, le, v.V)
	}
}

func sliceLen(a any) int {
	switch s := a.(type) {
	case []uint8:
		return len(s)
	case []int8:
		return len(s)
	case []uint16:
		return len(s)
	case []int16:
		return len(s)
	case []uint32:
		return len(s)
	case []int32:
		return len(s)
	case []uint64:
		return len(s)
	case []int64:
		return len(s)
	case []float32:
		return len(s)
	case []float64:
		return len(s)
	}
	return 0
}

func valueOf(v any) (Value, error) {
	switch x := v.(type) {
	case uint8:
		return Value{Type: TypeUint8, V: x}, nil
	case int8:
		return Value{Type: TypeInt8, V: x}, nil
	case uint16:
		return Value{Type: TypeUint16, V: x}, nil
	case int16:
		return Value{Type: TypeInt16, V: x}, nil
	case uint32:
		return Value{Type: TypeUint32, V: x}, nil
	case int32:
		return Value{Type: TypeInt32, V: x}, nil
	case uint64:
		return Value{Type: TypeUint64, V: x}, nil
	case int64:
		return Value{Type: TypeInt64, V: x}, nil
	case float32:
		return Value{Type: TypeFloat32, V: x}, nil
	case float64:
		return Value{Type: TypeFloat64, V: x}, nil
	case bool:
		return Value{Type: TypeBool, V: x}, nil
	case string:
		return Value{Type: TypeString, V: x}, nil
	case []string:
		return Value{Type: TypeArray, ElemType: TypeString, V: x}, nil
	case []bool:
		return Value{Type: TypeArray, ElemType: TypeBool, V: x}, nil
	case []uint8:
		return Value{Type: TypeArray, ElemType: TypeUint8, V: x}, nil
	case []int8:
		return Value{Type: TypeArray, ElemType: TypeInt8, V: x}, nil
	case []uint16:
		return Value{Type: TypeArray, ElemType: TypeUint16, V: x}, nil
	case []int16:
		return Value{Type: TypeArray, ElemType: TypeInt16, V: x}, nil
	case []uint32:
		return Value{Type: TypeArray, ElemType: TypeUint32, V: x}, nil
	case []int32:
		return Value{Type: TypeArray, ElemType: TypeInt32, V: x}, nil
	case []uint64:
		return Value{Type: TypeArray, ElemType: TypeUint64, V: x}, nil
	case []int64:
		return Value{Type: TypeArray, ElemType: TypeInt64, V: x}, nil
	case []float32:
		return Value{Type: TypeArray, ElemType: TypeFloat32, V: x}, nil
	case []float64:
		return Value{Type: TypeArray, ElemType: TypeFloat64, V: x}, nil
	}
	return Value{}, fmt.Errorf("unsupported value type %T", v)
}
