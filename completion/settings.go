package completion

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Settings are the user's options. They come, in increasing priority, from the defaults, the
// config file ($XDG_CONFIG_HOME/llmls/config.toml), LLMLS_* environment variables, the
// client's initializationOptions and workspace/didChangeConfiguration. The doc comment of
// each field is its user documentation (docs/settings.md is generated from it).
type Settings struct {
	// Model is the path of a GGUF model file (a FIM code model: Qwen2.5-Coder, DeepSeek-Coder,
	// StarCoder2, CodeLlama, CodeGemma, Codestral); "~/" starts it in the home directory.
	// Empty: the embedded default model. Environment: LLMLS_MODEL.
	Model string `json:"model" toml:"model"`

	// DraftModel is the path of a small GGUF model with the same vocabulary as Model, used for
	// speculative decoding (the draft proposes tokens, the model checks several in one pass;
	// the completions are the same, only faster). Empty: the embedded draft model with the
	// embedded model, none with another model. "none" switches draft-model speculation off.
	// A draft model that does not load or has another vocabulary is reported and left out.
	// Environment: LLMLS_DRAFT_MODEL.
	DraftModel string `json:"draftModel" toml:"draftModel"`

	// Lookup enables prompt-lookup speculative decoding: tokens that followed the same few
	// tokens earlier in the prompt (code repeats itself: the next case, field or test row)
	// are proposed and checked several in one pass. Lossless (the completions are the same)
	// and adaptive (it steps aside where it does not pay). With a draft model, lookup is
	// tried first. Default true.
	Lookup *bool `json:"lookup" toml:"lookup"`

	// LoRA lists LoRA adapters (PEFT folders or GGUF adapters) for the local model, loaded
	// once and applied unmerged, each to the documents its Languages / Folders match (all
	// documents when both are empty); several may apply at once. An adapter that does not
	// load (missing file, another base model's adapter, bad values) is reported and left
	// out: completion goes on without it.
	LoRA []LoRASetting `json:"lora" toml:"lora"`

	// Backend chooses what generates: "local" (the built-in decoder, default), or a serving
	// engine: "openai" (OpenAI-compatible /v1/completions: vLLM, TGI, llama.cpp server),
	// "llamacpp" (llama.cpp server /infill), "ollama" (/api/generate), "tgi" (/generate_stream).
	Backend string `json:"backend" toml:"backend"`

	// Endpoint is the base URL of the serving engine, e.g. "http://127.0.0.1:8080".
	Endpoint string `json:"endpoint" toml:"endpoint"`

	// RemoteModel is the model name sent to the serving engine (OpenAI "model", Ollama "model").
	RemoteModel string `json:"remoteModel" toml:"remoteModel"`

	// APIKeyEnv names the environment variable that holds the serving engine's API key
	// (sent as a bearer token). The key itself never goes into a settings file.
	APIKeyEnv string `json:"apiKeyEnv" toml:"apiKeyEnv"`

	// FIMFamily overrides the FIM format detected from the model's vocabulary:
	// "qwen2.5-coder", "starcoder", "deepseek-coder", "codellama", "codegemma", "codestral".
	// Required with a remote backend.
	FIMFamily string `json:"fimFamily" toml:"fimFamily"`

	// FIMOrder is "psm" or "spm" (suffix first, better KV-cache reuse; only for models trained
	// with it). Empty: the model's own (spm for the embedded model, psm otherwise).
	FIMOrder string `json:"fimOrder" toml:"fimOrder"`

	// MaxTokens is the most tokens one completion may generate. Default 64.
	MaxTokens int `json:"maxTokens" toml:"maxTokens"`

	// ContextTokens is the prompt budget in tokens (prefix + suffix + snippets). Default: sized
	// from the model's context, at most 2,048 (every prompt token costs latency on a CPU).
	ContextTokens int `json:"contextTokens" toml:"contextTokens"`

	// DebounceMs delays automatic completion requests this long (ms) so that fast typing does
	// not start a generation per key. Invoked requests are never delayed. Default 25.
	DebounceMs *int `json:"debounceMs" toml:"debounceMs"`

	// Threads is the number of CPU threads the local decoder uses. Default: all cores.
	Threads int `json:"threads" toml:"threads"`

	// Device is "cpu" or "cuda" (builds with the cuda tag). Default: cuda when available.
	Device string `json:"device" toml:"device"`

	// Temperature for extra items of invoked completions; the first item is always greedy.
	// Default 0.6.
	Temperature *float32 `json:"temperature" toml:"temperature"`

	// InvokedItems is the number of items for an invoked (explicit) completion. Default 3.
	InvokedItems int `json:"invokedItems" toml:"invokedItems"`

	// Enabled switches inline completion on or off. Default true.
	Enabled *bool `json:"enabled" toml:"enabled"`
}

