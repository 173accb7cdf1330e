package gguf

import (
	"fmt"
	"math"
)

// The typed getters below return a *KeyError wrapping ErrMissingKey when the key is absent,
// and a *KeyError when its value has a type that cannot represent the request.

// String returns the string value of key.
func (f *File) String(key string) (string, error) {
	v, err := f.get(key)
	if err != nil {
		return "", err
	}
	s, ok := v.V.(string)
	if !ok {
		return "", f.typeErr(key, v, "string")
	}
	return s, nil
}

// Int returns the value of an integer key of any width and signedness.
func (f *File) Int(key string) (int64, error) {
	v, err := f.get(key)
	if err != nil {
		return 0, err
	}
	switch x := v.V.(type) {
	case uint8:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, &KeyError{File: f.Path, Key: key, Msg: fmt.Sprintf("value %d overflows int64", x)}
		}
		return int64(x), nil
	}
	return 0, f.typeErr(key, v, "integer")
}

// Float returns the value of a float32, float64 or integer key.
func (f *File) Float(key string) (float64, error) {
	v, err := f.get(key)
	if err != nil {
		return 0, err
	}
	switch x := v.V.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	n, err := f.Int(key)
	if err != nil {
		return 0, f.typeErr(key, v, "number")
	}
	return float64(n), nil
}

// Bool returns the value of a bool key.
func (f *File) Bool(key string) (bool, error) {
	v, err := f.get(key)
	if err != nil {
		return false, err
	}
	b, ok := v.V.(bool)
	if !ok {
		return false, f.typeErr(key, v, "bool")
	}
	return b, nil
}

// Strings returns the value of a string-array key.
func (f *File) Strings(key string) ([]string, error) {
	v, err := f.get(key)
	if err != nil {
		return nil, err
	}
	s, ok := v.V.([]string)
	if !ok {
		return nil, f.typeErr(key, v, "array of string")
	}
	return s, nil
}

// Int32s returns the value of an integer-array key (any element width that fits int32).
func (f *File) Int32s(key string) ([]int32, error) {
	v, err := f.get(key)
	if err != nil {
		return nil, err
	}
	switch a := v.V.(type) {
	case []int32:
		return a, nil
	case []uint32:
		out := make([]int32, len(a))
		for i, x := range a {
			if x > math.MaxInt32 {
				return nil, &KeyError{File: f.Path, Key: key, Msg: fmt.Sprintf("element %d is %d: overflows int32", i, x)}
			}
			out[i] = int32(x)
		}
		return out, nil
	case []uint8:
		out := make([]int32, len(a))
		for i, x := range a {
			out[i] = int32(x)
		}
		return out, nil
	case []int8:
		out := make([]int32, len(a))
		for i, x := range a {
			out[i] = int32(x)
		}
		return out, nil
	}
	return nil, f.typeErr(key, v, "array of integer")
}

// Float32s returns the value of a float32-array key.
func (f *File) Float32s(key string) ([]float32, error) {
	v, err := f.get(key)
	if err != nil {
		return nil, err
	}
	a, ok := v.V.([]float32)
	if !ok {
		return nil, f.typeErr(key, v, "array of float32")
	}
	return a, nil
}

func (f *File) get(key string) (Value, error) {
	v, ok := f.Lookup(key)
	if !ok {
		return Value{}, &KeyError{File: f.Path, Key: key, Msg: "missing", Err: ErrMissingKey}
	}
	return v, nil
}

func (f *File) typeErr(key string, v Value, want string) error {
	got := v.Type.String()
	if v.Type == TypeArray {
		got = "array of " + v.ElemType.String()
	}
	return &KeyError{File: f.Path, Key: key, Msg: fmt.Sprintf("is %s, want %s", got, want)}
}
