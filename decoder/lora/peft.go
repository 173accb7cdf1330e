package lora

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Hugging Face PEFT adapters (https://huggingface.co/docs/peft, src/peft/tuners/lora/config.py
// LoraConfig; src/peft/utils/save_and_load.py get_peft_model_state_dict).

const (
	peftConfigName  = "adapter_config.json"
	peftWeightsName = "adapter_model.safetensors"
	peftPickleName  = "adapter_model.bin"
	// peftPrefix starts every tensor name PEFT saves for a causal LM (PeftModel.base_model
	// (LoraModel) .model (the HF model)); llama.cpp's converter strips it too.
	peftPrefix = "base_model.model."
)

// peftConfig holds the adapter_config.json fields that matter for inference.
type peftConfig struct {
	PeftType      string          `json:"peft_type"`
	R             *float64        `json:"r"`
	LoraAlpha     *float64        `json:"lora_alpha"`
	UseRSLoRA     bool            `json:"use_rslora"`
	UseDoRA       bool            `json:"use_dora"`
	FanInFanOut   bool            `json:"fan_in_fan_out"` // layout of the base weight only: A and B are nn.Linear weights either way
	Bias          string          `json:"bias"`
	LoraBias      bool            `json:"lora_bias"`
	TargetModules json.RawMessage `json:"target_modules"`
	RankPattern   json.RawMessage `json:"rank_pattern"`
	AlphaPattern  json.RawMessage `json:"alpha_pattern"`
	BaseModel     string          `json:"base_model_name_or_path"`
}

// pattern is one rank_pattern / alpha_pattern entry: a regular expression over module
// names and its value.
type pattern struct {
	key string
	re  *regexp.Regexp
	val float64
}

// readPEFT reads the PEFT folder dir.
func readPEFT(dir string) (*Adapter, error) {
	cfgPath := filepath.Join(dir, peftConfigName)
	cfgBytes, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("lora: PEFT adapter: %w", err)
	}
	cfg, rankPat, alphaPat, err := parsePEFTConfig(cfgBytes, cfgPath)
	if err != nil {
		return nil, err
	}
	wPath := filepath.Join(dir, peftWeightsName)
	data, err := os.ReadFile(wPath)
	if errors.Is(err, os.ErrNotExist) {
		if _, perr := os.Stat(filepath.Join(dir, peftPickleName)); perr == nil {
			return nil, unsupportedErr(filepath.Join(dir, peftPickleName), "",
				"PyTorch pickle weights: save the adapter with safe_serialization=True (the default since PEFT 0.7) to get %s", peftWeightsName)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lora: PEFT adapter: %w", err)
	}
	a, err := parsePEFT(cfg, rankPat, alphaPat, data, wPath)
	if err != nil {
		return nil, err
	}
	a.Path = dir
	return a, nil
}

// parsePEFTConfig parses adapter_config.json. Errors: *Error naming the key.
func parsePEFTConfig(data []byte, file string) (*peftConfig, []pattern, []pattern, error) {
	keyErr := func(kind error, key, format string, a ...any) error {
		return &Error{File: file, Key: key, Offset: -1, Msg: fmt.Sprintf(format, a...), Kind: kind}
	}
	var cfg peftConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		e := &Error{File: file, Offset: -1, Msg: "not a PEFT adapter config", Kind: ErrFormat, Err: err}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			e.Offset = se.Offset
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			e.Key, e.Offset = te.Field, te.Offset
		}
		return nil, nil, nil, e
	}
	if cfg.PeftType != "" && cfg.PeftType != "LORA" {
		return nil, nil, nil, keyErr(ErrUnsupported, "peft_type", "%q (only LORA adapters)", cfg.PeftType)
	}
	if cfg.R == nil || *cfg.R < 1 || *cfg.R != math.Trunc(*cfg.R) || *cfg.R > 1<<20 {
		return nil, nil, nil, keyErr(ErrFormat, "r", "want a positive integer rank")
	}
	if cfg.LoraAlpha == nil || math.IsNaN(*cfg.LoraAlpha) || math.IsInf(*cfg.LoraAlpha, 0) {
		return nil, nil, nil, keyErr(ErrFormat, "lora_alpha", "want a number")
	}
	if cfg.UseDoRA {
		return nil, nil, nil, keyErr(ErrUnsupported, "use_dora", "DoRA (weight-decomposed LoRA) adapters")
	}
	if cfg.LoraBias {
		return nil, nil, nil, keyErr(ErrUnsupported, "lora_bias", "LoRA B biases")
	}
	if cfg.Bias != "" && cfg.Bias != "none" {
		return nil, nil, nil, keyErr(ErrUnsupported, "bias", "%q: trained base-model biases", cfg.Bias)
	}
	rankPat, err := parsePatterns(cfg.RankPattern, file, "rank_pattern")
	if err != nil {
		return nil, nil, nil, err
	}
	alphaPat, err := parsePatterns(cfg.AlphaPattern, file, "alpha_pattern")
	if err != nil {
		return nil, nil, nil, err
	}
	return &cfg, rankPat, alphaPat, nil
}

// parsePatterns parses a rank_pattern or alpha_pattern object, keeping the file order: PEFT
// uses the first key that matches (peft/utils/other.py get_pattern_key:
// re.match(rf"(.*\.)?({key})$", module_name)).
func parsePatterns(raw json.RawMessage, file, key string) ([]pattern, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	bad := func(format string, a ...any) error {
		return &Error{File: file, Key: key, Offset: -1, Msg: fmt.Sprintf(format, a...), Kind: ErrFormat}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, bad("want an object of module patterns to numbers")
	}
	var out []pattern
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, bad("%v", err)
		}
		k, _ := tok.(string)
		var v float64
		if err := dec.Decode(&v); err != nil {
			return nil, bad("%q: want a number: %v", k, err)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, bad("%q: %v is not finite", k, v)
		}
		re, err := regexp.Compile(`^(?:.*\.)?(?:` + k + `)$`)
		if err != nil {
			return nil, &Error{File: file, Key: key, Offset: -1, Msg: fmt.Sprintf("pattern %q is not an RE2 regular expression", k), Kind: ErrUnsupported, Err: err}
		}
		out = append(out, pattern{key: k, re: re, val: v})
	}
	return out, nil
}

