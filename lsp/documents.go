package lsp

// The document store: the text of every open document, kept in step with the client by
// didOpen/didChange/didClose, and immutable snapshots of it for requests.

import (
	"errors"
	"fmt"
	"sync"

	"go.lsp.dev/protocol"

	"github.com/llmls/llmls/completion"
)

// snapshot is one version of a document. It never changes; requests keep it while they run.
type snapshot struct {
	URI        string
	LanguageID string
	Version    int32
	*Mapper    // the text and its positions
}

// document is the store's entry for an open document.
type document struct {
	snapshot
	// lost is why the text is unknown: an incremental change could not be applied, so the
	// store no longer has the client's text. A full-text change brings it back.
	lost error
}

// contentChange is TextDocumentContentChangeEvent with Range as a pointer: go.lsp.dev/protocol
// v0.12.0 cannot tell a full-text change (no range) from a change at 0:0-0:0.
// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#textDocumentContentChangeEvent
type contentChange struct {
	Range *protocol.Range `json:"range"`
	Text  string          `json:"text"`
}

// errUnknownDocument is returned for a URI the client has not opened.
var errUnknownDocument = errors.New("document is not open")

// documentStore holds the open documents.
type documentStore struct {
	mu       sync.Mutex // guards the fields below
	encoding PositionEncoding
	docs     map[string]*document
}

func newDocumentStore() *documentStore {
	return &documentStore{encoding: UTF16, docs: make(map[string]*document)}
}

func (ds *documentStore) setEncoding(enc PositionEncoding) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	ds.encoding = enc
}

// open stores a document; reopening replaces it.
func (ds *documentStore) open(uri, languageID string, version int32, text string) (reopened bool) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	_, reopened = ds.docs[uri]
	ds.docs[uri] = &document{snapshot: snapshot{URI: uri, LanguageID: languageID, Version: version, Mapper: NewMapper(text, ds.encoding)}}
	return reopened
}

// close forgets a document.
func (ds *documentStore) close(uri string) error {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if _, ok := ds.docs[uri]; !ok {
		return fmt.Errorf("%s: %w", uri, errUnknownDocument)
	}
	delete(ds.docs, uri)
	return nil
}

// changeResult says what a didChange did to a document.
type changeResult struct {
	snap  snapshot          // the document after the changes
	edits []completion.Edit // the changes in byte offsets, each relative to the text before it
	// wasKnown and known say whether the text was known before and after the changes;
	// broken is true when it was lost before or during them, so edits are incomplete.
	wasKnown, known, broken bool
}

// change applies changes in order. If one cannot be applied the document's text is marked
// lost (changes after it are skipped until a full-text change) and the error says which
// change failed and why.
func (ds *documentStore) change(uri string, version int32, changes []contentChange) (changeResult, error) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	doc, ok := ds.docs[uri]
	if !ok {
		return changeResult{}, fmt.Errorf("%s: %w", uri, errUnknownDocument)
	}
	var firstErr error
	wasLost := doc.lost != nil
	lostAny := wasLost
	m := doc.Mapper
	var edits []completion.Edit
	for i, c := range changes {
		if c.Range == nil {
			edits = append(edits, completion.Edit{Start: 0, End: len(m.Text()), Text: c.Text})
			m, doc.lost = NewMapper(c.Text, ds.encoding), nil
			continue
		}
		if doc.lost != nil {
			continue
		}
		start, end, err := m.RangeOffsets(*c.Range)
		if err != nil {
			doc.lost = fmt.Errorf("change %d of version %d: %w", i, version, err)
			firstErr, lostAny = doc.lost, true
			continue
		}
		edits = append(edits, completion.Edit{Start: start, End: end, Text: c.Text})
		text := m.Text()
		m = NewMapper(text[:start]+c.Text+text[end:], ds.encoding)
	}
	if doc.lost == nil && version <= doc.Version && firstErr == nil {
		// Versions must increase (LSP 3.17 § VersionedTextDocumentIdentifier); apply anyway,
		// the text is what the client says, but the caller logs it.
		firstErr = fmt.Errorf("%s: version %d does not increase on %d (changes applied)", uri, version, doc.Version)
	}
	doc.snapshot = snapshot{URI: uri, LanguageID: doc.LanguageID, Version: version, Mapper: m}
	res := changeResult{snap: doc.snapshot, edits: edits, wasKnown: !wasLost, known: doc.lost == nil, broken: lostAny}
	if doc.lost != nil && firstErr == nil {
		firstErr = fmt.Errorf("%s: text unknown since %w; waiting for a full-text change", uri, doc.lost)
	}
	return res, firstErr
}

// get returns the current snapshot of uri, or an error if it is not open or its text is lost.
func (ds *documentStore) get(uri string) (snapshot, error) {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	doc, ok := ds.docs[uri]
	switch {
	case !ok:
		return snapshot{}, fmt.Errorf("%s: %w", uri, errUnknownDocument)
	case doc.lost != nil:
		return snapshot{}, fmt.Errorf("%s: text unknown since %w", uri, doc.lost)
	}
	return doc.snapshot, nil
}

// current reports whether snap is still the current version of its document.
func (ds *documentStore) current(snap snapshot) bool {
	ds.mu.Lock()
	defer ds.mu.Unlock()
	doc, ok := ds.docs[snap.URI]
	return ok && doc.lost == nil && doc.Mapper == snap.Mapper
}
