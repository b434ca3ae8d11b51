package session

import (
	"context"
	"fmt"
	"time"
)

// Bookmark is a named server from the config file: `open NAME` uses it.
// Zero fields keep the session's settings.
type Bookmark struct {
	Host, Port, User                          string
	Mode                                      *Mode
	ActivePortLow, ActivePortHigh             int
	ConnectTimeout, ReplyTimeout, DataTimeout time.Duration
}

// bookmark applies the bookmark named name, if there is one, and returns
// the host and port to dial.
func (s *Session) bookmark(name, port string) (host, p string, bm *Bookmark) {
	b, ok := s.bookmarks[name]
	if !ok {
		return name, port, nil
	}
	if b.Mode != nil {
		s.mode = *b.Mode
	}
	if b.ActivePortLow > 0 {
		s.timeouts.ActivePortLow, s.timeouts.ActivePortHigh = b.ActivePortLow, b.ActivePortHigh
	}
	for _, t := range []struct {
		dst *time.Duration
		v   time.Duration
	}{{&s.timeouts.ConnectTimeout, b.ConnectTimeout}, {&s.timeouts.ReplyTimeout, b.ReplyTimeout}, {&s.timeouts.DataTimeout, b.DataTimeout}} {
		if t.v > 0 {
			*t.dst = t.v
		}
	}
	if port == "" {
		port = b.Port
	}
	return b.Host, port, &b
}

// bookmarkLogin logs in as the bookmark's user (the password from
// GFTP_PASSWORD or the terminal). done reports whether it applied.
func (s *Session) bookmarkLogin(ctx context.Context, bm *Bookmark) (done bool, err error) {
	if bm == nil || bm.User == "" {
		return false, nil
	}
	if err := s.Login(ctx, bm.User, "", false); err != nil {
		return true, fmt.Errorf("bookmark login as %s: %w", bm.User, err)
	}
	return true, nil
}