// match returns the value of the first pattern matching module, or def.
func match(pats []pattern, module string, def float64) float64 {
	for _, p := range pats {
		if p.re.MatchString(module) {
			return p.val
		}
	}
	return def
}

// parsePEFT builds the adapter from the parsed config and the safetensors bytes.
func parsePEFT(cfg *peftConfig, rankPat, alphaPat []pattern, data []byte, file string) (*Adapter, error) {
	tensors, _, err := parseSafetensors(data, file)
	if err != nil {
		return nil, err
	}
	type half struct{ a, b *stTensor }
	halves := map[string]*half{} // by HF module name
	var order []string
	for i := range tensors {
		t := &tensors[i]
		module, isA, err := splitPEFTName(t.Name, file)
		if err != nil {
			return nil, err
		}
		h := halves[module]
		if h == nil {
			h = &half{}
			halves[module] = h
			order = append(order, module)
		}
		slot := &h.b
		if isA {
			slot = &h.a
		}
		if *slot != nil {
			return nil, formatErr(file, t.Name, "a second tensor for the same LoRA matrix (also %q)", (*slot).Name)
		}
		*slot = t
	}
	a := &Adapter{Info: Info{Format: FormatPEFT, BaseModel: cfg.BaseModel, Alpha: float32(*cfg.LoraAlpha),
		Rank: int(*cfg.R), RSLoRA: cfg.UseRSLoRA}}
	for _, module := range order {
		h := halves[module]
		tgt, ok := parseHFModule(module)
		if !ok {
			name := h.a
			if name == nil {
				name = h.b
			}
			if strings.HasSuffix(module, "embed_tokens") {
				return nil, unsupportedErr(file, name.Name, "LoRA on token embeddings (embed_tokens)")
			}
			return nil, unsupportedErr(file, name.Name, "unknown target module %q (llmls adapts q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj of model.layers.N, and lm_head)", module)
		}
		if h.a == nil || h.b == nil {
			present := h.a
			if present == nil {
				present = h.b
			}
			return nil, formatErr(file, present.Name, "the other half (lora_A / lora_B) of module %s is missing", module)
		}
		if len(h.a.Shape) != 2 || len(h.b.Shape) != 2 {
			return nil, formatErr(file, h.a.Name, "lora_A %s and lora_B %s must be matrices", shapeString(h.a.Shape), shapeString(h.b.Shape))
		}
		rank, in, out, rankB := int(h.a.Shape[0]), int(h.a.Shape[1]), int(h.b.Shape[0]), int(h.b.Shape[1])
		if rank != rankB {
			return nil, formatErr(file, h.b.Name, "lora_B %s has rank %d, lora_A %s rank %d", shapeString(h.b.Shape), rankB, shapeString(h.a.Shape), rank)
		}
		if want := match(rankPat, module, *cfg.R); float64(rank) != want {
			return nil, formatErr(file, h.a.Name, "rank %d, but %s says %v (r / rank_pattern)", rank, peftConfigName, want)
		}
		av, err := h.a.float32s(file)
		if err != nil {
			return nil, err
		}
		bv, err := h.b.float32s(file)
		if err != nil {
			return nil, err
		}
		alpha := float32(match(alphaPat, module, *cfg.LoraAlpha))
		p, err := newPair(file, tgt, h.a.Name, h.b.Name, rank, in, out, av, bv, alpha, cfg.UseRSLoRA)
		if err != nil {
			return nil, err
		}
		a.Pairs = append(a.Pairs, p)
	}
	if len(a.Pairs) == 0 {
		return nil, formatErr(file, "", "no lora_A / lora_B tensors")
	}
	if err := sortPairs(file, a.Pairs); err != nil {
		return nil, err
	}
	return a, nil
}

// splitPEFTName splits "base_model.model.<module>.lora_A.weight" into the module name and
// whether it is the A half. Other tensors PEFT may save are reported as unsupported.
func splitPEFTName(name, file string) (module string, isA bool, err error) {
	rest := strings.TrimPrefix(name, peftPrefix)
	if m, ok := strings.CutSuffix(rest, ".lora_A.weight"); ok {
		return m, true, nil
	}
	if m, ok := strings.CutSuffix(rest, ".lora_B.weight"); ok {
		return m, false, nil
	}
	switch {
	case strings.HasSuffix(rest, ".lora_magnitude_vector") || strings.Contains(rest, ".lora_magnitude_vector."):
		return "", false, unsupportedErr(file, name, "DoRA magnitude vector")
	case strings.Contains(rest, ".lora_embedding_"):
		return "", false, unsupportedErr(file, name, "LoRA on token embeddings")
	case strings.HasSuffix(rest, ".lora_B.bias") || strings.HasSuffix(rest, ".lora_A.bias"):
		return "", false, unsupportedErr(file, name, "LoRA biases")
	case strings.Contains(rest, ".lora_A.") || strings.Contains(rest, ".lora_B."):
		return "", false, unsupportedErr(file, name, "adapter-named LoRA tensor (save with PEFT's save_pretrained, which strips the adapter name)")
	}
	return "", false, unsupportedErr(file, name, "not a lora_A / lora_B tensor (full weights from modules_to_save, or trained biases, are not supported)")
}
