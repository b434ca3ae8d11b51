package session

import (
	"net/netip"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// Options are the user's settings for a session, in one value: what the
// flags, the environment and the config file fill, and what the toggles
// at the prompt change. A bookmark overrides some of them for its own
// connection only.
type Options struct {
	Verbose, Debug bool
	Prompt         bool // ask per file in mget, mput and mdelete (at the prompt)
	NoGlob         bool // names in mget, mput and mdelete as they are (tnftp's -g; the glob toggle)
	AutoLogin      bool // log in right after open (ftp(1) without -n)
	Mode           Mode
	EPSV           bool // use the extended commands EPSV and EPRT
	TempUpload     bool // upload to a temporary name, renamed when complete
	// Retries is how many times a transient failure is tried again, the
	// first after RetryWait, then twice as long each time.
	Retries   int
	RetryWait time.Duration
	// Parallel is how many links mget and mput use at once (--parallel;
	// -P N for one command); 0 and 1 mean one after another.
	Parallel int
	// Pipeline sends the next file's passive command (EPSV) as soon as an
	// upload's data is out, as lftp does with ftp:sync-mode off. Without
	// it the EPSV still goes before the final reply, once the server has
	// closed the data connection (ftp.DataConn.Prefetch). Off by default:
	// servers that read commands during a transfer may answer out of
	// order, and pyftpdlib loses the upload.
	Pipeline bool
	// Progress draws a progress bar per transfer when stderr is a
	// terminal (on at the prompt; --progress in scripts).
	Progress bool
	// Hash prints a # per Hash bytes transferred (tnftp's hash); 0: off.
	Hash int
	// Preserve gives downloaded files the server's modification time
	// (tnftp's preserve): from an MLSD listing when mget has one, else MDTM.
	Preserve bool
	// RateGet and RatePut cap each download and upload at that many bytes
	// a second (tnftp's rate, --limit-rate); 0: no cap.
	RateGet, RatePut int64

	ConnectTimeout, ReplyTimeout, DataTimeout, StallTimeout time.Duration
	// ActivePortLow..ActivePortHigh bounds active mode's listening ports.
	ActivePortLow, ActivePortHigh int
	// ActiveAddr is announced in PORT/EPRT instead of the local address.
	ActiveAddr netip.Addr
	// Network is "tcp4" or "tcp6" to reach the server by one address
	// family only (-4, -6); "" either.
	Network string
	// TLS protects the connections (tls.go).
	TLS TLSOptions
}

// mode is the data mode in force: the bookmark's for its connection,
// else the user's.
func (s *Session) mode() Mode {
	if s.bm != nil && s.bm.Mode != nil {
		return *s.bm.Mode
	}
	return s.opts.Mode
}

// engineOptions are the engine's options for a new connection: the
// user's, with the bookmark's timeouts and ports over them.
func (s *Session) engineOptions() ftp.Options {
	o := ftp.Options{
		ConnectTimeout: s.opts.ConnectTimeout,
		ReplyTimeout:   s.opts.ReplyTimeout,
		DataTimeout:    s.opts.DataTimeout,
		StallTimeout:   s.opts.StallTimeout,
		ActivePortLow:  s.opts.ActivePortLow,
		ActivePortHigh: s.opts.ActivePortHigh,
		ActiveAddr:     s.opts.ActiveAddr,
		Network:        s.opts.Network,
	}
	if b := s.bm; b != nil {
		if b.ActivePortLow > 0 {
			o.ActivePortLow, o.ActivePortHigh = b.ActivePortLow, b.ActivePortHigh
		}
		for _, t := range []struct {
			dst *time.Duration
			v   time.Duration
		}{{&o.ConnectTimeout, b.ConnectTimeout}, {&o.ReplyTimeout, b.ReplyTimeout}, {&o.DataTimeout, b.DataTimeout}} {
			if t.v > 0 {
				*t.dst = t.v
			}
		}
	}
	return o
}
