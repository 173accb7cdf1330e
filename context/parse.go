package codectx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	sitter "github.com/smacker/go-tree-sitter"
)

// Errors about documents and parsing, for errors.Is.
var (
	// ErrParseBudget: a parse did not finish within its time budget (or was cancelled); the
	// document is treated as plain text.
	ErrParseBudget = errors.New("codectx: parse exceeded its time budget")
	// ErrTooLarge: the document is larger than Options.MaxParseBytes and is not parsed.
	ErrTooLarge = errors.New("codectx: document too large to parse")
	// ErrNotOpen: Change for a URI that is not open.
	ErrNotOpen = errors.New("codectx: document not open")
	// ErrBadEdit: an Edit's range is invalid or the edits do not produce the new text.
	ErrBadEdit = errors.New("codectx: bad edit")
	// ErrBadOffset: a cursor offset outside [0, len(text)].
	ErrBadOffset = errors.New("codectx: offset out of range")
)

// ParseError says that a document could not be parsed and is used as plain text (no tree)
// until a later change makes parsing worth another try. It is informational: the document
// is open and its text is current.
type ParseError struct {
	URI      string
	Language string        // Language.Name
	Bytes    int           // length of the text that failed, bytes
	Budget   time.Duration // the time budget of the parse; 0 means none
	Err      error         // ErrParseBudget, ErrTooLarge or the binding's error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("codectx: parse %s (%s, %d bytes, budget %v): %v; using plain text",
		e.URI, e.Language, e.Bytes, e.Budget, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// parsers are reused across documents: a sitter.Parser owns C state that is expensive to
// make (and is not safe for concurrent use, so each parse takes one from the pool).
var parsers = sync.Pool{New: func() any { return sitter.NewParser() }}

// parseText parses text with lang's grammar, reusing old (already edited to match text)
// when it is not nil. budget limits the parse's wall time through tree-sitter's own timeout
// (ts_parser_set_timeout_micros, checked every 100 operations); 0 means no limit. The
// error wraps ErrParseBudget when the budget ran out or ctx was cancelled.
func parseText(ctx context.Context, lang *Language, text string, old *sitter.Tree, budget time.Duration) (*sitter.Tree, error) {
	sl := lang.sitterLanguage()
	if sl == nil {
		return nil, fmt.Errorf("codectx: %s has no grammar", lang.Name)
	}
	p := parsers.Get().(*sitter.Parser)
	p.SetLanguage(sl)
	micros := 0
	if budget > 0 {
		micros = max(int(budget.Microseconds()), 1)
	}
	p.SetOperationLimit(micros)
	// The binding copies the bytes into C memory before parsing, so the string's bytes are
	// only read.
	src := unsafe.Slice(unsafe.StringData(text), len(text))
	t, err := p.ParseCtx(ctx, old, src)
	if err != nil || t == nil {
		// A halted parse keeps its state to resume on the next call; we never resume.
		p.Reset()
		parsers.Put(p)
		if err == nil {
			err = errors.New("no tree")
		}
		return nil, fmt.Errorf("%w: %w", ErrParseBudget, err)
	}
	parsers.Put(p)
	return t, nil
}
