package remote_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/llmls/llmls/decoder/remote"
)

type ev = remote.EventView

func TestReadSSE(t *testing.T) {
	for _, c := range []struct {
		name     string
		in       string
		want     []ev
		wantLine int // line of a framing error, 0 for none
	}{
		{"one event", "data: {\"a\":1}\n\n", []ev{{1, "", `{"a":1}`}}, 0},
		{"no space after colon (axum)", "data:{\"a\":1}\n\n", []ev{{1, "", `{"a":1}`}}, 0},
		{"only one space is dropped", "data:  x\n\n", []ev{{1, "", " x"}}, 0},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []ev{{1, "", "a"}, {3, "", "b"}}, 0},
		{"lone CR", "data: a\r\rdata: b\r\r", []ev{{1, "", "a"}, {3, "", "b"}}, 0},
		{"multi-line data joined with LF", "data: a\ndata: b\n\n", []ev{{1, "", "a\nb"}}, 0},
		{"empty data line", "data:\n\n", []ev{{1, "", ""}}, 0},
		{"comments, id and retry ignored", ": ping\nid: 7\nretry: 100\ndata: x\n\n", []ev{{4, "", "x"}}, 0},
		{"BOM dropped", "\xef\xbb\xbfdata: x\n\n", []ev{{1, "", "x"}}, 0},
		{"event name", "event: error\ndata: {\"message\":\"m\"}\n\n", []ev{{2, "error", `{"message":"m"}`}}, 0},
		{"name resets after dispatch", "event: e\ndata: a\n\ndata: b\n\n", []ev{{2, "e", "a"}, {4, "", "b"}}, 0},
		{"blank lines alone dispatch nothing", "\n\n\ndata: x\n\n\n", []ev{{4, "", "x"}}, 0},
		{"pending event dispatched at EOF", "data: a\n\ndata: [DONE]", []ev{{1, "", "a"}, {3, "", "[DONE]"}}, 0},
		{"llama.cpp error field", "data: a\n\nerror: {\"code\":500}\n\n", []ev{{1, "", "a"}, {3, "error", `{"code":500}`}}, 0},
		{"unknown field", "data: a\n\n{\"content\":\"x\"}\n", []ev{{1, "", "a"}}, 3},
		{"field without colon", "data: a\n\nhello\n", []ev{{1, "", "a"}}, 3},
		{"empty input", "", nil, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := remote.ReadSSE(strings.NewReader(c.in))
			checkFraming(t, got, err, c.want, c.wantLine)
			// The result cannot depend on how the bytes arrive.
			got1, err1 := remote.ReadSSE(iotest.OneByteReader(strings.NewReader(c.in)))
			if !reflect.DeepEqual(got1, got) || (err1 == nil) != (err == nil) {
				t.Errorf("byte-at-a-time: %v, %v; whole: %v, %v", got1, err1, got, err)
			}
		})
	}
}

func TestReadNDJSON(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []ev
	}{
		{"lines", "{\"a\":1}\n{\"b\":2}\n", []ev{{1, "", `{"a":1}`}, {2, "", `{"b":2}`}}},
		{"CRLF and blank lines", "{\"a\":1}\r\n\r\n  \n{\"b\":2}", []ev{{1, "", `{"a":1}`}, {4, "", `{"b":2}`}}},
		{"empty", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := remote.ReadNDJSON(iotest.HalfReader(strings.NewReader(c.in)))
			checkFraming(t, got, err, c.want, 0)
		})
	}
}

func TestLineTooLong(t *testing.T) {
	long := strings.Repeat("x", remote.MaxLine+1)
	for _, c := range []struct {
		name string
		read func(string) ([]ev, error)
	}{
		{"sse", func(s string) ([]ev, error) { return remote.ReadSSE(strings.NewReader(s)) }},
		{"ndjson", func(s string) ([]ev, error) { return remote.ReadNDJSON(strings.NewReader(s)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.read("data: a\n\ndata: " + long + "\n")
			if line, ok := remote.FramingLine(err); !ok || line != 3 || !strings.Contains(err.Error(), "line longer than") {
				t.Errorf("err = %.100v, want line 3 too long", err)
			}
		})
	}
}

func checkFraming(t *testing.T, got []ev, err error, want []ev, wantLine int) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events\n got  %+v\n want %+v", got, want)
	}
	line, ok := remote.FramingLine(err)
	switch {
	case wantLine == 0 && err != nil:
		t.Errorf("error %v", err)
	case wantLine != 0 && (!ok || line != wantLine):
		t.Errorf("error %v at line %d, want a framing error at line %d", err, line, wantLine)
	}
}

// TestDecodeErrorsName checks the errors of every kind through one path: they are typed and
// carry the line.
func TestDecodeErrorsName(t *testing.T) {
	_, _, err := remote.Decode(remote.KindTGI, "text/event-stream", strings.NewReader("data:{}\n\ndata:{\"token\":{\"text\":1}}\n\n"))
	var se *remote.StreamError
	if !errors.As(err, &se) || se.Line != 1 || se.Kind != remote.KindTGI || se.URL != "http://test" {
		t.Errorf("err = %v, want a *StreamError at line 1", err)
	}
}
