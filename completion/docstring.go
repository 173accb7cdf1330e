package completion

// Code actions that write docstrings (issue 10). Listing is syntax only: codectx finds the
// declaration at the selection. Resolving runs the model once, on a FIM prompt whose hole is
// where the docstring goes — the prefix ends with the docstring's opening ("/**\n * ",
// `"""`, "// Name "), the suffix starts with its closing and goes on with the declaration —
// so any FIM model writes it, the embedded one included. The model writes the words; the
// structure (comment markers, indentation, parameter and return sections) comes from the
// syntax tree (docformat.go).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	codectx "github.com/llmls/llmls/context"
)

// CodeAction is one action the engine offers for a selection. cmd/llmls adapts it to
// lsp.CodeAction (completion cannot import lsp, which imports completion).
type CodeAction struct {
	// Title is shown in the editor's menu: TitleWriteDocstring or TitleUpdateDocstring.
	Title string
	// Kind is the LSP CodeActionKind: KindRefactorRewrite.
	Kind string
	// Data is handed back to ResolveCodeAction unchanged (JSON).
	Data json.RawMessage
}

// Titles and kinds of the docstring actions.
const (
	TitleWriteDocstring  = "Write docstring"
	TitleUpdateDocstring = "Update docstring"
	// KindRefactorRewrite is LSP's CodeActionKind "refactor.rewrite" (LSP 3.17 §CodeActionKind).
	KindRefactorRewrite = "refactor.rewrite"
)

// Limits of one docstring generation.
const (
	// docMaxTokens caps the model's output: a summary and a few lines (each ~12 tokens).
	docMaxTokens = 128
	// docMaxLines caps the prose lines kept from the model (sections from the tree are added
	// after them).
	docMaxLines = 8
)

// docActionData is CodeAction.Data of the docstring actions: the selection it was listed
// for, byte offsets into the document version the lsp layer checks on resolve.
type docActionData struct {
	Action string `json:"action"` // "docstring"
	Start  int    `json:"start"`
	End    int    `json:"end"`
}

// Errors of ResolveCodeAction.
var (
	// ErrNoDeclaration: the selection of the action is no longer in a declaration.
	ErrNoDeclaration = errors.New("completion: no function, method, class or type at the selection")
	// ErrEmptyDocstring: the model wrote nothing and the declaration has nothing for the
	// skeleton either (no name to lead with, no parameters, no result).
	ErrEmptyDocstring = errors.New("completion: the model wrote no docstring text and the declaration gives none")

	// ErrNoDocstringUpdate: "Update docstring" where the model wrote nothing; the existing
	// docstring is left as it is.
	ErrNoDocstringUpdate = errors.New("completion: the model wrote no new docstring text; the existing docstring is kept")
)

// CodeActions lists the docstring action for the declaration that encloses the selection
// [start, end) of doc.Text (byte offsets): "Write docstring", or "Update docstring" when the
// declaration has one. None when the selection is not in a function, method, class or type,
// the language has no docstring convention, or no model is loaded. It does not call the
// model. It returns an error wrapping codectx.ErrBadOffset for a range outside the text.
func (e *Engine) CodeActions(ctx context.Context, doc Request, start, end int) ([]CodeAction, error) {
	if _, _, _, err := e.current(); err != nil {
		return nil, nil
	}
	d, err := codectx.FindDocTarget(e.snapshot(doc), start, end)
	if err != nil || d == nil {
		return nil, err
	}
	title := TitleWriteDocstring
	if d.Existing {
		title = TitleUpdateDocstring
	}
	data, _ := json.Marshal(docActionData{Action: "docstring", Start: start, End: end})
	return []CodeAction{{Title: title, Kind: KindRefactorRewrite, Data: data}}, nil
}

