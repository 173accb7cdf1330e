package codectx

import (
	"path/filepath"
	"strings"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/bash"
	"github.com/smacker/go-tree-sitter/c"
	"github.com/smacker/go-tree-sitter/cpp"
	"github.com/smacker/go-tree-sitter/golang"
	"github.com/smacker/go-tree-sitter/java"
	"github.com/smacker/go-tree-sitter/javascript"
	"github.com/smacker/go-tree-sitter/lua"
	"github.com/smacker/go-tree-sitter/python"
	"github.com/smacker/go-tree-sitter/ruby"
	"github.com/smacker/go-tree-sitter/rust"
	"github.com/smacker/go-tree-sitter/typescript/tsx"
	"github.com/smacker/go-tree-sitter/typescript/typescript"
)

// Language is one entry of the language registry: a grammar, the LSP language identifiers and
// file extensions that select it, its embedded queries and the few node types the Go code
// needs to know by name. Languages are package-level values; compare them by pointer.
//
// The grammar versions are those vendored by github.com/smacker/go-tree-sitter at
// v0.0.0-20240827094217-dd81d9e9be82 (its _automation/grammars.json names each repository
// and revision; Lua is tjdevries/tree-sitter-lua, whose tokens include the newline before
// them).
type Language struct {
	// Name is the canonical LSP language identifier ("go", "python", "typescriptreact", ...),
	// from the LSP 3.17 specification's list of languageIds.
	// https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#textDocumentItem
	Name string

	ids        []string // other languageIds that select this grammar
	extensions []string // lower-case, with the dot
	queryDir   string   // folder under queries/
	grammar    func() *sitter.Language

	// commentTypes are the node types of comments.
	commentTypes []string
	// stringTypes are the node types of string literals (including raw and template strings)
	// whose inside is string content, not code.
	stringTypes []string
	// closerTypes are named node types that end a block the way an anonymous "}" or "end"
	// token does (tjdevries Lua wraps "end" in a named function_end node).
	closerTypes []string
	// blockOpeners are line endings (after trimming spaces) that open a block when the code
	// has no tree: "{" for C-like languages, ":" for Python, "do"/"then" for Lua and Ruby.
	blockOpeners []string
	// indentBlocks is true where indentation alone delimits blocks (Python).
	indentBlocks bool

	once     sync.Once
	lang     *sitter.Language
	queries  *languageQueries
	queryErr error
}

// PlainText is the language of every document whose languageId and extension are not in the
// registry. It has no grammar: its snapshots have no tree and every feature falls back to
// line-based heuristics.
var PlainText = &Language{Name: "plaintext", blockOpeners: []string{"{", "(", "["}}

var cLikeOpeners = []string{"{", "(", "["}

