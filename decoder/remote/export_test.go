package remote

import (
	"errors"
	"io"
	"net/http"
)

// EventView is a copy of an event for tests.
type EventView struct {
	Line       int
	Name, Data string
}

func collect(read func(io.Reader, func(event) (bool, error)) error, r io.Reader) ([]EventView, error) {
	var evs []EventView
	err := read(r, func(ev event) (bool, error) {
		evs = append(evs, EventView{ev.line, ev.name, string(ev.data)})
		return true, nil
	})
	return evs, err
}

// ReadSSE returns the events readSSE delivers from r.
func ReadSSE(r io.Reader) ([]EventView, error) { return collect(readSSE, r) }

// ReadNDJSON returns the lines readNDJSON delivers from r.
func ReadNDJSON(r io.Reader) ([]EventView, error) { return collect(readNDJSON, r) }

// FramingLine reports the line of a framing error from ReadSSE or ReadNDJSON.
func FramingLine(err error) (int, bool) {
	var le *lineError
	if errors.As(err, &le) {
		return le.line, true
	}
	return 0, false
}

// MaxLine is the longest stream line accepted, in bytes.
const MaxLine = maxLine

// Decode runs a response body through kind k's decoder the way Complete does, returning the
// non-empty pieces.
func Decode(k Kind, contentType string, body io.Reader) ([]string, Stats, error) {
	c := &Client{Kind: k}
	resp := &http.Response{Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(body)}
	var pieces []string
	var st Stats
	err := c.readResponse(resp, "http://test", engineOf(k), &st, func(p string) bool {
		if p != "" {
			pieces = append(pieces, p)
		}
		return true
	})
	return pieces, st, err
}
