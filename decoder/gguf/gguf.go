// Package gguf reads and writes GGUF v3 model files, the format of llama.cpp.
//
// A [File] holds the key/value metadata ([Value]) and the tensor directory ([TensorInfo]) of
// one file. [Open] memory-maps the file so tensor data is never copied: [TensorInfo.Data]
// is a slice of the mapping, valid until [File.Close]. [Parse] reads a file already in memory
// (an embedded model). [Writer] produces files for tests and tools.
//
// Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
//
//	magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//	n_kv × { string key | u32 value_type | value }
//	n_tensors × { string name | u32 n_dims | u64 ne[n_dims] | u32 ggml_type | u64 offset }
//	padding to general.alignment (default 32) | tensor data (each tensor at data_start+offset)
//
// Strings are a u64 byte length and the bytes (no terminator); everything is little-endian.
// Versions 2 and 3 are read (they differ only in byte order support, which this package
// does not have: big-endian files are rejected).
package gguf

import (
	"errors"
	"fmt"

	"github.com/llmls/llmls/kernels"
)

// Magic is the first four bytes of every GGUF file.
const Magic = "GGUF"

// DefaultAlignment is the tensor data alignment in bytes when general.alignment is absent.
const DefaultAlignment = 32

// Limits on what a well-formed file can contain. They keep hostile files from making the
// reader allocate absurd amounts before it notices the file is too short.
const (
	maxDims = 4 // GGML_MAX_DIMS
)

// ValueType is the type tag of a metadata value (gguf.md, "gguf_metadata_value_type").
type ValueType uint32

// Metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var valueTypeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32",
	"float32", "bool", "string", "array", "uint64", "int64", "float64"}

func (t ValueType) String() string {
	if int(t) < len(valueTypeNames) {
		return valueTypeNames[t]
	}
	return fmt.Sprintf("ValueType(%d)", uint32(t))
}

// fixedSize returns the encoded size of a scalar of type t, or 0 for string/array/unknown.
func (t ValueType) fixedSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// Value is one metadata value. Scalars are held as the Go type of the same width
// (uint8, int8, ..., float64, bool, string); arrays as a typed slice ([]string, []int32,
// []float32, []uint32, ...; arrays of arrays as []Value).
type Value struct {
	Type     ValueType
	ElemType ValueType // element type when Type == TypeArray
	V        any
}

// KV is one metadata entry, in file order.
type KV struct {
	Key   string
	Value Value
}

// TensorInfo describes one tensor.
type TensorInfo struct {
	Name string
	// Dims are ggml's ne: Dims[0] is the innermost (contiguous) dimension. A weight matrix
	// [in, out] is out rows of in elements.
	Dims []int64
	Type kernels.DType
	// Offset of the data, in bytes, relative to the start of the tensor data section.
	Offset int64
	// Size of the data in bytes.
	Size int64
	// Data is the tensor's bytes: a slice of the file mapping (do not write to it; it is
	// read-only memory for files from Open) valid until File.Close.
	Data []byte
}

// Elements returns the number of elements (product of Dims).
func (t *TensorInfo) Elements() int64 {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// Rows returns the number of rows of ne0 elements each (product of Dims[1:]).
func (t *TensorInfo) Rows() int64 {
	if len(t.Dims) == 0 {
		return 0
	}
	return t.Elements() / t.Dims[0]
}

// FormatError reports a file that is not valid GGUF: what is wrong and where.
type FormatError struct {
	File   string // path, or a name given to Parse
	Offset int64  // byte offset where the problem was found
	Field  string // the key, tensor or header field being read
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("gguf: %s: invalid file at byte %d (%s): %s", e.File, e.Offset, e.Field, e.Msg)
}

// UnsupportedError reports a valid file that uses a feature this package does not support
// (a big-endian file, an unknown tensor type).
type UnsupportedError struct {
	File  string
	Field string
	Msg   string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("gguf: %s: unsupported (%s): %s", e.File, e.Field, e.Msg)
}

// ErrMissingKey is wrapped by errors from the typed metadata getters when a key is absent.
var ErrMissingKey = errors.New("gguf: missing metadata key")

// KeyError reports a metadata key that is absent or has an unexpected type.
type KeyError struct {
	File string
	Key  string
	Msg  string
	Err  error // ErrMissingKey when the key is absent
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("gguf: %s: metadata %q: %s", e.File, e.Key, e.Msg)
}

func (e *KeyError) Unwrap() error { return e.Err }
