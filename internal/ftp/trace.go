package ftp

import "context"

// Trace sees the exchanges a Conn makes under one context, as
// net/http/httptrace does for HTTP: a client shows its user the replies
// to the commands they typed, and not those of its own bookkeeping (a
// FEAT, a size check), by tracing one context and not the other.
// Options.OnSend and OnReply, by contrast, see everything on the Conn.
type Trace struct {
	Sent  func(line string) // a command line, secrets masked
	Reply func(r *Reply)
}

type traceKey struct{}

// WithTrace returns ctx with t attached; nil detaches any trace.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// TraceFrom returns the trace attached to ctx, or nil.
func TraceFrom(ctx context.Context) *Trace { return traceOf(ctx) }

func traceOf(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}
