package cuda

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPTXSignatures checks, without a GPU, that the committed kernels.ptx (what the cuda build
// embeds) defines every kernel the host launches with the parameter kinds the host passes.
func TestPTXSignatures(t *testing.T) {
	b, err := os.ReadFile("kernels.ptx")
	if err != nil {
		t.Fatalf("kernels.ptx (make ptx writes it): %v", err)
	}
	entry := regexp.MustCompile(`(?s)\.visible \.entry (\w+)\((.*?)\)`)
	param := regexp.MustCompile(`\.param \.(u64|u32|f32) `)
	kind := map[string]string{"u64": "p", "u32": "i", "f32": "f"}
	found := map[string]string{}
	for _, m := range entry.FindAllStringSubmatch(string(b), -1) {
		var sig strings.Builder
		for _, p := range param.FindAllStringSubmatch(m[2], -1) {
			sig.WriteString(kind[p[1]])
		}
		found[m[1]] = sig.String()
	}
	if len(kernelSigs) == 0 {
		t.Fatal("no kernels declared")
	}
	for name, k := range kernelSigs {
		got, ok := found[name]
		switch {
		case !ok:
			t.Errorf("kernels.ptx has no entry %s", name)
		case got != k.Params:
			t.Errorf("kernel %s: PTX parameters %q, host passes %q", name, got, k.Params)
		}
	}
	if !strings.Contains(string(b), ".target sm_") {
		t.Error("kernels.ptx has no .target line")
	}
}
