package lsp

// Logging: every record goes to Options.Logger (stderr for llmls --stdio); records at or
// above Options.ClientLogLevel are also sent to the client as window/logMessage, which
// editors show in the server's output panel. Nothing is ever written to the protocol stream
// except protocol messages.

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"go.lsp.dev/protocol"
)

// clientLogHandler is a slog.Handler that passes records to inner and forwards those at or
// above level to send, formatted as "message key=value ...".
type clientLogHandler struct {
	inner  slog.Handler
	level  slog.Level
	send   func(slog.Level, string)
	prefix string // attrs added by WithAttrs, pre-formatted
	group  string // group prefix for later attrs, "a.b."
}

func (h *clientLogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.level || h.inner.Enabled(ctx, level)
}

func (h *clientLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= h.level {
		var b strings.Builder
		b.WriteString(r.Message)
		b.WriteString(h.prefix)
		r.Attrs(func(a slog.Attr) bool {
			appendAttr(&b, h.group, a)
			return true
		})
		h.send(r.Level, b.String())
	}
	if h.inner.Enabled(ctx, r.Level) {
		return h.inner.Handle(ctx, r)
	}
	return nil
}

func (h *clientLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.inner = h.inner.WithAttrs(attrs)
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range attrs {
		appendAttr(&b, h.group, a)
	}
	c.prefix = b.String()
	return &c
}

func (h *clientLogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.inner = h.inner.WithGroup(name)
	c.group = h.group + name + "."
	return &c
}

func appendAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			appendAttr(b, g, ga)
		}
		return
	}
	fmt.Fprintf(b, " %s%s=%v", group, a.Key, a.Value)
}

// sendLog forwards one formatted record as window/logMessage, once the client has sent
// initialize (LSP allows window/logMessage from then on) and while the connection is up.
func (s *server) sendLog(level slog.Level, msg string) {
	typ := protocol.MessageTypeLog
	switch {
	case level >= slog.LevelError:
		typ = protocol.MessageTypeError
	case level >= slog.LevelWarn:
		typ = protocol.MessageTypeWarning
	case level >= slog.LevelInfo:
		typ = protocol.MessageTypeInfo
	}
	s.notify("window/logMessage", protocol.LogMessageParams{Type: typ, Message: msg})
}

// showMessage asks the client to show msg to the user (window/showMessage).
func (s *server) showMessage(typ protocol.MessageType, msg string) {
	s.notify("window/showMessage", protocol.ShowMessageParams{Type: typ, Message: msg})
}

// notify sends a notification to the client unless the lifecycle forbids it (before
// initialize) or the connection is gone. Failures are not logged through s.log, which would
// forward them again.
func (s *server) notify(method string, params any) {
	s.mu.Lock()
	ok := s.conn != nil && s.state != stateUninitialized && !s.exited
	s.mu.Unlock()
	if !ok {
		return
	}
	_ = s.conn.Notify(context.WithoutCancel(s.ctx), method, params)
}
