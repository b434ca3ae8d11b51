package ftp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Default timeouts; a cron job must never hang on a dead server.
const (
	DefaultConnectTimeout = 15 * time.Second
	DefaultReplyTimeout   = 30 * time.Second
	DefaultDataTimeout    = 10 * time.Second
	DefaultStallTimeout   = 30 * time.Second
)

// Options configures a Conn. Zero fields take the defaults above.
type Options struct {
	ConnectTimeout time.Duration // dialing the control connection
	ReplyTimeout   time.Duration // waiting for one reply
	DataTimeout    time.Duration // opening or accepting a data connection
	StallTimeout   time.Duration // a transfer moving no bytes for this long fails
	// ActivePortLow and ActivePortHigh bound the ports active mode listens
	// on (0: any), so that the client's firewall rule can be narrow.
	ActivePortLow, ActivePortHigh int
	// ActiveAddr, when valid, is the address announced in PORT/EPRT
	// instead of the listener's: the outside address behind NAT.
	ActiveAddr netip.Addr
	// OnSend sees every command line sent, with secrets masked.
	OnSend func(line string)
	// OnReply sees every reply read.
	OnReply func(r *Reply)
}

func (o Options) withDefaults() Options {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.ReplyTimeout <= 0 {
		o.ReplyTimeout = DefaultReplyTimeout
	}
	if o.DataTimeout <= 0 {
		o.DataTimeout = DefaultDataTimeout
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	return o
}

// Conn is one control connection. A Conn is not safe for concurrent use;
// parallel transfers use one Conn each, and nothing here is shared between
// Conns.
type Conn struct {
	ctrl     net.Conn
	br       *bufio.Reader
	opts     Options
	features map[string]string
	// Set once the server refuses an extended command, so that the rest of
	// the session goes straight to PASV or PORT.
	noEPSV, noEPRT bool
	noExtended     bool // the user turned EPSV/EPRT off
	closed         bool
}

// Dial connects to addr ("host:port") and reads the greeting.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, *Reply, error) {
	opts = opts.withDefaults()
	d := net.Dialer{Timeout: opts.ConnectTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	c := &Conn{ctrl: nc, br: bufio.NewReader(nc), opts: opts}
	greeting, err := c.Read()
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("greeting from %s: %w", addr, err)
	}
	// 120 means "ready in a few minutes"; the real greeting follows.
	for greeting.Code == 120 {
		if greeting, err = c.Read(); err != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("greeting from %s: %w", addr, err)
		}
	}
	if greeting.Code != 220 {
		nc.Close()
		return nil, greeting, &ReplyError{Command: "connect", Reply: greeting}
	}
	return c, greeting, nil
}

// RemoteAddr is the server's address on the control connection.
func (c *Conn) RemoteAddr() netip.AddrPort { return addrPortOf(c.ctrl.RemoteAddr()) }

// LocalAddr is this side's address on the control connection.
func (c *Conn) LocalAddr() netip.AddrPort { return addrPortOf(c.ctrl.LocalAddr()) }

func addrPortOf(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// Send writes one command line.
func (c *Conn) Send(line string) error {
	if c.closed {
		return ErrClosed
	}
	if err := CheckArg(line); err != nil {
		return fmt.Errorf("%s: %w", verbOf(line), err)
	}
	if c.opts.OnSend != nil {
		c.opts.OnSend(maskCommand(line))
	}
	c.ctrl.SetWriteDeadline(time.Now().Add(c.opts.ReplyTimeout))
	if _, err := io.WriteString(c.ctrl, line+"\r\n"); err != nil {
		c.markClosed()
		return fmt.Errorf("send %s: %w: %w", verbOf(line), ErrClosed, err)
	}
	return nil
}

// Read reads one whole reply. 421 (service closing) marks the connection
// closed, as does any read error.
func (c *Conn) Read() (*Reply, error) {
	return c.readWithin(c.opts.ReplyTimeout)
}

// readWithin reads one reply, waiting at most d.
func (c *Conn) readWithin(d time.Duration) (*Reply, error) {
	if c.closed {
		return nil, ErrClosed
	}
	c.ctrl.SetReadDeadline(time.Now().Add(d))
	r, err := ReadReply(c.br)
	if err != nil {
		c.markClosed()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("no reply from the server within %s: %w", d, ErrClosed)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("server closed the connection: %w", ErrClosed)
		}
		return nil, fmt.Errorf("read reply: %w: %w", ErrClosed, err)
	}
	if c.opts.OnReply != nil {
		c.opts.OnReply(r)
	}
	if r.Code == 421 {
		c.markClosed()
	}
	return r, nil
}

func (c *Conn) markClosed() {
	if !c.closed {
		c.closed = true
		c.ctrl.Close()
	}
}

// Closed reports whether the control connection is gone.
func (c *Conn) Closed() bool { return c.closed }

// Cmd sends a command and reads its reply. A 4xx or 5xx reply is returned
// as a *ReplyError along with the reply.
func (c *Conn) Cmd(line string) (*Reply, error) {
	if err := c.Send(line); err != nil {
		return nil, err
	}
	r, err := c.Read()
	if err != nil {
		return nil, err
	}
	if r.Class() >= 4 {
		err := &ReplyError{Command: verbOf(line), Reply: r}
		if r.Code == 421 {
			return r, closingReply{err}
		}
		return r, err
	}
	return r, nil
}

// Login runs USER and, when asked for one, PASS. pass is called only when
// the server wants a password, so that a terminal prompt appears only then.
func (c *Conn) Login(user string, pass func() (string, error)) error {
	r, err := c.Cmd("USER " + user)
	if err != nil {
		return err
	}
	if r.Code == 331 {
		pw, err := pass()
		if err != nil {
			return err
		}
		if r, err = c.Cmd("PASS " + pw); err != nil {
			return err
		}
	}
	switch r.Code {
	case 230, 202:
		return nil
	case 332:
		return fmt.Errorf("the server asks for an account (ACCT), which gftp does not support: %d %s", r.Code, r.Message())
	}
	return &ReplyError{Command: "PASS", Reply: r}
}

// Features asks FEAT once and caches the answer (RFC 2389): upper-cased
// feature name to its parameters. A server without FEAT has none.
func (c *Conn) Features() map[string]string {
	if c.features != nil {
		return c.features
	}
	c.features = map[string]string{}
	r, err := c.Cmd("FEAT")
	if err != nil || r.Code != 211 {
		return c.features
	}
	for _, l := range r.Lines[1:] {
		if !strings.HasPrefix(l, " ") {
			continue // the closing "211 End" line
		}
		name, params, _ := strings.Cut(strings.TrimSpace(l), " ")
		c.features[strings.ToUpper(name)] = params
	}
	return c.features
}

// Quit says goodbye and closes the connection; the reply is best effort.
func (c *Conn) Quit() error {
	if c.closed {
		return nil
	}
	_, err := c.Cmd("QUIT")
	c.markClosed()
	if errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}

// Close closes the connection without QUIT.
func (c *Conn) Close() error {
	c.markClosed()
	return nil
}
