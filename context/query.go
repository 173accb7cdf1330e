package codectx

import (
	"embed"
	"fmt"
	"regexp"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// queryFS holds queries/<grammar>/<purpose>.scm; see queries/README.md for the captures.
//
//go:embed queries
var queryFS embed.FS

// Capture names the Go code expects (queries/README.md).
const (
	captureName          = "name"
	captureImport        = "import"
	captureDefinitionPfx = "definition."
)

// languageQueries are the compiled queries of one grammar.
type languageQueries struct {
	definitions *compiledQuery
	imports     *compiledQuery
}

// compiledQuery is a tree-sitter query plus what the binding leaves to its caller: the
// capture names and the text predicates of each pattern. A compiled query is immutable and
// shared by all goroutines; each run uses its own sitter.QueryCursor.
type compiledQuery struct {
	file     string
	q        *sitter.Query
	captures []string      // capture index → name
	preds    [][]predicate // pattern index → predicates, all of which must hold
}

// predicate is one "#op? @capture args..." clause of a pattern.
type predicate struct {
	op      string // "eq?", "not-eq?", "match?", "not-match?", "any-of?"
	capture string
	other   string // second capture of eq?/not-eq?, or ""
	values  []string
	re      *regexp.Regexp
}

// captured is one capture of a match: its name and node.
type captured struct {
	name string
	node *sitter.Node
}

func compileQueries(l *Language) (*languageQueries, error) {
	defs, err := compileQuery(l, "definitions")
	if err != nil {
		return nil, err
	}
	imps, err := compileQuery(l, "imports")
	if err != nil {
		return nil, err
	}
	return &languageQueries{definitions: defs, imports: imps}, nil
}

func compileQuery(l *Language, purpose string) (*compiledQuery, error) {
	file := "queries/" + l.queryDir + "/" + purpose + ".scm"
	src, err := queryFS.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("codectx: query %s for %s: %w", file, l.Name, err)
	}
	q, err := sitter.NewQuery(src, l.lang)
	if err != nil {
		return nil, fmt.Errorf("codectx: query %s for %s: %w", file, l.Name, err)
	}
	cq := &compiledQuery{file: file, q: q}
	for i := uint32(0); i < q.CaptureCount(); i++ {
		name := q.CaptureNameForId(i)
		if !strings.HasPrefix(name, "_") && name != captureName && name != captureImport &&
			!strings.HasPrefix(name, captureDefinitionPfx) {
			return nil, fmt.Errorf("codectx: query %s: unexpected capture @%s", file, name)
		}
		cq.captures = append(cq.captures, name)
	}
	for p := uint32(0); p < q.PatternCount(); p++ {
		var ps []predicate
		for _, steps := range q.PredicatesForPattern(p) {
			pr, err := parsePredicate(q, steps)
			if err != nil {
				return nil, fmt.Errorf("codectx: query %s pattern %d: %w", file, p, err)
			}
			ps = append(ps, pr)
		}
		cq.preds = append(cq.preds, ps)
	}
	return cq, nil
}

func parsePredicate(q *sitter.Query, steps []sitter.QueryPredicateStep) (predicate, error) {
	// steps: op string, @capture, args..., done.
	if len(steps) < 3 || steps[0].Type != sitter.QueryPredicateStepTypeString ||
		steps[1].Type != sitter.QueryPredicateStepTypeCapture {
		return predicate{}, fmt.Errorf("malformed predicate")
	}
	p := predicate{op: q.StringValueForId(steps[0].ValueId), capture: q.CaptureNameForId(steps[1].ValueId)}
	for _, s := range steps[2:] {
		switch s.Type {
		case sitter.QueryPredicateStepTypeString:
			p.values = append(p.values, q.StringValueForId(s.ValueId))
		case sitter.QueryPredicateStepTypeCapture:
			p.other = q.CaptureNameForId(s.ValueId)
		}
	}
	switch p.op {
	case "eq?", "not-eq?":
		if (p.other == "") == (len(p.values) == 0) || len(p.values) > 1 {
			return p, fmt.Errorf("#%s needs one capture or one string", p.op)
		}
	case "match?", "not-match?":
		if len(p.values) != 1 {
			return p, fmt.Errorf("#%s needs one regular expression", p.op)
		}
		re, err := regexp.Compile(p.values[0])
		if err != nil {
			return p, fmt.Errorf("#%s: %w", p.op, err)
		}
		p.re = re
	case "any-of?":
		if len(p.values) == 0 {
			return p, fmt.Errorf("#any-of? needs strings")
		}
	default:
		return p, fmt.Errorf("unsupported predicate #%s", p.op)
	}
	return p, nil
}

// holds reports whether the predicate holds for the captures of one match.
func (p predicate) holds(caps []captured, src []byte) bool {
	text := func(name string) (string, bool) {
		for _, c := range caps {
			if c.name == name {
				// Trimmed: tjdevries Lua tokens carry the newline before them.
				return strings.TrimSpace(c.node.Content(src)), true
			}
		}
		return "", false
	}
	t, ok := text(p.capture)
	if !ok {
		return false
	}
	switch p.op {
	case "eq?", "not-eq?":
		want := ""
		if p.other != "" {
			want, ok = text(p.other)
			if !ok {
				return false
			}
		} else {
			want = p.values[0]
		}
		return (t == want) == (p.op == "eq?")
	case "match?", "not-match?":
		return p.re.MatchString(t) == (p.op == "match?")
	case "any-of?":
		return contains(p.values, t)
	}
	return false
}

// runDepth executes the query on the subtree of node and calls fn for every match whose
// predicates hold, in the order tree-sitter reports them (by start position). When rng is
// not nil only matches intersecting it are reported (tree-sitter's point range; rows and
// columns in bytes). Only patterns whose root is at most maxDepth levels below node are
// tried (ts_query_cursor_set_max_start_depth; -1 means no limit; without the shim, see
// rawCursorOK, every depth is tried, which finds more, never less). src is the full
// document text.
func (cq *compiledQuery) runDepth(node *sitter.Node, src []byte, rng *pointRange, maxDepth int, fn func(pattern int, caps []captured)) {
	qc := sitter.NewQueryCursor()
	defer qc.Close()
	if rng != nil {
		qc.SetPointRange(rng.start, rng.end)
	}
	if maxDepth >= 0 {
		setMaxStartDepth(qc, uint32(maxDepth))
	}
	qc.Exec(cq.q, node)
	var caps []captured
	for {
		m, ok := qc.NextMatch()
		if !ok {
			return
		}
		caps = caps[:0]
		for _, c := range m.Captures {
			caps = append(caps, captured{name: cq.captures[c.Index], node: c.Node})
		}
		good := true
		for _, p := range cq.preds[m.PatternIndex] {
			if !p.holds(caps, src) {
				good = false
				break
			}
		}
		if good {
			fn(int(m.PatternIndex), caps)
		}
	}
}
