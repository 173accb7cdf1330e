package remote_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/llmls/llmls/decoder/remote"
)

// Seeds: the wire examples of the engine tests, plus edge cases of the framings.
var fuzzSeeds = []string{
	vllmChunk("return", "") + vllmChunk(" a", "stop") + "data: [DONE]\n\n",
	lcppPiece1 + lcppPiece2 + lcppFinal,
	"error: {\"code\":400,\"message\":\"too long\"}\n\n",
	ollamaLine("a") + ollamaFinal,
	tgiToken(1, 2, "x", false) + tgiLast,
	"data:{\"error\":\"Input validation error\",\"error_type\":\"validation\"}\n\n",
	"\xef\xbb\xbf: comment\r\nevent: e\r\ndata: a\rdata: b\r\r",
	"data: {\"choices\":[{\"index\":0,\"text\":\"\\ud83d\"}]}\n",
	`{"response":"x","done":fals}`,
	`[{"generated_text":"a"}]`,
	"data: \x00\xff\n\n",
	"",
}

// FuzzReadSSE: any bytes give events or a framing error, never a panic, and the same result
// whether the bytes arrive at once or one at a time; every event starts on a line that exists.
func FuzzReadSSE(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := remote.ReadSSE(bytes.NewReader(data))
		evs1, err1 := remote.ReadSSE(iotest.OneByteReader(bytes.NewReader(data)))
		if !reflect.DeepEqual(evs, evs1) || fmt.Sprint(err) != fmt.Sprint(err1) {
			t.Fatalf("chunking changed the result:\n whole %+v %v\n bytes %+v %v", evs, err, evs1, err1)
		}
		checkLines(t, data, evs, err)
	})
}

// FuzzReadNDJSON is FuzzReadSSE for NDJSON.
func FuzzReadNDJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := remote.ReadNDJSON(bytes.NewReader(data))
		evs1, err1 := remote.ReadNDJSON(iotest.OneByteReader(bytes.NewReader(data)))
		if !reflect.DeepEqual(evs, evs1) || fmt.Sprint(err) != fmt.Sprint(err1) {
			t.Fatalf("chunking changed the result:\n whole %+v %v\n bytes %+v %v", evs, err, evs1, err1)
		}
		checkLines(t, data, evs, err)
	})
}

func checkLines(t *testing.T, data []byte, evs []remote.EventView, err error) {
	// A line ends at LF, CRLF or CR, so counting both CR and LF bounds the line count.
	maxLines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1
	last := 0
	for _, e := range evs {
		if e.Line < 1 || e.Line > maxLines || e.Line < last {
			t.Fatalf("event at line %d (previous %d, at most %d lines): %+v", e.Line, last, maxLines, evs)
		}
		last = e.Line
	}
	if err != nil {
		if line, ok := remote.FramingLine(err); !ok || line < 1 || line > maxLines {
			t.Fatalf("error %v: want a framing error with a line in [1, %d]", err, maxLines)
		}
	}
}

var contentTypes = []string{"text/event-stream", "application/x-ndjson", "application/json", ""}

// FuzzDecode: any body, for any kind and Content-Type, gives pieces or a typed error naming a
// line (*StreamError or *ServerError), never a panic, and chunking does not change it.
func FuzzDecode(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(uint8(i), uint8(i/4), []byte(s))
	}
	f.Fuzz(func(t *testing.T, kind, ct uint8, body []byte) {
		k := remote.Kinds[int(kind)%len(remote.Kinds)]
		typ := contentTypes[int(ct)%len(contentTypes)]
		pieces, st, err := remote.Decode(k, typ, bytes.NewReader(body))
		pieces1, st1, err1 := remote.Decode(k, typ, iotest.OneByteReader(bytes.NewReader(body)))
		if !reflect.DeepEqual(pieces, pieces1) || st != st1 || fmt.Sprint(err) != fmt.Sprint(err1) {
			t.Fatalf("chunking changed the result:\n whole %q %+v %v\n bytes %q %+v %v", pieces, st, err, pieces1, st1, err1)
		}
		if err == nil {
			return
		}
		var (
			se *remote.StreamError
			sv *remote.ServerError
		)
		switch {
		case errors.As(err, &se):
			if se.Line < 1 || se.Kind != k {
				t.Fatalf("StreamError without line or kind: %#v", se)
			}
		case errors.As(err, &sv):
			if sv.Line < 1 || sv.Kind != k || len(sv.Message) > 500+len("…") {
				t.Fatalf("bad ServerError: %#v", sv)
			}
		default:
			t.Fatalf("untyped error %T: %v", err, err)
		}
	})
}

// encodeStream writes pieces in kind k's wire format, as the engine would, ending the stream
// the engine's way; the last event reports 3 generated tokens.
func encodeStream(k remote.Kind, pieces []string) string {
	var b strings.Builder
	q := func(s string) string { j, _ := json.Marshal(s); return string(j) }
	for _, p := range pieces {
		switch k {
		case remote.KindOpenAI:
			fmt.Fprintf(&b, "data: {\"choices\":[{\"index\":0,\"text\":%s,\"finish_reason\":null}]}\n\n", q(p))
		case remote.KindLlamaCpp:
			fmt.Fprintf(&b, "data: {\"content\":%s,\"stop\":false}\r\n\r\n", q(p))
		case remote.KindOllama:
			fmt.Fprintf(&b, "{\"response\":%s,\"done\":false}\n", q(p))
		case remote.KindTGI:
			fmt.Fprintf(&b, "data:{\"token\":{\"id\":1,\"text\":%s,\"special\":false},\"generated_text\":null,\"details\":null}\n\n", q(p))
		}
	}
	switch k {
	case remote.KindOpenAI:
		b.WriteString("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n")
	case remote.KindLlamaCpp:
		b.WriteString("data: {\"content\":\"\",\"stop\":true,\"tokens_evaluated\":9,\"tokens_predicted\":3}\r\n\r\n")
	case remote.KindOllama:
		b.WriteString("{\"response\":\"\",\"done\":true,\"prompt_eval_count\":9,\"eval_count\":3}\n")
	case remote.KindTGI:
		b.WriteString("data:{\"token\":{\"id\":2,\"text\":\"</s>\",\"special\":true},\"generated_text\":\"\",\"details\":{\"generated_tokens\":3,\"input_length\":9}}\n\n")
	}
	return b.String()
}

// FuzzRoundTrip: pieces written in each engine's format come back exactly (after JSON's own
// replacement of invalid UTF-8), with the reported counts.
func FuzzRoundTrip(f *testing.F) {
	f.Add("return", " a + b", "\n}")
	f.Add("", "data: x\n\n", "\r\n")
	f.Add("\u2028", "\x00", "\xff\xfe")
	f.Add("[DONE]", "</s>", "\"}")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		var want []string
		for _, p := range []string{a, b, c} {
			var norm string
			j, _ := json.Marshal(p)
			json.Unmarshal(j, &norm)
			if norm != "" {
				want = append(want, norm)
			}
		}
		for _, k := range remote.Kinds {
			body := encodeStream(k, []string{a, b, c})
			got, st, err := remote.Decode(k, "", strings.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v\nbody %q", k, err, body)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: pieces %q, want %q", k, got, want)
			}
			if st.PromptTokens != 9 || st.GeneratedTokens != 3 {
				t.Fatalf("%s: stats %+v", k, st)
			}
		}
	})
}
