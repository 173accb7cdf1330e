package lsp

import (
	"bytes"
	"context"
	"io"
	"log/slog"

	"go.lsp.dev/jsonrpc2"
)

// readWriteBuffer feeds input to a stream and collects what it writes.
type readWriteBuffer struct {
	in  io.Reader
	out bytes.Buffer
}

func (*readWriteBuffer) Close() error { return nil }

func (b *readWriteBuffer) Read(p []byte) (int, error)  { return b.in.Read(p) }
func (b *readWriteBuffer) Write(p []byte) (int, error) { return b.out.Write(p) }

// ReadMessages runs the transport over input until it ends and returns the messages it
// decoded and every byte it wrote back (its error replies).
func ReadMessages(input []byte, maxBody int64) (msgs []jsonrpc2.Message, output []byte, err error) {
	conn := &readWriteBuffer{in: bytes.NewReader(input)}
	s := newStream(conn, maxBody, slog.New(slog.DiscardHandler))
	for {
		msg, _, err := s.Read(context.Background())
		if err != nil {
			return msgs, conn.out.Bytes(), err
		}
		msgs = append(msgs, msg)
	}
}
