package lsp

import (
	"context"
	"encoding/json"
)

// MethodStats is llmls's own request for the engine's counters (requests, cache hits, model
// calls, prompt tokens evaluated, ...). `llmls bench --replay` and the editor plugins' status
// commands use it. Params: none. Result: the engine's StatsEngine.StatsSnapshot, or null.
const MethodStats = "llmls/stats"

// StatsEngine is implemented by an Engine that reports counters for MethodStats.
type StatsEngine interface {
	// StatsSnapshot returns the counters as a JSON-marshalable value.
	StatsSnapshot() any
}

func (s *server) stats(ctx context.Context, params json.RawMessage) (*asyncCall, error) {
	se, ok := s.engine.(StatsEngine)
	if !ok {
		return answer(nil), nil
	}
	return answer(se.StatsSnapshot()), nil
}
