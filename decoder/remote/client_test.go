package remote_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/llmls/llmls/decoder/remote"
)

// cancelBudget is how soon Complete must return after ctx is cancelled. The transport aborts
// the blocked read at once (well under 1 ms here); the margin is for a loaded 2-core CI box.
const cancelBudget = 50 * time.Millisecond

// piece is one streamed piece "x" in each kind's wire format, and the path each kind posts to.
var wire = map[remote.Kind]struct {
	path, contentType, piece string
}{
	remote.KindOpenAI:   {"/v1/completions", "text/event-stream", vllmChunk("x", "")},
	remote.KindLlamaCpp: {"/completion", "text/event-stream", `data: {"content":"x","stop":false}` + "\n\n"},
	remote.KindOllama:   {"/api/generate", "application/x-ndjson", `{"response":"x","done":false}` + "\n"},
	remote.KindTGI:      {"/generate_stream", "text/event-stream", tgiToken(1, 5, "x", false)},
}

// slowServer streams one piece every gap until the client goes away, and closes gone then.
func slowServer(t *testing.T, k remote.Kind, delayHeaders, gap time.Duration) (*httptest.Server, chan struct{}) {
	gone := make(chan struct{})
	w := wire[k]
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		defer close(gone)
		io.Copy(io.Discard, r.Body)
		select {
		case <-time.After(delayHeaders):
		case <-r.Context().Done():
			return
		}
		rw.Header().Set("Content-Type", w.contentType)
		for {
			io.WriteString(rw, w.piece)
			rw.(http.Flusher).Flush()
			select {
			case <-time.After(gap):
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, gone
}

func request() remote.Request { return remote.Request{Prompt: "p", MaxTokens: 16} }

func TestCancelSlowStream(t *testing.T) {
	for _, k := range remote.Kinds {
		for _, sc := range []struct {
			name         string
			delayHeaders time.Duration // server "evaluating the prompt" before answering
			afterPiece   bool          // cancel after the first piece, else before any header
		}{
			{"after first piece", 0, true},
			{"before headers", 10 * time.Second, false},
		} {
			t.Run(string(k)+"/"+sc.name, func(t *testing.T) {
				srv, gone := slowServer(t, k, sc.delayHeaders, 10*time.Second)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				var cancelled atomic.Int64
				cancelSoon := func() {
					time.AfterFunc(20*time.Millisecond, func() {
						cancelled.Store(time.Now().UnixNano())
						cancel()
					})
				}
				if !sc.afterPiece {
					cancelSoon()
				}
				cl := &remote.Client{Kind: k, Endpoint: srv.URL, Model: "m"}
				n := 0
				_, err := cl.Complete(ctx, request(), func(p string) bool {
					n++
					if n == 1 && sc.afterPiece {
						cancelSoon()
					}
					return true
				})
				took := time.Since(time.Unix(0, cancelled.Load()))
				if err != context.Canceled {
					t.Fatalf("err = %v (%T), want context.Canceled itself", err, err)
				}
				if want := map[bool]int{true: 1, false: 0}[sc.afterPiece]; n != want {
					t.Errorf("%d pieces, want %d", n, want)
				}
				t.Logf("returned %v after cancel", took)
				if took > cancelBudget {
					t.Errorf("Complete returned %v after cancel, budget %v", took, cancelBudget)
				}
				select {
				case <-gone:
				case <-time.After(2 * time.Second):
					t.Errorf("server still streaming 2s after cancel")
				}
			})
		}
	}
}

func TestDeadline(t *testing.T) {
	srv, _ := slowServer(t, remote.KindOllama, 0, 10*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	cl := &remote.Client{Kind: remote.KindOllama, Endpoint: srv.URL, Model: "m"}
	st, err := cl.Complete(ctx, request(), func(string) bool { return true })
	if err != context.DeadlineExceeded {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if st.FirstPieceMs <= 0 || st.TotalMs < 50 {
		t.Errorf("stats %+v: want a first piece and TotalMs >= 50", st)
	}
}

func TestEmitFalseStops(t *testing.T) {
	for _, k := range remote.Kinds {
		t.Run(string(k), func(t *testing.T) {
			srv, gone := slowServer(t, k, 0, 2*time.Millisecond)
			cl := &remote.Client{Kind: k, Endpoint: srv.URL, Model: "m"}
			var pieces []string
			_, err := cl.Complete(t.Context(), request(), func(p string) bool {
				pieces = append(pieces, p)
				return len(pieces) < 3
			})
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if strings.Join(pieces, "") != "xxx" {
				t.Errorf("pieces = %q, want 3 × \"x\"", pieces)
			}
			select {
			case <-gone: // the body was closed, so the server saw the client leave
			case <-time.After(2 * time.Second):
				t.Errorf("server still streaming 2s after emit returned false")
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, k := range remote.Kinds {
		t.Run(string(k), func(t *testing.T) {
			cl := &remote.Client{Kind: k, Endpoint: "http://" + addr, Model: "m", APIKey: "sk-hidden"}
			_, err := cl.Complete(t.Context(), request(), func(string) bool { return true })
			var ce *remote.ConnError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *ConnError", err, err)
			}
			want := fmt.Sprintf("remote: cannot connect to the %s server at http://%s%s (is the server running?)", k, addr, wire[k].path)
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n %q\nwant prefix\n %q", err, want)
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("errors.Is(err, ECONNREFUSED) = false for %v", err)
			}
			if strings.Contains(err.Error(), "sk-hidden") {
				t.Errorf("error leaks the API key: %v", err)
			}
			if err := cl.Check(t.Context()); !errors.As(err, &ce) {
				t.Errorf("Check: %v, want *ConnError", err)
			}
		})
	}
}

func TestHTTPErrorTruncated(t *testing.T) {
	long := strings.Repeat("é", 400) // 800 bytes, cut must not split a rune
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		fmt.Fprintf(w, `{"error":%q}`, long)
	}))
	defer srv.Close()
	cl := &remote.Client{Kind: remote.KindTGI, Endpoint: srv.URL}
	_, err := cl.Complete(t.Context(), request(), func(string) bool { return true })
	var he *remote.HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want *HTTPError", err)
	}
	if he.StatusCode != 500 || he.URL != srv.URL+"/generate_stream" {
		t.Errorf("StatusCode %d URL %q", he.StatusCode, he.URL)
	}
	want := strings.Repeat("é", 250) + "…" // 500 bytes of message, then the mark
	if he.Message != want {
		t.Errorf("Message is %d bytes %q…, want %d bytes", len(he.Message), he.Message[:20], len(want))
	}
}

func TestCheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":401}}`)
			return
		}
		io.WriteString(w, `{"object":"list","data":[{"id":"Qwen/Qwen2.5-Coder-7B","object":"model","created":1,"owned_by":"vllm","root":"Qwen/Qwen2.5-Coder-7B","max_model_len":32768},`+
			`{"id":"Qwen/Qwen2.5-Coder-1.5B","object":"model","created":1,"owned_by":"vllm"}]}`)
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"models":[{"name":"qwen2.5-coder:1.5b-base","model":"qwen2.5-coder:1.5b-base","modified_at":"2024-10-01T00:00:00Z","size":986061892,"digest":"abc"},`+
			`{"name":"llama3:latest","model":"llama3:latest","size":4661224676,"digest":"def"}]}`)
	})
	mux.HandleFunc("GET /info", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"model_id":"bigcode/starcoder2-3b","model_dtype":"torch.float16","max_input_tokens":4095,"max_total_tokens":4096,"version":"2.4.0"}`)
	})
	ok := httptest.NewServer(mux)
	defer ok.Close()
	loading := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			t.Errorf("path %s, want /health", r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(503)
		io.WriteString(w, `{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`)
	}))
	defer loading.Close()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer healthy.Close()

	for _, c := range []struct {
		name    string
		client  remote.Client
		wantErr string
	}{
		{"openai model served", remote.Client{Kind: remote.KindOpenAI, Endpoint: ok.URL, Model: "Qwen/Qwen2.5-Coder-1.5B", APIKey: "k"}, ""},
		{"openai any model", remote.Client{Kind: remote.KindOpenAI, Endpoint: ok.URL + "/v1/", APIKey: "k"}, ""},
		{"openai model not served", remote.Client{Kind: remote.KindOpenAI, Endpoint: ok.URL, Model: "gpt-4", APIKey: "k"},
			`model "gpt-4" is not served (served: Qwen/Qwen2.5-Coder-7B, Qwen/Qwen2.5-Coder-1.5B)`},
		{"openai bad key", remote.Client{Kind: remote.KindOpenAI, Endpoint: ok.URL, APIKey: "wrong"}, "401 Unauthorized: Invalid API Key"},
		{"llamacpp healthy", remote.Client{Kind: remote.KindLlamaCpp, Endpoint: healthy.URL}, ""},
		{"llamacpp loading", remote.Client{Kind: remote.KindLlamaCpp, Endpoint: loading.URL}, "503 Service Unavailable: Loading model"},
		{"ollama tagged", remote.Client{Kind: remote.KindOllama, Endpoint: ok.URL, Model: "qwen2.5-coder:1.5b-base"}, ""},
		{"ollama untagged means latest", remote.Client{Kind: remote.KindOllama, Endpoint: ok.URL, Model: "llama3"}, ""},
		{"ollama not pulled", remote.Client{Kind: remote.KindOllama, Endpoint: ok.URL, Model: "codellama"},
			`model "codellama" is not pulled (have: qwen2.5-coder:1.5b-base, llama3:latest); run ` + "`ollama pull codellama`"},
		{"ollama no model", remote.Client{Kind: remote.KindOllama, Endpoint: ok.URL}, "Client.Model is empty"},
		{"tgi", remote.Client{Kind: remote.KindTGI, Endpoint: ok.URL}, ""},
		{"tgi wrong server", remote.Client{Kind: remote.KindTGI, Endpoint: healthy.URL}, "the answer has no model_id; is this a TGI server?"},
		{"unknown kind", remote.Client{Kind: "kobold", Endpoint: ok.URL}, `unknown engine kind "kobold"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.client.Check(t.Context())
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("Check: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("Check: %v, want an error containing %q", err, c.wantErr)
			}
		})
	}
}

func TestRequestValidation(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, c := range []struct {
		name    string
		client  remote.Client
		req     remote.Request
		wantErr string
	}{
		{"zero MaxTokens", remote.Client{Kind: remote.KindOpenAI}, remote.Request{Prompt: "p"}, "openai: MaxTokens is 0, want > 0"},
		{"negative MaxTokens", remote.Client{Kind: remote.KindTGI}, remote.Request{Prompt: "p", MaxTokens: -1}, "tgi: MaxTokens is -1, want > 0"},
		{"unknown kind", remote.Client{Kind: "vllm"}, request(), `remote: unknown engine kind "vllm"`},
		{"bad endpoint", remote.Client{Kind: remote.KindTGI, Endpoint: "http://[::1"}, request(), "tgi: bad endpoint"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.client.Endpoint == "" {
				c.client.Endpoint = srv.URL
			}
			_, err := c.client.Complete(t.Context(), c.req, func(string) bool { return true })
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, c.wantErr)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests reached the server; invalid requests must not be sent", n)
	}
}

func TestParseKind(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    remote.Kind
		wantErr bool
	}{
		{"openai", remote.KindOpenAI, false},
		{" LlamaCpp ", remote.KindLlamaCpp, false},
		{"OLLAMA", remote.KindOllama, false},
		{"tgi", remote.KindTGI, false},
		{"llama.cpp", "", true},
		{"", "", true},
	} {
		got, err := remote.ParseKind(c.in)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("ParseKind(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "openai, llamacpp, ollama, tgi") {
			t.Errorf("ParseKind(%q) error %q does not list the kinds", c.in, err)
		}
	}
}

func TestClientStringHidesSecrets(t *testing.T) {
	c := &remote.Client{Kind: remote.KindOpenAI, Endpoint: "https://user:hunter2@gpu.example.com/v1?api-key=q123", Model: "m", APIKey: "sk-abc"}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c)} {
		for _, secret := range []string{"hunter2", "q123", "sk-abc"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows %q", s, secret)
			}
		}
		if !strings.Contains(s, "openai https://user:xxxxx@gpu.example.com/v1 model=m (API key set)") {
			t.Errorf("%q does not describe the client", s)
		}
	}
	d := &remote.Client{Kind: remote.KindOllama}
	if got := d.String(); got != "ollama http://127.0.0.1:11434" {
		t.Errorf("default endpoint: String() = %q", got)
	}
}

func TestStreamBrokenMidway(t *testing.T) {
	for _, k := range remote.Kinds {
		t.Run(string(k), func(t *testing.T) {
			w := wire[k]
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", w.contentType)
				io.WriteString(rw, w.piece)
				rw.(http.Flusher).Flush()
				panic(http.ErrAbortHandler) // drops the connection without ending the chunked body
			}))
			defer srv.Close()
			cl := &remote.Client{Kind: k, Endpoint: srv.URL, Model: "m"}
			n := 0
			_, err := cl.Complete(t.Context(), request(), func(string) bool { n++; return true })
			var ce *remote.ConnError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "request to "+srv.URL+w.path+" failed: unexpected EOF") {
				t.Errorf("err = %v (%T), want a *ConnError for the broken stream", err, err)
			}
			if n != 1 {
				t.Errorf("%d pieces before the break, want 1", n)
			}
		})
	}
}
