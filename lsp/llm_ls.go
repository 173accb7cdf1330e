package lsp

// llm-ls compatibility: the custom requests of huggingface/llm-ls, so that llm.nvim and
// llm-vscode users can switch by changing the binary.
// Shapes from llm-ls crates/custom-types/src/llm_ls.rs (GetCompletionsParams,
// GetCompletionsResult, AcceptCompletionParams, RejectCompletionParams).
//
// llm-ls/getCompletions takes TextDocumentPositionParams flattened with llm-ls's own backend
// settings (model, backend, url, fim, tokensToClear, ...), which this server ignores: the model
// comes from initializationOptions / didChangeConfiguration. The result is plain text inserted
// at the cursor, so an engine item that replaces text is turned into an insertion where it
// can be (its replaced text around the cursor is a prefix and suffix of its text) and dropped
// where it cannot. Error policy as for inline completion: errors are logged, the answer is an
// empty list; only undecodable params (-32602) and cancellation (-32800) are errors.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
)

const (
	methodLLMLSGetCompletions   = "llm-ls/getCompletions"
	methodLLMLSAcceptCompletion = "llm-ls/acceptCompletion"
	methodLLMLSRejectCompletion = "llm-ls/rejectCompletion"
)

// llmLSResult is llm-ls's GetCompletionsResult.
type llmLSResult struct {
	RequestID   string            `json:"request_id"`
	Completions []llmLSCompletion `json:"completions"`
}

type llmLSCompletion struct {
	GeneratedText string `json:"generated_text"`
}

// llmLSRequests remembers the item IDs of recent getCompletions answers, for acceptCompletion.
type llmLSRequests struct {
	mu    sync.Mutex // guards the fields below
	items map[string][]string
	order []string // oldest first
}

// llmLSRemembered bounds llmLSRequests: a client accepts one of the last few answers.
const llmLSRemembered = 64

func newLLMLSRequests() *llmLSRequests { return &llmLSRequests{items: make(map[string][]string)} }

func (r *llmLSRequests) add(requestID string, itemIDs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) == llmLSRemembered {
		delete(r.items, r.order[0])
		r.order = r.order[1:]
	}
	r.items[requestID] = itemIDs
	r.order = append(r.order, requestID)
}

func (r *llmLSRequests) item(requestID string, index int) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids, ok := r.items[requestID]
	if !ok || index < 0 || index >= len(ids) {
		return "", false
	}
	return ids[index], true
}

// newUUID returns a random (version 4) UUID, RFC 9562 § 5.4; llm-ls clients parse request_id
// as one.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *server) llmLSGetCompletions(ctx context.Context, params json.RawMessage) (*asyncCall, error) {
	var p protocol.TextDocumentPositionParams
	if err := decodeParams(methodLLMLSGetCompletions, params, &p); err != nil {
		return nil, err
	}
	requestID := newUUID()
	empty := llmLSResult{RequestID: requestID, Completions: []llmLSCompletion{}}
	// llm.nvim and llm-vscode ask while the user types.
	req, snap, err := s.completionRequest(string(p.TextDocument.URI), p.Position, completion.Automatic)
	if err != nil {
		s.log.Warn("lsp: no llm-ls completion", "error", err)
		return answer(empty), nil
	}
	return &asyncCall{supersede: "complete " + snap.URI, run: func(ctx context.Context) (any, error) {
		items, err := s.engine.InlineCompletion(ctx, req)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			s.log.Warn("lsp: engine failed; answering no llm-ls completion", "uri", snap.URI, "error", err)
			return empty, nil
		case !s.docs.current(snap):
			return empty, nil // see inlineCompletion, Staleness
		}
		res := empty
		var ids []string
		for _, it := range items {
			text, ok := insertionAtCursor(req, it)
			if !ok {
				s.log.Debug("lsp: item is not an insertion at the cursor; not sent to the llm-ls client", "uri", snap.URI)
				continue
			}
			res.Completions = append(res.Completions, llmLSCompletion{GeneratedText: text})
			ids = append(ids, it.ID)
		}
		s.llmLS.add(requestID, ids)
		return res, nil
	}}, nil
}

// insertionAtCursor rewrites an item as text inserted at req.Offset: the text it replaces
// before the cursor must begin the item and the text it replaces after the cursor must end
// it.
func insertionAtCursor(req completion.Request, it completion.Item) (string, bool) {
	if it.Start < 0 || it.Start > req.Offset || req.Offset > it.End || it.End > len(req.Text) {
		return "", false
	}
	before, after := req.Text[it.Start:req.Offset], req.Text[req.Offset:it.End]
	if !strings.HasPrefix(it.Text, before) || !strings.HasSuffix(it.Text[len(before):], after) {
		return "", false
	}
	return it.Text[len(before) : len(it.Text)-len(after)], true
}

func (s *server) llmLSAcceptCompletion(ctx context.Context, params json.RawMessage) (*asyncCall, error) {
	var p struct {
		RequestID          string `json:"requestId"`
		AcceptedCompletion int    `json:"acceptedCompletion"`
		ShownCompletions   []int  `json:"shownCompletions"`
	}
	if err := decodeParams(methodLLMLSAcceptCompletion, params, &p); err != nil {
		return nil, err
	}
	if id, ok := s.llmLS.item(p.RequestID, p.AcceptedCompletion); ok && id != "" {
		s.engine.Accepted(id)
	} else {
		s.log.Debug("lsp: llm-ls accept of an unknown completion", "requestId", p.RequestID, "index", p.AcceptedCompletion)
	}
	return answer(nil), nil
}

func (s *server) llmLSRejectCompletion(ctx context.Context, params json.RawMessage) (*asyncCall, error) {
	var p struct {
		RequestID string `json:"requestId"`
	}
	if err := decodeParams(methodLLMLSRejectCompletion, params, &p); err != nil {
		return nil, err
	}
	return answer(nil), nil
}
