package lora

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmls/llmls/decoder/gguf"
)

// IsAdapter reports whether path looks like a LoRA adapter: a folder holding
// adapter_config.json (or that file, or its adapter_model.safetensors), or a GGUF file whose
// general.type is "adapter". Unreadable paths are not adapters.
func IsAdapter(path string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	if st.IsDir() {
		_, err := os.Stat(filepath.Join(path, peftConfigName))
		return err == nil
	}
	if b := filepath.Base(path); b == peftConfigName || b == peftWeightsName {
		return true
	}
	f, err := gguf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	typ, err := f.String(keyGeneralType)
	return err == nil && typ == "adapter"
}

// Inspect writes a summary of the adapter at path to w (llmls inspect ADAPTER): format, the
// base model it names, rank, alpha, the scaling alpha/rank (rsLoRA alpha/√rank), target
// modules, layers and parameter count. With basePath (a GGUF model) it also says whether the
// adapter fits that model. It returns the error that would stop loading the adapter onto
// that base (see Read and Fit), or a write error.
func Inspect(w io.Writer, path, basePath string) error {
	a, err := Read(path)
	if err != nil {
		return err
	}
	p := &printer{w: w}
	switch a.Format {
	case FormatPEFT:
		p.line("adapter", "%s (PEFT: %s + %s)", a.Path, peftConfigName, peftWeightsName)
	default:
		p.line("adapter", "%s (GGUF LoRA adapter)", a.Path)
	}
	if a.BaseModel != "" {
		p.line("trained on", "%s", a.BaseModel)
	}
	if a.Arch != "" {
		p.line("architecture", "%s", a.Arch)
	}
	p.line("rank", "%s", a.rankSummary())
	p.line("alpha", "%g", a.Alpha)
	p.line("scaling", "%s (× the user scale)", a.scaleSummary())
	p.line("targets", "%s", strings.Join(a.Targets, " "))
	p.line("layers", "%s", layerRanges(a.Layers))
	p.line("parameters", "%d in %d A/B pairs (%.1f KiB as F32)", a.Params, len(a.Pairs), float64(a.Params)*4/1024)
	var fitErr error
	if basePath == "" {
		p.line("fits", "(give a base model to check: llmls inspect --model BASE.gguf ADAPTER)")
	} else {
		fitErr = fitFile(a, basePath)
		if fitErr != nil {
			p.line("fits", "no: %v", fitErr)
		} else {
			p.line("fits", "yes: %s (%d tensors adapted)", basePath, len(a.Pairs))
		}
	}
	if p.err != nil {
		return p.err
	}
	return fitErr
}

// fitFile fits a to the GGUF model at basePath.
func fitFile(a *Adapter, basePath string) error {
	f, err := gguf.Open(basePath)
	if err != nil {
		return err
	}
	defer f.Close()
	base, err := BaseFromGGUF(f)
	if err != nil {
		return err
	}
	return a.Fit(base)
}

// rankSummary is the rank, or the range of ranks when they differ per tensor.
func (a *Adapter) rankSummary() string {
	lo, hi := a.Rank, 0
	for _, p := range a.Pairs {
		lo, hi = min(lo, p.Rank), max(hi, p.Rank)
	}
	if lo == hi {
		return fmt.Sprint(hi)
	}
	return fmt.Sprintf("%d–%d (rank_pattern)", lo, hi)
}

// scaleSummary describes Pair.Scale: the formula and its value(s).
func (a *Adapter) scaleSummary() string {
	formula := "alpha/rank"
	switch {
	case a.RSLoRA:
		formula = "alpha/√rank (rsLoRA)"
	case a.Format == FormatGGUF && a.Alpha == 0:
		formula = "1 (no adapter.lora.alpha)"
	}
	lo, hi := float32(0), float32(0)
	for i, p := range a.Pairs {
		if i == 0 || p.Scale < lo {
			lo = p.Scale
		}
		if i == 0 || p.Scale > hi {
			hi = p.Scale
		}
	}
	if lo == hi {
		return fmt.Sprintf("%s = %g", formula, hi)
	}
	return fmt.Sprintf("%s = %g–%g", formula, lo, hi)
}

// layerRanges formats ascending block indices as "0–23" or "0–3, 8, 10–11".
func layerRanges(layers []int) string {
	if len(layers) == 0 {
		return "none (output only)"
	}
	var parts []string
	for i := 0; i < len(layers); {
		j := i
		for j+1 < len(layers) && layers[j+1] == layers[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, fmt.Sprint(layers[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d–%d", layers[i], layers[j]))
		}
		i = j + 1
	}
	return fmt.Sprintf("%s (%d)", strings.Join(parts, ", "), len(layers))
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
