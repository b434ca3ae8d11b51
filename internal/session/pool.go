package session

import (
	"context"
	"errors"
)

// The pool: links beyond the main one, opened on demand with the same
// login and in the same directory, for a parallel command, and kept idle
// between commands until close. The workers of a parallel command
// acquire and release them concurrently, under poolMu.

// acquire returns an idle link, or opens a new one. Its replies are not
// shown: opening links is gftp's own business.
func (s *Session) acquire(ctx context.Context) (*link, error) {
	s.poolMu.Lock()
	for len(s.idle) > 0 {
		l := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if l.connected() {
			s.poolMu.Unlock()
			return l, s.follow(ctx, l)
		}
	}
	s.poolMu.Unlock()
	if !s.relogin {
		return nil, ErrNotConnected
	}
	l := &link{s: s, cwd: s.main.cwd}
	if err := l.open(s.own(ctx)); err != nil {
		if l.conn != nil {
			l.conn.Close()
		}
		return nil, err
	}
	return l, nil
}

// follow takes an idle link to the main link's directory, if it moved.
func (s *Session) follow(ctx context.Context, l *link) error {
	if l.cwd == s.main.cwd || s.main.cwd == "" {
		return nil
	}
	if err := l.conn.Cwd(s.own(ctx), s.main.cwd); err != nil {
		return l.check(err)
	}
	l.cwd = s.main.cwd
	return nil
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
	var errs []error
	for _, l := range idle {
		errs = append(errs, l.close(ctx))
	}
	return errors.Join(errs...)
}
