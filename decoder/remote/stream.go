package remote

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// event is one unit of a stream: the data of one server-sent event, or one NDJSON line.
type event struct {
	line int    // line of the body where the event starts, from 1
	name string // SSE event type: "" for the default "message", "error" for an error event
	data []byte // the payload (SSE data lines joined with "\n"); valid only during the callback
}

// lineError is a framing error at a line; Client turns it into a *StreamError.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

var errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLine)

// readSSE reads server-sent events from r and calls fn with each, until fn returns false or
// an error, or r ends. It follows the WHATWG parsing rules
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// lines end in LF, CRLF or CR; a leading BOM is dropped; ":" starts a comment; one space after
// the field's colon is dropped; consecutive "data" lines join with "\n"; a blank line
// dispatches the event; "id" and "retry" are ignored. Two departures, both for engines:
//
//   - llama.cpp's server reports a failure mid-stream as a line "error: {json}" (its
//     server_sent_event(sink, "error", ...)); that line is delivered at once as an event
//     named "error";
//   - any other field name is an error (*lineError), not silently ignored, so that a body
//     in another protocol is reported where it goes wrong; and an event still pending at
//     EOF is dispatched, for servers that close right after their last data line.
//
// It returns nil at EOF, fn's error, a *lineError, or r's error.
func readSSE(r io.Reader, fn func(event) (bool, error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	sc.Split(scanSSELines)
	var (
		data    []byte
		hasData bool
		name    string
		start   int
		n       int
	)
	dispatch := func() (bool, error) {
		if !hasData {
			name = ""
			return true, nil
		}
		ev := event{line: start, name: name, data: bytes.TrimSuffix(data, []byte("\n"))}
		data, hasData, name = data[:0], false, ""
		return fn(ev)
	}
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(line) == 0 {
			more, err := dispatch()
			if err != nil || !more {
				return err
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		switch string(field) {
		case "data":
			if !hasData {
				start = n
				hasData = true
			}
			data = append(data, value...)
			data = append(data, '\n')
		case "event":
			name = string(value)
		case "id", "retry":
		case "error":
			more, err := fn(event{line: n, name: "error", data: value})
			if err != nil || !more {
				return err
			}
		default:
			return &lineError{line: n, err: fmt.Errorf("not a server-sent event field: %q", truncate(string(line), 80))}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &lineError{line: n + 1, err: errLineTooLong}
		}
		return err
	}
	_, err := dispatch()
	return err
}

// scanSSELines is a bufio.SplitFunc for the SSE line endings: LF, CRLF or a lone CR.
func scanSSELines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\n' {
			return i + 1, data[:i], nil
		}
		switch {
		case i+1 < len(data) && data[i+1] == '\n':
			return i + 2, data[:i], nil
		case i+1 < len(data) || atEOF:
			return i + 1, data[:i], nil
		}
		// A CR at the end of what has arrived: wait to see whether LF follows.
		return 0, nil, nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// readNDJSON reads newline-delimited JSON (https://github.com/ndjson/ndjson-spec): it calls
// fn with each non-blank line, a trailing CR removed, until fn returns false or an error, or
// r ends. The lines are not parsed here. It returns nil at EOF, fn's error, a *lineError for
// a line longer than maxLine, or r's error.
func readNDJSON(r io.Reader, fn func(event) (bool, error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		more, err := fn(event{line: n, data: line})
		if err != nil || !more {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &lineError{line: n + 1, err: errLineTooLong}
		}
		return err
	}
	return nil
}
