package node

import (
	"context"
	"log/slog"
)

// minLevel is a slog handler that drops records below a level; it keeps the
// actor system's routine chatter out of the server's log.
type minLevel struct {
	level slog.Level
	next  slog.Handler
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.next.Enabled(ctx, l)
}

func (h minLevel) Handle(ctx context.Context, r slog.Record) error { return h.next.Handle(ctx, r) }

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.level, h.next.WithAttrs(attrs)}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.level, h.next.WithGroup(name)}
}
