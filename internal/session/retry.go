package session

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"syscall"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// maxRetryWait caps the doubling wait between tries.
const maxRetryWait = 30 * time.Second

// transient reports a failure that may pass if tried again: a 4xx reply
// (421 included), a lost or reset connection, a stalled transfer. A data
// connection that cannot be made is not, unless data connections worked
// earlier in this session (a passing network fault): otherwise it is a
// firewall or mode problem that would fail again, each after a timeout.
func (s *Session) transient(err error) bool {
	var de *ftp.DataConnError
	if errors.As(err, &de) && !errors.Is(err, context.Canceled) {
		return s.worked()
	}
	return transient(err)
}

func transient(err error) bool {
	var (
		de *ftp.DataConnError
		re *ftp.ReplyError
		ce *ConnectError
		ne *net.OpError // the network's; syscall.Errno (a local file's error) also has Timeout
		pe *fs.PathError
	)
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &de), errors.As(err, &pe):
		return false
	case errors.As(err, &re):
		return re.Temporary()
	case errors.Is(err, ftp.ErrClosed), errors.As(err, &ce), errors.Is(err, ftp.ErrStalled),
		errors.As(err, &ne), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// retrying runs op on l, and runs it again while it fails transiently,
// up to the session's retry count, waiting retryWait, then twice that, and
// so on. A lost connection is re-established first (login and directory
// restored). op learns whether it is a retry, to resume. Destructive
// commands (delete, mdelete, rmdir, rename) never come here: whether a
// lost DELE was done is unknown, and doing it twice is not harmless.
func (l *link) retrying(ctx context.Context, what string, op func(retry bool) error) error {
	return l.retryingMoving(ctx, what, nil, op)
}

// retryingMoving is retrying for a transfer: moved tells how many bytes
// it has so far. A failure that is a timeout (no reply, a stall) right
// after another timeout, with no byte moved in between, ends the retries:
// the server is stuck, not glitching, and each further try would cost a
// whole timeout. A network that drops out now and then still moves bytes
// between its drops, and is tried again up to the retry count.
func (l *link) retryingMoving(ctx context.Context, what string, moved func() int64, op func(retry bool) error) error {
	s := l.s
	if moved == nil {
		moved = func() int64 { return 0 }
	}
	wait := s.opts.RetryWait
	err := op(false)
	stuck := stuckServer{last: -1}
	for try := 1; try <= s.opts.Retries && s.transient(err) && ctx.Err() == nil; try++ {
		if stuck.after(err, moved()) {
			break
		}
		if err := s.pause(ctx, what, err, try, &wait); err != nil {
			return err
		}
		if !l.connected() {
			if err = l.reconnect(ctx); err != nil {
				continue
			}
		}
		err = op(true)
	}
	return err
}

// stuckServer tells a stuck server from a network that drops out now and
// then: two timeouts in a row with no byte moved between them.
type stuckServer struct {
	last int64 // bytes moved at the previous timeout; -1: none
}

// after reports whether the failure err, with moved bytes moved so far,
// shows the server stuck.
func (k *stuckServer) after(err error, moved int64) bool {
	if !timedOut(err) {
		k.last = -1
		return false
	}
	if k.last >= 0 && moved <= k.last {
		return true
	}
	k.last = moved
	return false
}

// timedOut reports a failure that is a wait running out: no reply, no
// answer to a connection attempt, a transfer that stopped moving.
func timedOut(err error) bool {
	return errors.Is(err, ftp.ErrTimeout) || errors.Is(err, ftp.ErrStalled)
}

// pause says that what failed with err is tried again, logs it, and waits
// *wait, which then doubles (up to maxRetryWait).
func (s *Session) pause(ctx context.Context, what string, err error, try int, wait *time.Duration) error {
	s.Warnf("%s: %v; trying again in %s (%d of %d)", what, err, *wait, try, s.opts.Retries)
	s.logf("retry: %s: %v (%d of %d)", what, err, try, s.opts.Retries)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*wait):
	}
	*wait = min(2**wait, maxRetryWait)
	return nil
}
