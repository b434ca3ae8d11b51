package session

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// The pool: links beyond the main one, opened on demand with the same
// login and in the same directory, for a parallel command, and kept idle
// between commands until close. The workers of a parallel command
// acquire and release them concurrently, under poolMu.

// acquire returns an idle link, or opens a new one. Its replies are not
// shown: opening links is gftp's own business.
func (s *Session) acquire(ctx context.Context, at where) (*link, error) {
	s.poolMu.Lock()
	for len(s.idle) > 0 {
		l := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if l.connected() {
			s.poolMu.Unlock()
			if err := s.follow(ctx, l, at); err != nil {
				return nil, err // goTo closed it
			}
			return l, nil
		}
	}
	s.poolMu.Unlock()
	if !s.relogin {
		return nil, ErrNotConnected
	}
	l := &link{s: s, cwd: at.clone()}
	if err := l.open(s.own(ctx)); err != nil {
		if l.conn != nil {
			l.conn.Close()
		}
		return nil, err
	}
	return l, nil
}

// follow takes an idle link to at (the main link's directory when the
// command began), if it moved.
func (s *Session) follow(ctx context.Context, l *link, at where) error {
	if l.cwd.same(at) {
		return nil
	}
	return l.goTo(ctx, l.cwd, at)
}

// release puts a link back, if it is still good.
func (s *Session) release(l *link) {
	if !l.connected() {
		return
	}
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	s.idle = append(s.idle, l)
}

// closeIdle ends every idle link (close, bye).
func (s *Session) closeIdle(ctx context.Context) error {
	s.poolMu.Lock()
	idle := s.idle
	s.idle = nil
	s.poolMu.Unlock()
	// All at once: one round trip for the goodbyes, not one a link.
	errs := make([]error, len(idle))
	var wg sync.WaitGroup
	for i, l := range idle {
		wg.Go(func() { errs[i] = l.close(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ahead is links being opened ahead of a parallel command's need: while
// mget lists the server's files, the extra links log in (tens of
// milliseconds each on a server that checks passwords through PAM), so
// the transfers start on all of them as soon as the list is known.
type ahead struct {
	s      *Session
	ch     chan opened
	n      int32        // opens started
	taken  atomic.Int32 // and taken from ch (by the workers, at once)
	cancel context.CancelFunc
}

type opened struct {
	l   *link
	err error
}

// openAhead starts opening n-1 links (idle ones from the pool first). It
// returns nil, which is ready to use, when n <= 1.
func (s *Session) openAhead(ctx context.Context, n int) *ahead {
	if n <= 1 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &ahead{s: s, ch: make(chan opened, n-1), n: int32(n - 1), cancel: cancel}
	// Taken now: the main link is a worker too, and a reconnect of its
	// own must not race the others' reads of where it is.
	at := s.main.cwd.clone()
	for range n - 1 {
		go func() {
			l, err := s.acquire(ctx, at)
			a.ch <- opened{l, err}
		}()
	}
	return a
}

// next waits for one of the links being opened.
func (a *ahead) next(ctx context.Context) (*link, error) {
	if a == nil || a.taken.Add(1) > a.n {
		return nil, errors.New("no more links")
	}
	select {
	case o := <-a.ch:
		return o.l, o.err
	case <-ctx.Done():
		a.taken.Add(-1) // finish receives it
		return nil, ctx.Err()
	}
}

// put gives back a link (or a failed open) that next returned, for
// another to take.
func (a *ahead) put(o opened) {
	a.taken.Add(-1)
	a.ch <- o
}

// finish waits for the opens no one took and puts their links in the
// pool, for the next command. After a failure (failed true) the opens
// still under way are stopped first: the server may be the reason.
func (a *ahead) finish(failed bool) {
	if a == nil {
		return
	}
	if failed {
		a.cancel()
	}
	for i := max(a.taken.Load(), 0); i < a.n; i++ {
		if o := <-a.ch; o.err == nil {
			a.s.release(o.l)
		}
	}
	a.cancel()
}