// LoRASetting is one adapter in Settings.LoRA.
type LoRASetting struct {
	// Path of a PEFT folder (adapter_config.json + adapter_model.safetensors) or a GGUF
	// adapter; "~/" starts it in the home directory.
	Path string `json:"path" toml:"path"`
	// Scale multiplies the adapter's alpha/rank scaling. Default 1.
	Scale *float32 `json:"scale" toml:"scale"`
	// Languages lists the LSP language ids (such as "go", "python") of the documents where the
	// adapter applies, compared without regard to case; empty: all.
	Languages []string `json:"languages" toml:"languages"`
	// Folders lists the folders whose documents (at any depth) the adapter applies to:
	// absolute paths, "~/..." or file:// URIs, e.g. workspace folders; empty: all.
	Folders []string `json:"folders" toml:"folders"`
}

// Defaults.
const (
	DefaultMaxTokens    = 64
	DefaultDebounceMs   = 25
	DefaultTemperature  = 0.6
	DefaultInvokedItems = 3
	DefaultLookup       = true
)

// WithDefaults returns s with every unset option set to its default, and a leading "~/" of
// the model, draft model and adapter paths replaced by the home directory (settings from an
// editor or a config file are not expanded by a shell).
func (s Settings) WithDefaults() Settings {
	s.Model = expandHome(s.Model)
	s.DraftModel = expandHome(s.DraftModel)
	if len(s.LoRA) > 0 {
		s.LoRA = slices.Clone(s.LoRA)
		for i := range s.LoRA {
			s.LoRA[i].Path = expandHome(s.LoRA[i].Path)
		}
	}
	if s.MaxTokens <= 0 {
		s.MaxTokens = DefaultMaxTokens
	}
	if s.DebounceMs == nil {
		d := DefaultDebounceMs
		s.DebounceMs = &d
	}
	if s.Temperature == nil {
		t := float32(DefaultTemperature)
		s.Temperature = &t
	}
	if s.InvokedItems <= 0 {
		s.InvokedItems = DefaultInvokedItems
	}
	if s.Backend == "" {
		s.Backend = "local"
	}
	if s.Enabled == nil {
		t := true
		s.Enabled = &t
	}
	if s.Lookup == nil {
		l := DefaultLookup
		s.Lookup = &l
	}
	return s
}

// expandHome replaces a leading "~/" of path by the home directory; other paths, and every
// path when the home directory is unknown (the load then fails naming the path as written),
// are returned as they are.
func expandHome(path string) string {
	if !strings.HasPrefix(path, "~/") {
		return path
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return path
	}
	return filepath.Join(home, path[2:])
}

// Merge returns s with the options set in o replacing its own. An option is set when it is
// not its type's zero value; pointer options (DebounceMs, Lookup, ...) are set when non-nil,
// so an explicit 0 or false still overrides.
func (s Settings) Merge(o Settings) Settings {
	dst := reflect.ValueOf(&s).Elem()
	src := reflect.ValueOf(o)
	for i := 0; i < src.NumField(); i++ {
		if f := src.Field(i); !f.IsZero() {
			dst.Field(i).Set(f)
		}
	}
	return s
}

// ParseSettings decodes client settings: a JSON object with the fields of Settings, either at
// the top level or under "llmls" (VS Code sends its section that way). Unknown fields are
// ignored; a field of the wrong type is an error naming it.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if len(raw) == 0 || string(raw) == "null" {
		return s, nil
	}
	var wrapper struct {
		LLMLS json.RawMessage `json:"llmls"`
	}
	if err := json.Unmarshal(raw, &wrapper); err != nil {
		return s, fmt.Errorf("completion: settings: %w", err)
	}
	if len(wrapper.LLMLS) > 0 && string(wrapper.LLMLS) != "null" {
		raw = wrapper.LLMLS
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("completion: settings: %w", err)
	}
	return s, nil
}

// LoadConfigFile reads the config file: $XDG_CONFIG_HOME/llmls/config.toml (or
// ~/.config/llmls/config.toml). A missing file is not an error.
func LoadConfigFile() (Settings, string, error) {
	var s Settings
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return s, "", nil
		}
		dir = filepath.Join(home, ".config")
	}
	path := filepath.Join(dir, "llmls", "config.toml")
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return s, path, nil
	}
	if err != nil {
		return s, path, err
	}
	if _, err := toml.Decode(string(data), &s); err != nil {
		return s, path, fmt.Errorf("completion: %s: %w", path, err)
	}
	return s, path, nil
}

// EnvSettings reads LLMLS_MODEL, LLMLS_DRAFT_MODEL, LLMLS_BACKEND and LLMLS_ENDPOINT.
func EnvSettings() Settings {
	return Settings{
		Model:      os.Getenv("LLMLS_MODEL"),
		DraftModel: os.Getenv("LLMLS_DRAFT_MODEL"),
		Backend:    strings.ToLower(os.Getenv("LLMLS_BACKEND")),
		Endpoint:   os.Getenv("LLMLS_ENDPOINT"),
	}
}
