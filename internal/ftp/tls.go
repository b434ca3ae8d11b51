package ftp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// FTP over TLS (RFC 4217): the control connection is upgraded with AUTH
// TLS, or is TLS from the first byte (implicit, port 990); PBSZ 0 and
// PROT P then protect every data connection, on which this side is the
// TLS client in both directions and in both modes (§10).
//
// Servers that require the data connection to resume the control
// connection's TLS session (vsftpd's require_ssl_reuse, proftpd, FileZilla
// Server) get it: each Conn keeps the session of its control connection in
// a cache of its own, under a fixed key, and its data connections resume
// that one. (crypto/tls keys its cache by ServerName, or by the remote
// address with its port when that is empty, so a data connection to
// another port would find nothing.)

// sessionCache holds one Conn's control-connection TLS session. Data
// connections read it and never replace it, so that each one resumes the
// control connection's session, not the previous data connection's.
type sessionCache struct {
	mu    sync.Mutex
	state *tls.ClientSessionState
}

func (s *sessionCache) Get(string) (*tls.ClientSessionState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, s.state != nil
}

func (s *sessionCache) Put(_ string, cs *tls.ClientSessionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs != nil {
		s.state = cs
	}
}

// readOnly is a data connection's view of the cache.
type readOnly struct{ c *sessionCache }

func (r readOnly) Get(key string) (*tls.ClientSessionState, bool) { return r.c.Get(key) }
func (readOnly) Put(string, *tls.ClientSessionState)              {}

// tlsConfigs makes the control and the data connections' TLS
// configurations from the caller's, for a server dialled as host.
func tlsConfigs(base *tls.Config, host string) (ctrl, data *tls.Config) {
	ctrl = base.Clone()
	if ctrl.ServerName == "" {
		// Also the cache key, the same for every connection of this Conn;
		// an address is checked against the certificate's IP SANs.
		ctrl.ServerName = host
	}
	cache := &sessionCache{}
	ctrl.ClientSessionCache = cache
	data = ctrl.Clone()
	data.ClientSessionCache = readOnly{cache}
	return ctrl, data
}

// TLSError is a TLS handshake that failed: the certificate was not
// trusted, or the two sides could not agree.
type TLSError struct {
	On  string // "the control connection", "the data connection"
	Err error
}

func (e *TLSError) Error() string {
	var ce *tls.CertificateVerificationError
	if errors.As(e.Err, &ce) {
		return fmt.Sprintf("TLS on %s failed: the server's certificate is not trusted: %v", e.On, unwrapNetError(ce.Err))
	}
	return fmt.Sprintf("TLS on %s failed: %v", e.On, unwrapNetError(e.Err))
}

func (e *TLSError) Unwrap() error { return e.Err }

// handshake runs the TLS client handshake on nc, within d or until ctx
// ends.
func handshake(ctx context.Context, nc net.Conn, cfg *tls.Config, d time.Duration, on string) (*tls.Conn, error) {
	tc := tls.Client(nc, cfg)
	hctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return nil, interruptedError{ctx.Err()}
		}
		if hctx.Err() != nil {
			err = &timeoutError{fmt.Sprintf("no TLS handshake within %s", d)}
		}
		return nil, &TLSError{On: on, Err: err}
	}
	return tc, nil
}

// AuthTLS upgrades the control connection to TLS (AUTH TLS, 234, the
// handshake). The Conn must have been dialled with Options.TLS. A refusal
// is a *ReplyError and leaves the connection in plaintext, in step.
func (c *Conn) AuthTLS(ctx context.Context) error {
	if c.tlsCtrl == nil {
		return errors.New("AUTH TLS: no TLS configuration")
	}
	if _, err := c.expect(ctx, "AUTH TLS", is(StatusAuthOK)); err != nil {
		return err
	}
	if c.br.Buffered() > 0 {
		// Plaintext after the 234 could be an attacker's, injected before
		// the handshake protects the stream (the STARTTLS injection).
		c.markClosed()
		return lost("the server sent more after accepting AUTH TLS; the connection is closed")
	}
	return c.startTLS(ctx)
}

// startTLS runs the control connection's handshake.
func (c *Conn) startTLS(ctx context.Context) error {
	tc, err := handshake(ctx, c.ctrl, c.tlsCtrl, c.opts.ReplyTimeout, "the control connection")
	if err != nil {
		c.closed = true
		return err
	}
	c.ctrl, c.br = tc, bufio.NewReader(tc)
	return nil
}

// Protect sets the data connections' protection after login: PBSZ 0 and
// PROT P (private: TLS) or PROT C (clear). The control connection must
// be TLS.
func (c *Conn) Protect(ctx context.Context, private bool) error {
	if _, ok := c.TLS(); !ok {
		return errors.New("PROT: the control connection is not TLS")
	}
	if _, err := c.expect(ctx, "PBSZ 0", completed); err != nil {
		return err
	}
	level := "C"
	if private {
		level = "P"
	}
	if _, err := c.expect(ctx, "PROT "+level, completed); err != nil {
		return err
	}
	c.dataTLS = private
	return nil
}

// TLS returns the control connection's TLS state, and false when it is
// plaintext.
func (c *Conn) TLS() (tls.ConnectionState, bool) {
	if tc, ok := c.ctrl.(*tls.Conn); ok {
		return tc.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// DataProtected reports whether data connections are TLS (PROT P).
func (c *Conn) DataProtected() bool { return c.dataTLS }

// secureData runs the TLS handshake on a data connection, after its
// command went out (pyftpdlib closes a data connection whose TLS starts
// before the command; proftpd and pure-ftpd can hang a client that blocks
// in the handshake first). On failure the connection is closed and the
// final reply the server owes is read, so the stream stays in step; the
// error names both.
func (c *Conn) secureData(ctx context.Context, dc *DataConn) error {
	tc, err := handshake(ctx, dc.Conn, c.tlsData, c.opts.DataTimeout, "the data connection")
	if err == nil {
		dc.Conn = tc
		return nil
	}
	if ctx.Err() != nil {
		c.markClosed()
		return err
	}
	if dc.final == nil {
		r, rerr := c.readFinal(ctx, waitFor(min(abortGrace*5, c.opts.ReplyTimeout)))
		if rerr != nil {
			return &DataConnError{Mode: dc.mode(), Err: fmt.Errorf("%w; %w", err, rerr)}
		}
		if r.Class() != 2 {
			return &DataConnError{Mode: dc.mode(), Err: fmt.Errorf("%w; the server said: %s", err, r)}
		}
	}
	return &DataConnError{Mode: dc.mode(), Err: err}
}

func (d *DataConn) mode() DataMode {
	if d.passive {
		return Passive
	}
	return Active
}

// rawTCP is the TCP connection under a data connection, TLS or not.
func rawTCP(nc net.Conn) (*net.TCPConn, bool) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	t, ok := nc.(*net.TCPConn)
	return t, ok
}
