package codectx

import (
	"context"
	"sync"
	"time"
	"unsafe"

	sitter "github.com/smacker/go-tree-sitter"
)

// Snapshot is one version of one document: its text, version, language and syntax tree.
// It never changes after it is made, and every method is safe to call from many goroutines
// at once while the workspace goes on applying edits (each use of the tree works on its own
// ts_tree_copy, because the binding's Tree caches nodes in an unguarded map).
//
// Derived data (the definition index, snippet chunks) is computed on first use and kept with
// the snapshot.
type Snapshot struct {
	uri        string
	languageID string
	version    int32
	text       string
	lang       *Language
	tree       *sitter.Tree // nil: plain text; never edited after the snapshot is made
	// stale: tree is the previous version's tree edited (ts_tree_edit) to this text but not
	// reparsed; a background parse is bringing it up to date.
	stale    bool
	parseErr error

	cache *indexCache // shared by the snapshots of one document; may be nil

	indexOnce sync.Once
	index     *docIndex

	chunksOnce sync.Once
	chunks     []chunk
	chunkLines int
}

// NewSnapshot parses text on its own, outside any workspace (for one-shot commands such as
// `llmls prompt` and for tests). The language comes from languageID, or from the extension of
// uri when languageID names no grammar. budget limits the parse's wall time (0: none).
// When the parse fails the snapshot is still returned, without a tree, together with a
// *ParseError.
func NewSnapshot(uri, languageID string, version int32, text string, budget time.Duration) (*Snapshot, error) {
	lang := DetectLanguage(languageID, uri)
	s := &Snapshot{uri: uri, languageID: languageID, version: version, text: text, lang: lang}
	if !lang.HasGrammar() {
		return s, nil
	}
	t, err := parseText(context.Background(), lang, text, nil, budget)
	if err != nil {
		s.parseErr = &ParseError{URI: uri, Language: lang.Name, Bytes: len(text), Budget: budget, Err: err}
		return s, s.parseErr
	}
	s.tree = t
	return s, nil
}

// URI returns the document URI as the client sent it.
func (s *Snapshot) URI() string { return s.uri }

// LanguageID returns the LSP languageId the document was opened with.
func (s *Snapshot) LanguageID() string { return s.languageID }

// Version returns the document version (LSP VersionedTextDocumentIdentifier.version).
func (s *Snapshot) Version() int32 { return s.version }

// Text returns the whole document, UTF-8.
func (s *Snapshot) Text() string { return s.text }

// Language returns the registry entry of the document ([PlainText] when no grammar).
func (s *Snapshot) Language() *Language { return s.lang }

// HasTree reports whether the snapshot has a syntax tree. Without one (plain text, or a
// parse that failed) every feature uses line-based heuristics.
func (s *Snapshot) HasTree() bool { return s.tree != nil }

// Stale reports that the tree is the previous version's tree edited to this text (every
// byte offset is right, but nodes that overlap the latest edits were not reparsed) because
// the incremental reparse did not fit in Options.KeystrokeBudget; a background parse is
// bringing the document up to date (Workspace.WaitParsed). Features treat the syntax at the
// edits as approximate: CompletionTypeAt uses the text of the line there.
func (s *Snapshot) Stale() bool { return s.stale }

// ParseErr returns why a document with a grammar has no tree (a *ParseError), or nil.
func (s *Snapshot) ParseErr() error { return s.parseErr }

// Tree returns a copy of the syntax tree that the caller owns (ts_tree_copy: cheap, shares
// the nodes), or nil when there is no tree. Positions are bytes into Text.
func (s *Snapshot) Tree() *sitter.Tree {
	if s.tree == nil {
		return nil
	}
	return s.tree.Copy()
}

// SExpr returns the tree as tree-sitter's S-expression (ts_node_string), or "" without a
// tree.
func (s *Snapshot) SExpr() string {
	t := s.Tree()
	if t == nil {
		return ""
	}
	defer t.Close()
	return t.RootNode().String()
}

// src returns the text as bytes without copying; callers only read it.
func (s *Snapshot) src() []byte { return unsafe.Slice(unsafe.StringData(s.text), len(s.text)) }
