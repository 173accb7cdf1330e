package decoder

import (
	"errors"
	"fmt"

	"github.com/llmls/llmls/decoder/gguf"
)

// ModelError reports a model file the decoder cannot run: what is wrong (Msg) and where
// (File, and the metadata Key or Tensor name when one is at fault).
type ModelError struct {
	File   string // path or name of the GGUF file
	Key    string // metadata key at fault, or ""
	Tensor string // tensor at fault, or ""
	Msg    string
	Err    error // underlying error, or nil
}

func (e *ModelError) Error() string {
	where := ""
	switch {
	case e.Tensor != "":
		where = fmt.Sprintf(" tensor %q:", e.Tensor)
	case e.Key != "":
		where = fmt.Sprintf(" metadata %q:", e.Key)
	}
	msg := e.Msg
	var ke *gguf.KeyError
	if msg == "" && errors.As(e.Err, &ke) {
		// The key error's own text repeats the file and key.
		msg = ke.Msg
	} else if e.Err != nil {
		if msg != "" {
			msg += ": "
		}
		msg += e.Err.Error()
	}
	return fmt.Sprintf("decoder: %s:%s %s", e.File, where, msg)
}

func (e *ModelError) Unwrap() error { return e.Err }

// Errors of sessions and generation.
var (
	// ErrContextFull is wrapped by errors of calls that would store more tokens in a
	// session than its context length.
	ErrContextFull = errors.New("decoder: context full")
	// ErrBadToken is wrapped by errors about a token id outside [0, NVocab).
	ErrBadToken = errors.New("decoder: token id out of range")
)
