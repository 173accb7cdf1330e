package completion

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LoRA adapters per document: Settings.LoRA lists adapters, each with the LSP language ids
// and workspace folders where it applies. The local backend loads them all once onto the model
// (unmerged, decoder.Model.LoadAdapter) and, per request, activates those that match the
// document (decoder.Session.SetAdapters), so switching needs no reload. The same matching
// gives the engine the adapter set that is part of its cache keys (a completion made with
// one set is not served for another).

// LoRAError reports an adapter of Settings.LoRA that was not loaded: its index in the list,
// its path, and why. The backend serves without it.
type LoRAError struct {
	Index int    // position in Settings.LoRA
	Path  string // LoRASetting.Path as configured
	Err   error
}

func (e *LoRAError) Error() string {
	return fmt.Sprintf("completion: lora[%d] %q not loaded (serving without it): %v", e.Index, e.Path, e.Err)
}

func (e *LoRAError) Unwrap() error { return e.Err }

// scale returns the user scale of l (default 1).
func (l LoRASetting) scale() float32 {
	if l.Scale == nil {
		return 1
	}
	return *l.Scale
}

// check returns an error when l cannot be used: no path, a scale that is not finite, a
// folder that is neither an absolute path nor a file:// URI.
func (l LoRASetting) check() error {
	if strings.TrimSpace(l.Path) == "" {
		return fmt.Errorf("empty path")
	}
	if s := float64(l.scale()); math.IsNaN(s) || math.IsInf(s, 0) {
		return fmt.Errorf("scale %v is not finite", s)
	}
	for _, f := range l.Folders {
		if _, err := folderPath(f); err != nil {
			return err
		}
	}
	return nil
}

// appliesTo reports whether l applies to a document with this LSP language id and URI:
// Languages empty or naming languageID (case-insensitively), and Folders empty or one of them
// holding the document. A folder that is not an absolute path or file:// URI matches nothing
// (check reports it at load).
func (l LoRASetting) appliesTo(languageID, uri string) bool {
	if len(l.Languages) > 0 {
		ok := false
		for _, lang := range l.Languages {
			if strings.EqualFold(strings.TrimSpace(lang), languageID) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(l.Folders) == 0 {
		return true
	}
	doc, err := uriPath(uri)
	if err != nil {
		return false
	}
	for _, f := range l.Folders {
		dir, err := folderPath(f)
		if err != nil {
			continue
		}
		if doc == dir || strings.HasPrefix(doc, strings.TrimSuffix(dir, "/")+"/") {
			return true
		}
	}
	return false
}

// loraKey names the adapters of list that apply to a document: their indices, comma-separated
// ("" when none). Two requests with the same key generate with the same adapters.
func loraKey(list []LoRASetting, languageID, uri string) string {
	var b strings.Builder
	for i, l := range list {
		if l.appliesTo(languageID, uri) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(i))
		}
	}
	return b.String()
}

// folderPath turns a LoRASetting folder (an absolute path, "~/..." or a file:// URI) into a
// clean slash-separated absolute path.
func folderPath(f string) (string, error) {
	f = strings.TrimSpace(f)
	switch {
	case strings.HasPrefix(f, "file:"):
		return uriPath(f)
	case strings.HasPrefix(f, "~/"):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("folder %q: %w", f, err)
		}
		f = filepath.Join(home, f[2:])
	}
	if !filepath.IsAbs(f) {
		return "", fmt.Errorf("folder %q is not an absolute path or a file:// URI", f)
	}
	return filepath.ToSlash(filepath.Clean(f)), nil
}

// uriPath returns the path of a file:// URI: percent-decoded, cleaned, slash-separated, and
// "/C:/x" written "C:/x" as folderPath writes a Windows path.
func uriPath(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("URI %q: %w", uri, err)
	}
	if u.Scheme != "file" || u.Path == "" {
		return "", fmt.Errorf("URI %q is not a file:// URI", uri)
	}
	p := u.Path
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return filepath.ToSlash(filepath.Clean(filepath.FromSlash(p))), nil
}