// ResolveCodeAction computes the edit of an action that CodeActions listed for this version
// of the document: one Edit, in byte offsets into doc.Text, that inserts the docstring or
// replaces the old one and touches nothing else. It runs the model (cancelling a running
// inline completion) and returns ctx.Err() when ctx is cancelled, ErrNoDeclaration when the
// selection holds no declaration, or the backend's error. When the model writes nothing the
// docstring is the skeleton from the tree (Go's name, the parameter and result sections),
// and ErrEmptyDocstring when that is empty too; for an existing docstring it is
// ErrNoDocstringUpdate (the user's text is never replaced by a skeleton).
func (e *Engine) ResolveCodeAction(ctx context.Context, doc Request, action CodeAction) ([]Edit, error) {
	var data docActionData
	if err := json.Unmarshal(action.Data, &data); err != nil || data.Action != "docstring" {
		return nil, fmt.Errorf("completion: code action %q: data %.80q is not a docstring action's", action.Title, action.Data)
	}
	s, backend, model, err := e.current()
	if err != nil {
		return nil, err
	}
	d, err := codectx.FindDocTarget(e.snapshot(doc), data.Start, data.End)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, ErrNoDeclaration
	}
	text, err := e.generateDocstring(ctx, doc, d, s, backend, model)
	if err != nil {
		return nil, err
	}
	content := docContent(d, text)
	if len(content) == 0 || strings.TrimSpace(strings.TrimPrefix(content[0], d.Lead)) == "" && len(content) == 1 {
		if d.Existing {
			// Never trade the user's docstring for an empty skeleton.
			return nil, ErrNoDocstringUpdate
		}
		// The model wrote nothing (small models often end the middle at once): the
		// docstring is the skeleton the tree gives, for the user to fill in.
		e.log.Info("docstring: the model wrote no text; inserting the skeleton", "name", d.Name)
		content = []string{d.Lead}
	}
	lines := structureDocstring(d, content)
	if strings.TrimSpace(strings.Join(lines, "")) == "" {
		return nil, ErrEmptyDocstring
	}
	return []Edit{{Start: d.EditStart, End: d.EditEnd, Text: d.Render(lines)}}, nil
}

// DocstringPrompt returns the parts of the FIM prompt for target d in doc: the hole is
// where the docstring's words go. Line ends are "\n" (CRLF documents give the same prompt).
func DocstringPrompt(doc Request, d *codectx.DocTarget, b Budget, count TokenCounter) Parts {
	prefix := strings.ReplaceAll(doc.Text[:d.EditStart]+d.PromptOpen(), "\r\n", "\n")
	suffix := strings.ReplaceAll(d.PromptClose()+doc.Text[d.EditEnd:], "\r\n", "\n")
	w := ChooseWindow(prefix+suffix, len(prefix), b, count)
	pre, typed, suf := w.Parts(prefix + suffix)
	return Parts{
		Path: displayPath(doc.URI, ""), RepoName: repoName(doc.URI), Language: doc.LanguageID,
		Prefix: pre, Typed: typed, Suffix: suf,
	}
}

// generateDocstring runs the model on the docstring prompt and returns its raw text, cut
// where the docstring ends.
func (e *Engine) generateDocstring(ctx context.Context, doc Request, d *codectx.DocTarget, s Settings, b Backend, m *modelInfo) (string, error) {
	count := func(t string) int { return len(m.vocab.Encode(t)) }
	budget := m.budget
	budget.Snippets = 0
	parts := DocstringPrompt(doc, d, budget, count)
	prompt, err := Build(m.vocab, m.layout, parts)
	if err != nil {
		return "", err
	}
	// The user picked this action: it goes before ghost text still being generated.
	e.cancelFlight()
	select {
	case e.gen <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-e.gen }()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	stops := append(append([]string(nil), m.stops...), docCloser(d)...)
	gr := GenRequest{Prompt: prompt, Parts: parts, MaxTokens: docMaxTokens, StopIDs: m.stopID, StopStrings: stops}
	var raw strings.Builder
	e.stats.ModelCalls.Add(1)
	st, err := b.Generate(ctx, gr, func(piece string) bool {
		raw.WriteString(piece)
		return !docEnded(d, raw.String())
	})
	e.stats.PromptTokens.Add(int64(st.PromptTokens))
	e.stats.EvaluatedTokens.Add(int64(st.EvaluatedTokens))
	e.stats.GeneratedTokens.Add(int64(st.GeneratedTokens))
	if err != nil {
		if ctx.Err() != nil {
			e.stats.Cancelled.Add(1)
			return "", ctx.Err()
		}
		return "", err
	}
	e.log.Debug("docstring generated", "name", d.Name, "prompt", st.PromptTokens, "evaluated", st.EvaluatedTokens,
		"generated", st.GeneratedTokens, "ms", int(st.TotalMs), "raw", raw.String())
	return CutAtStop(raw.String(), m.stops), nil
}
