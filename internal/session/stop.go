package session

import (
	"context"
	"errors"
	"syscall"
)

// Stopped is why a run was stopped before its end: a signal, or the run's
// time limit (--max-time). It is the cause of the run's context, so what
// the user reads is "interrupted", never "context canceled".
type Stopped struct {
	Reason string         // "interrupted", "terminated", "stopped: ..."
	Signal syscall.Signal // 0 for the time limit
}

func (e *Stopped) Error() string { return e.Reason }

// Unwrap makes a stop by signal context.Canceled and one by the time
// limit context.DeadlineExceeded, for code that only asks "was it cut?".
func (e *Stopped) Unwrap() error {
	if e.Signal == 0 {
		return context.DeadlineExceeded
	}
	return context.Canceled
}

// StoppedBy is the cause for a signal: SIGINT (Ctrl-C) interrupts,
// SIGTERM terminates.
func StoppedBy(sig syscall.Signal) *Stopped {
	if sig == syscall.SIGTERM {
		return &Stopped{Reason: "terminated", Signal: sig}
	}
	return &Stopped{Reason: "interrupted", Signal: sig}
}

// WhyStopped returns the reason ctx ended (a *Stopped) when it has, and
// err otherwise. A failure that came after the end of ctx is that end's
// doing (a read cut short, a connection closed), so the reason replaces it.
func WhyStopped(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	var st *Stopped
	if cause := context.Cause(ctx); errors.As(cause, &st) {
		return st
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Stopped{Reason: "stopped: out of time"}
	}
	return StoppedBy(syscall.SIGINT)
}
