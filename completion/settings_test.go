package completion_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/llmls/llmls/completion"
)

// TestSettingsDocUpToDate: docs/settings.md is generated from the doc comments of Settings.
func TestSettingsDocUpToDate(t *testing.T) {
	want, err := exec.Command("go", "run", "./internal/gensettings").Output()
	if err != nil {
		// The generator reads completion/settings.go relative to the repository root.
		cmd := exec.Command("go", "run", "./completion/internal/gensettings")
		cmd.Dir = ".."
		want, err = cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(filepath.Join("..", "docs", "settings.md"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("docs/settings.md is stale: run go run ./completion/internal/gensettings > docs/settings.md")
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name, raw string
		check     func(s completion.Settings) bool
		wantErr   bool
	}{
		{"null", `null`, func(s completion.Settings) bool { return s.Model == "" }, false},
		{"top level", `{"model":"/m.gguf","maxTokens":32}`, func(s completion.Settings) bool { return s.Model == "/m.gguf" && s.MaxTokens == 32 }, false},
		{"vscode section", `{"llmls":{"model":"/v.gguf"}}`, func(s completion.Settings) bool { return s.Model == "/v.gguf" }, false},
		{"explicit zero debounce", `{"debounceMs":0}`, func(s completion.Settings) bool { return s.DebounceMs != nil && *s.DebounceMs == 0 }, false},
		{"wrong type", `{"maxTokens":"many"}`, nil, true},
		{"not an object", `[1,2]`, nil, true},
	}
	for _, tc := range tests {
		s, err := completion.ParseSettings(json.RawMessage(tc.raw))
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err %v", tc.name, err)
			continue
		}
		if err == nil && !tc.check(s) {
			t.Errorf("%s: got %+v", tc.name, s)
		}
	}
}

func TestSettingsMerge(t *testing.T) {
	zero := 0
	base := completion.Settings{Model: "/base.gguf", MaxTokens: 64}
	got := base.Merge(completion.Settings{MaxTokens: 16, DebounceMs: &zero}).WithDefaults()
	if got.Model != "/base.gguf" || got.MaxTokens != 16 || *got.DebounceMs != 0 || *got.Temperature != completion.DefaultTemperature {
		t.Errorf("merged %+v", got)
	}
}

// TestSettingsHomePaths: a leading "~/" in the model, draft model and adapter paths is the
// home directory (editors' settings are not expanded by a shell; the documented examples use
// "~/models/..."); other paths are left as written.
func TestSettingsHomePaths(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, tc := range []struct {
		name, in, want string
	}{
		{name: "home", in: "~/models/m.gguf", want: filepath.Join(home, "models", "m.gguf")},
		{name: "absolute", in: "/opt/m.gguf", want: "/opt/m.gguf"},
		{name: "tilde inside", in: "/opt/~/m.gguf", want: "/opt/~/m.gguf"},
		{name: "other user", in: "~bob/m.gguf", want: "~bob/m.gguf"},
		{name: "none", in: "none", want: "none"},
		{name: "empty", in: "", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lora := []completion.LoRASetting{{Path: tc.in}}
			s := completion.Settings{Model: tc.in, DraftModel: tc.in, LoRA: lora}.WithDefaults()
			if s.Model != tc.want || s.DraftModel != tc.want || len(s.LoRA) != 1 || s.LoRA[0].Path != tc.want {
				t.Errorf("model %q, draftModel %q, lora %+v; want %q", s.Model, s.DraftModel, s.LoRA, tc.want)
			}
			if lora[0].Path != tc.in {
				t.Errorf("the caller's LoRA slice was changed to %q", lora[0].Path)
			}
		})
	}
}
