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
	TLS                                       *TLSMode
	TLSFingerprint                            string // the certificate this host's is, pinned
}

// bookmark looks up the bookmark named name: the host and port to dial,
// and a copy of the bookmark, whose settings then hold for that
// connection only (nil when name is a host).
func (s *Session) bookmark(name, port string) (host, p string, bm *Bookmark) {
	b, ok := s.bookmarks[name]
	if !ok {
		return name, port, nil
	}
	if port == "" {
		port = b.Port
	}
	if b.Mode != nil {
		m := *b.Mode
		b.Mode = &m // the copy's own, so that a toggle can clear it
	}
	return b.Host, port, &b
}

// bookmarkLogin logs in as the current bookmark's user (the password
// from GFTP_PASSWORD or the terminal). done reports whether it applied.
func (s *Session) bookmarkLogin(ctx context.Context) (done bool, err error) {
	if s.bm == nil || s.bm.User == "" {
		return false, nil
	}
	if err := s.LoginAsking(ctx, s.bm.User); err != nil {
		return true, fmt.Errorf("bookmark login as %s: %w", s.bm.User, err)
	}
	return true, nil
}
