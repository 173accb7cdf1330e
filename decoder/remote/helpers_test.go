package remote_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/llmls/llmls/decoder/remote"
)

// engineCase is one exchange with a fake engine: what the client must send and what the
// server answers, written as the engine's documentation shows it.
type engineCase struct {
	name     string
	model    string
	endpoint string // appended to the fake server's URL, e.g. "/v1"
	req      remote.Request
	header   http.Header // headers the request must carry, nil for none

	wantPath string // path the client must post to
	wantBody string // JSON the client must send (compared as values)

	status      int    // 0 means 200
	contentType string // Content-Type of the answer
	frames      []string

	wantPieces []string
	wantStats  remote.Stats // token counts only; times are checked for sanity
	wantErr    string       // substring of the error; "" for success
	wantLine   int          // line in a *StreamError or *ServerError
	wantStatus int          // status in an *HTTPError
}

// fakeServer answers every request with c's frames, each written and flushed on its own, and
// fails t when the request differs from c's expectations.
func fakeServer(t *testing.T, c engineCase) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method = %s, want POST", r.Method)
		}
		if r.URL.Path != c.wantPath {
			t.Errorf("path = %s, want %s", r.URL.Path, c.wantPath)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("request Content-Type = %q, want application/json", ct)
		}
		for k, v := range c.header {
			if got := r.Header.Values(k); !reflect.DeepEqual(got, v) {
				t.Errorf("header %s = %q, want %q", k, got, v)
			}
		}
		body, _ := io.ReadAll(r.Body)
		if c.wantBody != "" {
			assertJSONEqual(t, body, c.wantBody)
		}
		if c.contentType != "" {
			w.Header().Set("Content-Type", c.contentType)
		}
		if c.status != 0 {
			w.WriteHeader(c.status)
		}
		for _, f := range c.frames {
			io.WriteString(w, f)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("request body is not JSON: %v\n%s", err, got)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad wantBody in test: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("request body\n got  %s\n want %s", got, want)
	}
}

// runEngineCases runs each case against a fresh fake server of kind k.
func runEngineCases(t *testing.T, k remote.Kind, cases []engineCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := fakeServer(t, c)
			cl := &remote.Client{Kind: k, Endpoint: srv.URL + c.endpoint, Model: c.model}
			if auth := c.header.Get("Authorization"); auth != "" {
				cl.APIKey = strings.TrimPrefix(auth, "Bearer ")
			}
			var pieces []string
			st, err := cl.Complete(context.Background(), c.req, func(p string) bool {
				pieces = append(pieces, p)
				return true
			})
			checkErr(t, err, c)
			if c.wantErr != "" {
				return
			}
			if !reflect.DeepEqual(pieces, c.wantPieces) {
				t.Errorf("pieces = %q, want %q", pieces, c.wantPieces)
			}
			got := remote.Stats{PromptTokens: st.PromptTokens, CachedTokens: st.CachedTokens, GeneratedTokens: st.GeneratedTokens}
			if got != c.wantStats {
				t.Errorf("stats = %+v, want %+v", got, c.wantStats)
			}
			if st.TotalMs <= 0 || st.FirstPieceMs < 0 || st.FirstPieceMs > st.TotalMs || (len(pieces) > 0) != (st.FirstPieceMs > 0) {
				t.Errorf("times: FirstPieceMs %v, TotalMs %v with %d pieces", st.FirstPieceMs, st.TotalMs, len(pieces))
			}
		})
	}
}

func checkErr(t *testing.T, err error, c engineCase) {
	t.Helper()
	if c.wantErr == "" {
		if err != nil {
			t.Fatalf("Complete: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Complete: no error, want one containing %q", c.wantErr)
	}
	if !strings.Contains(err.Error(), c.wantErr) {
		t.Errorf("error %q does not contain %q", err, c.wantErr)
	}
	var (
		se  *remote.StreamError
		sv  *remote.ServerError
		he  *remote.HTTPError
		ln  int
		lok bool
	)
	switch {
	case errors.As(err, &se):
		ln, lok = se.Line, true
	case errors.As(err, &sv):
		ln, lok = sv.Line, true
	}
	if c.wantLine != 0 && (!lok || ln != c.wantLine) {
		t.Errorf("error %q: line %d (has line: %v), want line %d", err, ln, lok, c.wantLine)
	}
	if c.wantStatus != 0 {
		if !errors.As(err, &he) || he.StatusCode != c.wantStatus {
			t.Errorf("error %q (%T): want *HTTPError with status %d", err, err, c.wantStatus)
		}
	}
}
