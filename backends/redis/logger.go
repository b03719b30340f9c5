package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// go-redis logs what its clients go through (failed dials, sentinel and
// cluster topology changes) with a process-wide logger that writes to
// standard error, outside any logger the program chose: a Redis that is
// down printed four lines per request. Importing this package points that
// logger at SetLogger's, which discards by default.

var logger atomic.Pointer[slog.Logger]

func init() {
	logger.Store(slog.New(slog.DiscardHandler))
	goredis.SetLogger(forward{})
}

// SetLogger sends go-redis's log lines to l, at Warn level with the
// attribute component=go-redis; nil discards them (the default).
//
// go-redis has one logger per process, which importing this package sets
// (at init, before any client runs): the lines of every go-redis client in
// the program then go to l, not only those of this package's backends. A
// program that calls goredis.SetLogger itself afterwards takes it back.
func SetLogger(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	logger.Store(l)
}

// forward is the go-redis logger that hands lines to SetLogger's.
type forward struct{}

func (forward) Printf(ctx context.Context, format string, v ...any) {
	l := logger.Load()
	if ctx == nil {
		ctx = context.Background()
	}
	if !l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	l.WarnContext(ctx, fmt.Sprintf(format, v...), slog.String("component", "go-redis"))
}
