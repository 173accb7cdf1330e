package decoder

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/llmls/llmls/decoder/gguf"
	"github.com/llmls/llmls/kernels"
	"github.com/llmls/llmls/tokenizer"
)

// Inspect writes a human-readable summary of a GGUF model to w (llmls inspect): file,
// architecture, hyperparameters, parameter count, tensor types with their sizes, output
// head, tokenizer family, FIM tokens found, and the KV cache size at the default context.
// It prints everything it can read, then returns the error that would stop Load from using
// the file (a *ModelError, or the tokenizer's error), or a write error.
func Inspect(w io.Writer, f *gguf.File) error {
	p := &printer{w: w}
	p.line("file", "%s (GGUF v%d, %d tensors, %d metadata keys)", f.Path, f.Version, len(f.Tensors), len(f.KV))
	if name, err := f.String(keyName); err == nil {
		p.line("name", "%s", name)
	}
	loadErr := inspectModel(p, f)
	inspectTensors(p, f)
	tokErr := inspectTokenizer(p, f)
	if p.err != nil {
		return p.err
	}
	if loadErr != nil {
		return loadErr
	}
	return tokErr
}

// printer writes aligned "label  value" lines, keeping the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(label, format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, "%-13s %s\n", label, fmt.Sprintf(format, args...))
	}
}

// inspectModel prints the architecture and hyperparameters, and returns what keeps the file
// from loading.
func inspectModel(p *printer, f *gguf.File) error {
	archName, err := f.String(keyArchitecture)
	if err != nil {
		p.line("architecture", "unknown (%v)", err)
		return &ModelError{File: f.Path, Key: keyArchitecture, Err: err}
	}
	a := lookupArch(archName)
	if a == nil {
		p.line("architecture", "%s (not supported; supported: %s)", archName, supportedArchs())
		return &ModelError{File: f.Path, Key: keyArchitecture, Msg: fmt.Sprintf("unsupported architecture %q", archName)}
	}
	p.line("architecture", "%s", archName)
	c, err := configFromGGUF(f, a)
	if err != nil {
		p.line("config", "error: %v", err)
		return err
	}
	w, err := weightsFromGGUF(f, a, &c)
	if err != nil {
		p.line("weights", "error: %v", err)
		return err
	}
	p.line("layers", "%d", c.NLayer)
	p.line("embedding", "%d (FFN %d, vocabulary %d)", c.NEmbd, c.NFF, c.NVocab)
	p.line("attention", "%d heads of %d, %d KV heads (GQA %d:1), RMSNorm eps %g", c.NHead, c.NEmbdHead, c.NHeadKV, c.NHead/c.NHeadKV, c.NormRMSEps)
	scaling := string(c.RopeScaling)
	if c.RopeFreqScale != 1 {
		scaling += fmt.Sprintf(" ×%g", 1/c.RopeFreqScale)
	}
	if c.RopeScaling == RopeScalingYarn {
		scaling += fmt.Sprintf(" (original context %d, ext factor %g, attn factor %g)", c.NCtxOrigYarn, c.YarnExtFactor, c.YarnAttnFactor)
	}
	p.line("RoPE", "%s, %d of %d dims, base %g, scaling %s", c.RopeType, c.NRot, c.NEmbdHead, c.RopeFreqBase, scaling)
	p.line("context", "%d tokens trained", c.NCtxTrain)
	out := "output.weight"
	if w.Tied {
		out = "tied to token_embd.weight"
	}
	bias := "no QKV bias"
	if w.Layers[0].Wq.Bias != nil {
		bias = "QKV bias"
	}
	p.line("head", "%s; %s", out, bias)
	nCtx := min(c.NCtxTrain, DefaultContextLength)
	p.line("KV cache", "%s F16, %s F32 at %d tokens",
		mib(KVCacheBytes(kernels.F16, c.NLayer, c.NHeadKV, c.NEmbdHead, nCtx)),
		mib(KVCacheBytes(kernels.F32, c.NLayer, c.NHeadKV, c.NEmbdHead, nCtx)), nCtx)
	return nil
}

// inspectTensors prints the parameter count and a histogram of tensor types.
func inspectTensors(p *printer, f *gguf.File) {
	type typeStat struct {
		n     int
		bytes int64
	}
	stats := map[kernels.DType]*typeStat{}
	var params, bytes int64
	for _, t := range f.Tensors {
		st := stats[t.Type]
		if st == nil {
			st = &typeStat{}
			stats[t.Type] = st
		}
		st.n++
		st.bytes += t.Size
		params += t.Elements()
		bytes += t.Size
	}
	p.line("parameters", "%s (%s of tensor data, %.2f bits per weight)", count(params), mib(bytes), float64(bytes)*8/float64(max(params, 1)))
	if ft, err := f.Int(keyFileType); err == nil {
		p.line("file type", "%d (general.file_type)", ft)
	}
	types := make([]kernels.DType, 0, len(stats))
	for t := range stats {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b kernels.DType) int { return int(stats[b].bytes - stats[a].bytes) })
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%v ×%d (%s)", t, stats[t].n, mib(stats[t].bytes)))
	}
	p.line("tensor types", "%s", strings.Join(parts, ", "))
}

// inspectTokenizer prints the tokenizer family and FIM tokens, returning the tokenizer's
// error if it cannot be built.
func inspectTokenizer(p *printer, f *gguf.File) error {
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		p.line("tokenizer", "error: %v", err)
		return err
	}
	family := tok.Model()
	if tok.Pre() != "" {
		family += ", pre-tokenizer " + tok.Pre()
	}
	p.line("tokenizer", "%s, %d tokens, BOS %s, EOS %s, add BOS %v", family, tok.VocabSize(),
		tokenName(tok, tok.BOS()), tokenName(tok, tok.EOS()), tok.AddBOS())
	var eog []string
	for _, id := range tok.EOGTokens() {
		eog = append(eog, tokenName(tok, id))
	}
	p.line("stop tokens", "%s", strings.Join(eog, ", "))
	fim := tok.FIM()
	var found []string
	for _, e := range []struct {
		role string
		id   int32
	}{{"prefix", fim.Prefix}, {"suffix", fim.Suffix}, {"middle", fim.Middle}, {"pad", fim.Pad}, {"repo", fim.Repo}, {"file sep", fim.FileSep}} {
		if e.id >= 0 {
			found = append(found, e.role+" "+tokenName(tok, e.id))
		}
	}
	if len(found) == 0 {
		found = []string{"none (not a FIM model?)"}
	}
	p.line("FIM tokens", "%s", strings.Join(found, ", "))
	for _, w := range tok.Warnings() {
		p.line("warning", "%s", w)
	}
	return nil
}

func tokenName(tok *tokenizer.Tokenizer, id int32) string {
	if id < 0 {
		return "none"
	}
	return fmt.Sprintf("%q (%d)", tok.Text(id), id)
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func count(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
