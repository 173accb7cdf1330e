package lora

import (
	"errors"
	"fmt"
)

// Kinds of adapter errors, wrapped by every *Error (test with errors.Is).
var (
	// ErrFormat: the bytes are not a valid adapter (truncated file, bad JSON, bad header,
	// a tensor whose size disagrees with its shape, NaN or Inf values, a missing A or B half).
	ErrFormat = errors.New("lora: invalid adapter")
	// ErrUnsupported: a valid adapter using a feature llmls does not implement (DoRA, LoRA
	// biases, embedding adapters, full modules_to_save weights, PyTorch pickles, aLoRA).
	ErrUnsupported = errors.New("lora: unsupported adapter feature")
	// ErrMismatch: a valid adapter that does not fit the base model it is applied to
	// (another architecture, a tensor the base lacks, another shape).
	ErrMismatch = errors.New("lora: adapter does not fit the base model")
)

// Error reports an adapter that cannot be read or applied: what is wrong (Msg) and where
// (File, and the Tensor, config Key or byte Offset at fault when known). Kind is one of
// ErrFormat, ErrUnsupported or ErrMismatch; Err an underlying cause, or nil.
type Error struct {
	File   string // the file at fault: adapter_config.json, adapter_model.safetensors, the GGUF adapter, or the base model
	Tensor string // tensor name as the file spells it, or ""
	Key    string // config or metadata key, or ""
	Offset int64  // byte offset in File, or -1 when not about a position
	Msg    string
	Kind   error
	Err    error
}

func (e *Error) Error() string {
	where := e.File
	if e.Offset >= 0 {
		where += fmt.Sprintf(" (byte %d)", e.Offset)
	}
	switch {
	case e.Tensor != "":
		where += fmt.Sprintf(": tensor %q", e.Tensor)
	case e.Key != "":
		where += fmt.Sprintf(": key %q", e.Key)
	}
	kind := "invalid adapter"
	switch e.Kind {
	case ErrUnsupported:
		kind = "unsupported"
	case ErrMismatch:
		kind = "does not fit the base model"
	}
	msg := fmt.Sprintf("lora: %s: %s: %s", where, kind, e.Msg)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the kind and the cause, so errors.Is matches both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// formatErr, unsupportedErr and mismatchErr build an *Error about a tensor (or "").
func formatErr(file, tensor, format string, a ...any) *Error {
	return &Error{File: file, Tensor: tensor, Offset: -1, Msg: fmt.Sprintf(format, a...), Kind: ErrFormat}
}

func unsupportedErr(file, tensor, format string, a ...any) *Error {
	return &Error{File: file, Tensor: tensor, Offset: -1, Msg: fmt.Sprintf(format, a...), Kind: ErrUnsupported}
}

func mismatchErr(file, tensor, format string, a ...any) *Error {
	return &Error{File: file, Tensor: tensor, Offset: -1, Msg: fmt.Sprintf(format, a...), Kind: ErrMismatch}
}
