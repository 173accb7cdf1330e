package lsp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/llmls/llmls/completion"
)

func TestConfigurationOrdersRequests(t *testing.T) {
	e := newFakeEngine()
	release := make(chan struct{})
	e.configure = func(ctx context.Context, settings json.RawMessage) error {
		if string(settings) == `{"model":"big.gguf"}` {
			<-release
			e.mu.Lock()
			e.record("ConfigureDone %s", settings)
			e.mu.Unlock()
		}
		return nil
	}
	s := startInitialized(t, e)
	s.c.DidOpen(s.ctx, "file:///a.go", "go", 1, "abc")
	s.c.Configure(s.ctx, map[string]string{"model": "big.gguf"})
	p, err := s.c.StartInlineCompletion(s.ctx, "file:///a.go", 0, 1, completion.Invoked)
	if err != nil {
		t.Fatal(err)
	}
	// The request must wait for Configure: give it a chance to run early, then release.
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := p.Result(s.ctx, nil); err != nil {
		t.Fatal(err)
	}
	calls, _, _, _ := e.snapshot()
	joined := strings.Join(calls, "\n")
	done := strings.Index(joined, "ConfigureDone")
	inline := strings.Index(joined, "InlineCompletion")
	if done < 0 || inline < done {
		t.Errorf("engine calls in the wrong order:\n%s", joined)
	}
	s.finish(t)
}

func TestConfigurationProgressAndError(t *testing.T) {
	e := newFakeEngine()
	release := make(chan struct{})
	e.configure = func(ctx context.Context, settings json.RawMessage) error {
		if string(settings) == `{"model":"missing.gguf"}` {
			<-release
			return errors.New(`model "missing.gguf": open: no such file or directory`)
		}
		return nil
	}
	s := startInitialized(t, e)
	s.c.Configure(s.ctx, map[string]string{"model": "missing.gguf"})
	begin, err := s.c.WaitNotification(s.ctx, "$/progress")
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	end, err := s.c.WaitNotification(s.ctx, "$/progress")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(begin.Params), `"kind":"begin"`) || !strings.Contains(string(end.Params), `"kind":"end"`) ||
		!strings.Contains(string(end.Params), "missing.gguf") {
		t.Errorf("progress %s then %s", begin.Params, end.Params)
	}
	msg, err := s.c.WaitNotification(s.ctx, "window/showMessage")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(msg.Params), "missing.gguf") || !strings.Contains(string(msg.Params), `"type":1`) {
		t.Errorf("showMessage %s, want an error naming the file", msg.Params)
	}
	s.finish(t)
}

func TestConfigurationSupersedes(t *testing.T) {
	e := newFakeEngine()
	firstCancelled := make(chan error, 1)
	e.configure = func(ctx context.Context, settings json.RawMessage) error {
		if string(settings) == `{"n":1}` {
			<-ctx.Done()
			firstCancelled <- ctx.Err()
			return ctx.Err()
		}
		return nil
	}
	s := startInitialized(t, e)
	s.c.Configure(s.ctx, map[string]int{"n": 1})
	s.c.Configure(s.ctx, map[string]int{"n": 2})
	select {
	case err := <-firstCancelled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("first Configure ended with %v", err)
		}
	case <-s.ctx.Done():
		t.Fatal("the superseded Configure was not cancelled")
	}
	s.c.DidOpen(s.ctx, "file:///a.go", "go", 1, "x")
	if _, err := s.c.InlineCompletion(s.ctx, "file:///a.go", 0, 0, completion.Invoked); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	settings := e.settings
	e.mu.Unlock()
	if len(settings) != 3 || string(settings[2]) != `{"n":2}` {
		t.Errorf("settings %q", settings)
	}
	if len(s.c.Notifications("window/showMessage")) != 0 {
		t.Error("a superseded configuration was shown as an error")
	}
	s.finish(t)
}

// TestConfigurationPartly: settings applied in part (completion.ErrPartlyApplied) are a
// warning naming what was left out, not a "settings not applied" error.
func TestConfigurationPartly(t *testing.T) {
	e := newFakeEngine()
	e.configure = func(ctx context.Context, settings json.RawMessage) error {
		if string(settings) == `{"draftModel":"other-vocab.gguf"}` {
			return fmt.Errorf("%w: draftModel %q not used: another vocabulary", completion.ErrPartlyApplied, "other-vocab.gguf")
		}
		return nil
	}
	s := startInitialized(t, e)
	s.c.Configure(s.ctx, map[string]string{"draftModel": "other-vocab.gguf"})
	msg, err := s.c.WaitNotification(s.ctx, "window/showMessage")
	if err != nil {
		t.Fatal(err)
	}
	p := string(msg.Params)
	if !strings.Contains(p, "other-vocab.gguf") || !strings.Contains(p, `"type":2`) || strings.Contains(p, "not applied") {
		t.Errorf("showMessage %s, want a warning naming the draft model", p)
	}
	s.finish(t)
}
