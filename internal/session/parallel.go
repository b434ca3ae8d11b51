package session

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gftp/gftp/internal/ftp"
)

// fileOp is one file's part of a multi-file command, run on link l with
// its transcript lines going to t.
type fileOp func(ctx context.Context, l *link, t transcript, file string) error

// multi runs op on each file: serially on the main link, asking per file
// at the prompt as ftp(1) does; or, with n > 1, over n links at once,
// after asking for every file first. It goes on past failures (each is
// printed when there are several) but stops at a lost connection or a
// data connection that cannot be made, which would fail every remaining
// file the same way, each after a timeout. The result wraps the first
// failure, so its kind (a server refusal, say) sets the exit status.
// The extra links come from a (opened while the files were listed), else
// are opened now.
func (s *Session) multi(ctx context.Context, verb string, files []string, n int, a *ahead, op fileOp) error {
	return s.multiMax(ctx, verb, files, n, a, 0, op)
}

// multiMax is multi that starts no more files after maxErrors of them
// failed (0: no limit), as mirror --max-errors asks.
func (s *Session) multiMax(ctx context.Context, verb string, files []string, n int, a *ahead, maxErrors int, op fileOp) error {
	s.takeRestart() // a restart point is for one get, put or append
	c := s.newConfirmer(verb)
	if n <= 1 {
		return s.serial(ctx, verb, files, c, maxErrors, op)
	}
	var chosen []string
	for _, f := range files {
		if c.ok(f) {
			chosen = append(chosen, f)
		}
	}
	if len(chosen) <= 1 {
		return s.serial(ctx, verb, chosen, c, maxErrors, op)
	}
	n = min(n, len(chosen))
	if a == nil {
		a = s.openAhead(ctx, n)
		defer func() { a.finish(false) }()
	}
	return s.parallel(ctx, verb, chosen, n, a, maxErrors, op)
}

// fatal reports a failure that ends a multi-file command: the other files
// would fail the same way.
func fatal(l *link, err error) bool {
	var de *ftp.DataConnError
	return !l.connected() || errors.As(err, &de)
}

func (s *Session) serial(ctx context.Context, verb string, files []string, c *confirmer, maxErrors int, op fileOp) error {
	failed := 0
	var first error
	defer s.main.endMore()
	for i, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !c.ok(f) {
			continue
		}
		s.main.more = i < len(files)-1
		err := op(ctx, s.main, s.p, f)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return err // interrupted: the runner says so, once
		}
		if fatal(s.main, err) || len(files) == 1 {
			return err
		}
		failed++
		if first == nil {
			first = err
		}
		s.Warnf("%s %s: %v", verb, f, err)
		if maxErrors > 0 && failed >= maxErrors && i < len(files)-1 {
			return tooManyFailed(failed, len(files), len(files)-i-1, first)
		}
	}
	return manyFailed(failed, len(files), first)
}

func manyFailed(failed, of int, first error) error {
	if first == nil {
		return nil
	}
	return fmt.Errorf("%d of %d files failed, the first: %w", failed, of, first)
}

// tooManyFailed is the end of a command stopped by its --max-errors.
func tooManyFailed(failed, of, left int, first error) error {
	return fmt.Errorf("stopped after %d failures (--max-errors), %d of %d files not tried; the first: %w", failed, left, of, first)
}

// parallel runs op over n links at once: the main link and n-1 from the
// pool. Each file's transcript lines are held and printed whole when it
// ends, so files appear in the order they finish. A link that cannot be
// opened (a server's limit per client: 421 too many connections) makes
// the command go on with fewer, with a warning. Ctrl-C cancels every file
// in flight; the session stays.
func (s *Session) parallel(ctx context.Context, verb string, files []string, n int, a *ahead, maxErrors int, op fileOp) error {
	if s.dataMode() == ftp.Active {
		if o := s.engineOptions(); o.ActivePortLow > 0 && o.ActivePortHigh-o.ActivePortLow+1 < n {
			return fmt.Errorf("%s over %d links needs %d active-mode ports, and --active-ports %d-%d has %d (use fewer links, or a wider range)",
				verb, n, n, o.ActivePortLow, o.ActivePortHigh, o.ActivePortHigh-o.ActivePortLow+1)
		}
	}
	var (
		mu      sync.Mutex
		next    int
		stopped error // set by a failure that ends the command
		failed  int
		first   error
		done    int
	)
	take := func(l *link) (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stopped != nil || next >= len(files) || ctx.Err() != nil || maxErrors > 0 && failed >= maxErrors {
			return "", false
		}
		f := files[next]
		next++
		l.more = next < len(files) // likely this link's again
		return f, true
	}
	finish := func(l *link, f string, sec *Section, err error) (goOn bool) {
		mu.Lock()
		defer mu.Unlock()
		sec.End()
		done++
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			if stopped == nil {
				stopped = err
			}
			return false
		}
		if fatal(l, err) {
			if stopped == nil {
				stopped = err
			}
			return false
		}
		failed++
		if first == nil {
			first = err
		}
		s.Warnf("%s %s: %v", verb, f, err)
		return true
	}
	work := func(l *link) {
		defer l.endMore()
		for {
			f, ok := take(l)
			if !ok {
				return
			}
			sec := s.p.Section()
			err := op(s.shownTo(ctx, sec), l, sec, f)
			if !finish(l, f, sec, err) {
				return
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { work(s.main) })
	for i := 1; i < n; i++ {
		wg.Go(func() {
			l, err := a.next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.Warnf("%s: cannot open link %d of %d (%v); going on with fewer", verb, i+1, n, err)
				}
				return
			}
			defer s.release(l)
			work(l)
		})
	}
	wg.Wait()
	if stopped != nil {
		return stopped
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if maxErrors > 0 && failed >= maxErrors && next < len(files) {
		return tooManyFailed(failed, len(files), len(files)-next, first)
	}
	if err := manyFailed(failed, len(files), first); err != nil {
		return err
	}
	if done < len(files) {
		// Every link went away with files left (they were lost).
		return fmt.Errorf("%s: %d of %d files not done: %w", verb, len(files)-done, len(files), ErrNotConnected)
	}
	return nil
}