// languages is the registry. Each grammar's node type names below were read from its
// src/node-types.json at the revision the binding vendors.
var languages = []*Language{
	{
		Name: "go", extensions: []string{".go"}, queryDir: "go",
		grammar:      golang.GetLanguage,
		commentTypes: []string{"comment"},
		stringTypes:  []string{"interpreted_string_literal", "raw_string_literal", "rune_literal"},
		blockOpeners: cLikeOpeners,
	},
	{
		Name: "python", extensions: []string{".py", ".pyi", ".pyw"}, queryDir: "python",
		grammar:      python.GetLanguage,
		commentTypes: []string{"comment"},
		stringTypes:  []string{"string"},
		blockOpeners: []string{":", "(", "[", "{"},
		indentBlocks: true,
	},
	{
		Name: "javascript", ids: []string{"javascriptreact", "js", "jsx"},
		extensions: []string{".js", ".mjs", ".cjs", ".jsx"}, queryDir: "javascript",
		grammar:      javascript.GetLanguage,
		commentTypes: []string{"comment", "html_comment"},
		stringTypes:  []string{"string", "template_string", "regex"},
		blockOpeners: cLikeOpeners,
	},
	{
		Name: "typescript", ids: []string{"ts"},
		extensions: []string{".ts", ".mts", ".cts"}, queryDir: "typescript",
		grammar:      typescript.GetLanguage,
		commentTypes: []string{"comment", "html_comment"},
		stringTypes:  []string{"string", "template_string", "regex"},
		blockOpeners: cLikeOpeners,
	},
	{
		Name: "typescriptreact", ids: []string{"tsx"},
		extensions: []string{".tsx"}, queryDir: "typescript",
		grammar:      tsx.GetLanguage,
		commentTypes: []string{"comment", "html_comment"},
		stringTypes:  []string{"string", "template_string", "regex"},
		blockOpeners: cLikeOpeners,
	},
	{
		Name: "rust", ids: []string{"rs"}, extensions: []string{".rs"}, queryDir: "rust",
		grammar:      rust.GetLanguage,
		commentTypes: []string{"line_comment", "block_comment"},
		stringTypes:  []string{"string_literal", "raw_string_literal", "char_literal"},
		blockOpeners: cLikeOpeners,
	},
	{
		Name: "c", extensions: []string{".c", ".h"}, queryDir: "c",
		grammar:      c.GetLanguage,
		commentTypes: []string{"comment"},
		stringTypes:  []string{"string_literal", "char_literal", "system_lib_string", "concatenated_string"},
		blockOpeners: cLikeOpeners,
	},
	{
		Name: "cpp", ids: []string{"c++", "cuda-cpp"},
		extensions: []string{".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".cu", ".cuh"},
		queryDir:   "cpp",
		grammar:    cpp.GetLanguage, commentTypes: []string{"comment"},
		stringTypes:  []string{"string_literal", "raw_string_literal", "char_literal", "system_lib_string", "concatenated_string"},
		blockOpeners: cLikeOpeners,
	},
	{
		Name: "java", extensions: []string{".java"}, queryDir: "java",
		grammar:      java.GetLanguage,
		commentTypes: []string{"line_comment", "block_comment"},
		stringTypes:  []string{"string_literal", "character_literal", "text_block"},
		blockOpeners: cLikeOpeners,
	},
	{
		Name: "lua", extensions: []string{".lua"}, queryDir: "lua",
		grammar:      lua.GetLanguage,
		commentTypes: []string{"comment"},
		stringTypes:  []string{"string"},
		closerTypes:  []string{"function_end"},
		blockOpeners: []string{"do", "then", "else", "{", "(", "["},
	},
	{
		Name: "ruby", ids: []string{"rb"},
		extensions: []string{".rb", ".rake", ".gemspec", ".ru"}, queryDir: "ruby",
		grammar:      ruby.GetLanguage,
		commentTypes: []string{"comment"},
		stringTypes:  []string{"string", "heredoc_body", "regex", "subshell", "symbol_array", "string_array"},
		blockOpeners: []string{"do", "then", "else", "{", "(", "[", "|"},
	},
	{
		Name: "shellscript", ids: []string{"bash", "sh", "zsh", "shell"},
		extensions: []string{".sh", ".bash", ".zsh"}, queryDir: "bash",
		grammar:      bash.GetLanguage,
		commentTypes: []string{"comment"},
		stringTypes:  []string{"string", "raw_string", "heredoc_body", "ansi_c_string"},
		blockOpeners: []string{"{", "then", "do", "else", "in", "("},
	},
}

var (
	byID  = map[string]*Language{}
	byExt = map[string]*Language{}
)

func init() {
	for _, l := range languages {
		byID[l.Name] = l
		for _, id := range l.ids {
			byID[id] = l
		}
		for _, e := range l.extensions {
			byExt[e] = l
		}
	}
}

// Languages returns the languages that have a grammar, in registry order. The slice is a
// copy; the *Language values are shared.
func Languages() []*Language {
	return append([]*Language(nil), languages...)
}

// LanguageByID returns the language of an LSP languageId (case-insensitive), or [PlainText]
// when the identifier has no grammar.
func LanguageByID(languageID string) *Language {
	if l, ok := byID[strings.ToLower(languageID)]; ok {
		return l
	}
	return PlainText
}

// LanguageByPath returns the language of a file path or URI by its extension
// (case-insensitive), or [PlainText].
func LanguageByPath(path string) *Language {
	if l, ok := byExt[strings.ToLower(filepath.Ext(path))]; ok {
		return l
	}
	return PlainText
}

// DetectLanguage picks the grammar from the LSP languageId first and, when that names no
// grammar (an empty or unknown identifier), from the extension of path. It never returns nil.
func DetectLanguage(languageID, path string) *Language {
	if l := LanguageByID(languageID); l != PlainText {
		return l
	}
	return LanguageByPath(path)
}

// HasGrammar reports whether documents of this language get a syntax tree.
func (l *Language) HasGrammar() bool { return l != nil && l.grammar != nil }

// sitterLanguage returns the grammar, loading it and compiling its queries once. It is nil
// for PlainText.
func (l *Language) sitterLanguage() *sitter.Language {
	if !l.HasGrammar() {
		return nil
	}
	l.load()
	return l.lang
}

func (l *Language) load() {
	l.once.Do(func() {
		l.lang = l.grammar()
		l.queries, l.queryErr = compileQueries(l)
	})
}

func (l *Language) isComment(typ string) bool { return contains(l.commentTypes, typ) }
func (l *Language) isString(typ string) bool  { return contains(l.stringTypes, typ) }
func (l *Language) isCloser(typ string) bool  { return contains(l.closerTypes, typ) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
