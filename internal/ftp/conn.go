package ftp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Default timeouts; a cron job must never hang on a dead server.
const (
	DefaultConnectTimeout = 15 * time.Second
	DefaultReplyTimeout   = 20 * time.Second
	DefaultDataTimeout    = 10 * time.Second
	DefaultStallTimeout   = 20 * time.Second
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
	// Network dials the control connection: "tcp" (the default), or
	// "tcp4" or "tcp6" for one address family. Data connections follow
	// the control connection's.
	Network string
	// OnSend sees every command line sent, with secrets masked.
	OnSend func(line string)
	// OnReply sees every reply read.
	OnReply func(r *Reply)
	// OnStray sees a reply that came unasked, before a command was sent
	// (after OnReply): it was read and set aside, answering nothing.
	OnStray func(r *Reply)
	// TLS, when set, is the TLS configuration of the control connection
	// (upgraded by AuthTLS, or from the first byte with ImplicitTLS) and of
	// the data connections once Protect asks for it. Its ServerName
	// defaults to the host dialled; its session cache is the Conn's own.
	TLS         *tls.Config
	ImplicitTLS bool
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
	featRTT  time.Duration // how long FEAT took: about a round trip
	// Set once the server refuses an extended command, so that the rest of
	// the session goes straight to PASV or PORT.
	noEPSV, noEPRT bool
	noExtended     bool // the user turned EPSV/EPRT off
	closed         bool
	// secrets are the passwords and accounts sent (PASS, ACCT), hidden in
	// every reply for the life of the connection, not only in the one
	// answering them: servers echo what they did not understand, and may
	// do so in any later reply. Longest first, so that one that contains
	// another is masked whole.
	secrets []string
	typ     TransferType // the type the server has; TypeUnknown at first
	// passiveWorked: a passive data connection worked on this Conn, so
	// the next ones may be dialed while the command goes out.
	passiveWorked bool
	// nextPassive is the address from a passive command sent ahead of the
	// next transfer (DataConn.Prefetch); any other command forgets it.
	nextPassive netip.AddrPort
	// aheadReply is the reply to the command sent ahead (nextPassive's or
	// nextActive's), not yet shown: the transfer that takes it shows it on
	// its own trace; any other command drops it (the log has it).
	aheadReply *Reply
	// nextActive is the listener of an EPRT or PORT sent ahead of the
	// next transfer and taken; any other command closes it.
	nextActive *announced
	noPrefetch bool // a server that did not take a command sent ahead
	// The TLS configurations (tls.go), when Options.TLS is set, and
	// whether data connections are TLS (PROT P).
	tlsCtrl, tlsData *tls.Config
	dataTLS          bool
}

// Dial connects to addr ("host:port") and reads the greeting. Both end
// at once when ctx does.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, *Reply, error) {
	opts = opts.withDefaults()
	d := net.Dialer{Timeout: opts.ConnectTimeout}
	network := opts.Network
	if network == "" {
		network = "tcp"
	}
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, interruptedError{ctx.Err()}
		}
		var ae *net.AddrError
		if network != "tcp" && errors.As(err, &ae) && ae.Err == "no suitable address found" {
			return nil, nil, &DialError{Addr: addr, Err: fmt.Errorf("it has no IPv%s address", strings.TrimPrefix(network, "tcp"))}
		}
		return nil, nil, &DialError{Addr: addr, Err: dialCause(err, opts.ConnectTimeout)}
	}
	c := &Conn{ctrl: nc, br: bufio.NewReader(nc), opts: opts}
	if opts.TLS != nil {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		c.tlsCtrl, c.tlsData = tlsConfigs(opts.TLS, host)
		if opts.ImplicitTLS {
			if err := c.startTLS(ctx); err != nil {
				return nil, nil, err
			}
		}
	}
	// 120 means "ready in a few minutes"; the real greeting follows, all
	// within one reply timeout.
	w := waitFor(opts.ReplyTimeout)
	greeting, err := c.readUntil(ctx, w)
	for n := 0; err == nil && greeting.Code == 120 && n < maxPreliminary; n++ {
		greeting, err = c.readUntil(ctx, w)
	}
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("greeting from %s: %w", addr, err)
	}
	if greeting.Code != 220 {
		nc.Close()
		if err := replyErr("connect", greeting); err != nil {
			return nil, greeting, err
		}
		// Not a refusal, and not the greeting either.
		return nil, greeting, &UnexpectedReplyError{Command: "connect", Reply: greeting}
	}
	return c, greeting, nil
}

// DialError is a control connection that could not be made.
type DialError struct {
	Addr string // host:port as dialed
	Err  error  // why, in words: "connection refused", "no such host"
}

func (e *DialError) Error() string {
	host, port, err := net.SplitHostPort(e.Addr)
	if err != nil {
		return fmt.Sprintf("cannot connect to %s: %v", e.Addr, e.Err)
	}
	return fmt.Sprintf("cannot connect to %s port %s: %v", host, port, e.Err)
}

func (e *DialError) Unwrap() error { return e.Err }

// dialCause strips what net adds around the reason a dial failed ("dial
// tcp 127.0.0.1:21: connect: ", "lookup h on 10.0.0.1:53: "), since the
// message names the host and port itself.
func dialCause(err error, timeout time.Duration) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &timeoutError{fmt.Sprintf("no answer within %s", timeout)}
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		if de.IsNotFound {
			return errors.New("no such host")
		}
		return fmt.Errorf("cannot look the host up: %s", de.Err)
	}
	return unwrapNetError(err)
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

// Send writes one command line. A reply that the server sent unasked,
// before this command, is read and handed to OnStray first, so that it
// can never be taken for this command's answer.
func (c *Conn) Send(ctx context.Context, line string) error {
	return c.send(ctx, line, true)
}

// send writes one command line; drain reads replies that came unasked
// first, which only makes sense when no reply is owed (not for a command
// sent ahead of a transfer's final reply).
func (c *Conn) send(ctx context.Context, line string, drain bool) error {
	if c.closed {
		return ErrClosed
	}
	if err := CheckArg(line); err != nil {
		return fmt.Errorf("%s: %w", verbOf(line), err)
	}
	if err := ctx.Err(); err != nil {
		return stoppedError{err} // nothing sent, nothing owed: still in step
	}
	if drain {
		if err := c.drainStray(ctx); err != nil {
			return err
		}
	}
	c.aheadReply = nil               // not taken (openData shows it when it is): it answers nothing of this
	c.nextPassive = netip.AddrPort{} // a prefetched port is for the very next transfer only
	c.dropAhead()
	masked := MaskCommand(line)
	if masked != line {
		c.addSecret(line[len(masked)-len("****"):])
	}
	if c.opts.OnSend != nil {
		c.opts.OnSend(masked)
	}
	if t := traceOf(ctx); t != nil && t.Sent != nil {
		t.Sent(masked)
	}
	c.ctrl.SetWriteDeadline(time.Now().Add(c.opts.ReplyTimeout))
	stop := context.AfterFunc(ctx, func() { c.ctrl.SetWriteDeadline(time.Unix(1, 0)) })
	_, err := io.WriteString(c.ctrl, line+"\r\n")
	stop()
	if err != nil {
		c.markClosed()
		if ctx.Err() != nil {
			return interruptedError{ctx.Err()}
		}
		return lost("the connection broke while sending %s: %v", verbOf(line), err)
	}
	return nil
}

// drainStray reads replies that are already waiting before a command is
// sent: nothing is owed at that point, so they answer no command of ours
// (a server that replied twice to one command). Left there, each would be
// read as the answer to the next command, and every later reply with it.
func (c *Conn) drainStray(ctx context.Context) error {
	for range maxPreliminary {
		if c.br.Buffered() == 0 && !pending(c.ctrl) {
			return nil
		}
		// Not traced: it answers nothing the user asked (OnStray tells).
		r, err := c.readUntil(WithTrace(ctx, nil), waitFor(c.opts.ReplyTimeout))
		if err != nil {
			return err
		}
		if r.Code == StatusNotAvailable {
			// Not to be set aside: the server is closing the connection.
			return replyErr("(unasked)", r)
		}
		if c.opts.OnStray != nil {
			c.opts.OnStray(r)
		}
	}
	c.markClosed()
	return lost("the server keeps sending replies nobody asked for")
}

// maxPreliminary bounds the 1xx replies taken before a final one, and the
// unasked replies drained before a command, so a hostile server cannot
// keep us reading for ever.
const maxPreliminary = 16

// Read reads one whole reply, waiting at most the reply timeout. 421
// (service closing) marks the connection closed, as does any read error.
// When ctx ends first, the wait ends at once: the reply still owed would
// put the stream out of step, so the connection is closed.
func (c *Conn) Read(ctx context.Context) (*Reply, error) {
	return c.readUntil(ctx, waitFor(c.opts.ReplyTimeout))
}

// ReadFinal reads replies up to the first that is not preliminary: a 1yz
// reply only announces the real answer (RFC 959 §4.2).
func (c *Conn) ReadFinal(ctx context.Context) (*Reply, error) {
	return c.readFinal(ctx, waitFor(c.opts.ReplyTimeout))
}

func (c *Conn) readFinal(ctx context.Context, w wait) (*Reply, error) {
	return c.readFinalStreaming(ctx, w, nil)
}

// readFinalStreaming is readFinal with readStreaming's each.
func (c *Conn) readFinalStreaming(ctx context.Context, w wait, each func(line string)) (*Reply, error) {
	for range maxPreliminary {
		r, err := c.readStreaming(ctx, w, each)
		if err != nil || r.Class() != 1 {
			return r, err
		}
	}
	c.markClosed()
	return nil, lost("the server sent %d preliminary replies and no final one", maxPreliminary)
}

// wait is how long a read may take: d from when it began.
type wait struct {
	d     time.Duration
	until time.Time
}

func waitFor(d time.Duration) wait { return wait{d, time.Now().Add(d)} }

// readUntil reads one reply, waiting until w runs out or ctx ends.
func (c *Conn) readUntil(ctx context.Context, w wait) (*Reply, error) {
	return c.readStreaming(ctx, w, nil)
}

// readStreaming is readUntil; with each set, the middle lines of a
// multi-line reply go to each (see readReply), and w is how long each
// line may take rather than the whole reply: a long listing is not cut
// off for being long.
func (c *Conn) readStreaming(ctx context.Context, w wait, each func(line string)) (*Reply, error) {
	if c.closed {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		c.markClosed() // a reply is owed and will not be read
		return nil, interruptedError{err}
	}
	c.ctrl.SetReadDeadline(w.until)
	var mu sync.Mutex // the deadline: a renewal never undoes the interruption's
	interrupted := false
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		interrupted = true
		c.ctrl.SetReadDeadline(time.Unix(1, 0))
		close(fired)
	})
	line := each
	if each != nil {
		line = func(s string) {
			mu.Lock()
			if !interrupted {
				c.ctrl.SetReadDeadline(time.Now().Add(w.d))
			}
			mu.Unlock()
			each(c.redact(s))
		}
	}
	r, err := readReply(c.br, line)
	if !stop() {
		<-fired // so that it cannot move a later read's deadline
	}
	if err != nil {
		c.markClosed()
		var ne net.Error
		switch {
		case ctx.Err() != nil:
			return nil, interruptedError{ctx.Err()}
		case errors.As(err, &ne) && ne.Timeout():
			return nil, &lostError{msg: fmt.Sprintf("no reply from the server within %s", w.d), timeout: true, err: err}
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, lost("the server closed the connection")
		case errors.Is(err, syscall.ECONNRESET):
			return nil, lost("the server reset the connection")
		}
		var oe *net.OpError
		if errors.As(err, &oe) {
			return nil, lost("the connection broke while reading a reply: %v", err)
		}
		// A reply that breaks the format or our limits: the stream can no
		// longer be trusted to be in step.
		var me *malformedReplyError
		if errors.As(err, &me) {
			me.line = c.redact(me.line) // it is quoted in the error
		}
		return nil, lost("the server sent a reply that cannot be read: %v", err)
	}
	for i, l := range r.Lines {
		r.Lines[i] = c.redact(l)
	}
	if c.opts.OnReply != nil {
		c.opts.OnReply(r)
	}
	if t := traceOf(ctx); t != nil && t.Reply != nil {
		t.Reply(r)
	}
	if r.Code == StatusNotAvailable {
		c.markClosed()
	}
	return r, nil
}

// addSecret keeps secret for redact. One under 3 bytes is kept too but
// never masked (the package's redact leaves it): masking every "ab" of a
// reply would garble it and hide nothing.
func (c *Conn) addSecret(secret string) {
	if slices.Contains(c.secrets, secret) {
		return
	}
	c.secrets = append(c.secrets, secret)
	slices.SortStableFunc(c.secrets, func(a, b string) int { return len(b) - len(a) })
}

// redact masks every secret sent on this connection in line, text that
// came from the server.
func (c *Conn) redact(line string) string {
	for _, s := range c.secrets {
		line = redact(line, s)
	}
	return line
}

func (c *Conn) markClosed() {
	c.dropAhead()
	if !c.closed {
		c.closed = true
		c.ctrl.Close()
	}
}

// Closed reports whether the control connection is gone.
func (c *Conn) Closed() bool { return c.closed }

// Cmd sends a command and reads its final reply, past any preliminary
// (1xx) ones. A 4xx or 5xx reply is returned as a *ReplyError along with
// the reply.
func (c *Conn) Cmd(ctx context.Context, line string) (*Reply, error) {
	if err := c.Send(ctx, line); err != nil {
		return nil, err
	}
	r, err := c.ReadFinal(ctx)
	if err != nil {
		return nil, err
	}
	return r, replyErr(verbOf(line), r)
}

// replyErr is the error for a refusing reply (4xx, 5xx), nil otherwise.
func replyErr(verb string, r *Reply) error {
	if r.Class() < 4 {
		return nil
	}
	err := &ReplyError{Command: verb, Reply: r}
	if r.Code == 421 {
		return closingReply{err}
	}
	return err
}

// Login runs USER and, when asked for one, PASS. pass is called only when
// the server wants a password, so that a terminal prompt appears only then.
func (c *Conn) Login(ctx context.Context, user string, pass func() (string, error)) error {
	r, err := c.Cmd(ctx, "USER "+user)
	if err != nil {
		return err
	}
	if r.Code == 331 {
		pw, err := pass()
		if err != nil {
			return err
		}
		if r, err = c.Cmd(ctx, "PASS "+pw); err != nil {
			return err
		}
	}
	switch r.Code {
	case 230, 202:
		return nil
	case 332:
		return fmt.Errorf("the server asks for an account (ACCT), which is not supported: %d %s", r.Code, oneLine(r))
	}
	return &ReplyError{Command: "PASS", Reply: r}
}

// Features asks FEAT once and caches the answer (RFC 2389): upper-cased
// feature name to its parameters. A server without FEAT has none. The
// error is only for a lost connection or an interruption.
// ForgetFeatures drops the cached FEAT list, which can change after AUTH
// or a login; the next Features asks again.
func (c *Conn) ForgetFeatures() { c.features = nil }

func (c *Conn) Features(ctx context.Context) (map[string]string, error) {
	if c.features != nil {
		return c.features, nil
	}
	start := time.Now()
	r, err := c.Cmd(ctx, "FEAT")
	if errors.Is(err, ErrClosed) || ctx.Err() != nil {
		return map[string]string{}, err
	}
	c.featRTT = time.Since(start)
	c.features = map[string]string{}
	if err != nil || r.Code != 211 {
		return c.features, nil
	}
	for _, l := range r.Lines[1:] {
		if !strings.HasPrefix(l, " ") {
			continue // the closing "211 End" line
		}
		name, params, _ := strings.Cut(strings.TrimSpace(l), " ")
		c.features[strings.ToUpper(name)] = params
	}
	return c.features, nil
}

// RoundTrip is how long the server took to answer FEAT, a command it
// answers from what it knows: about one round trip of the control
// connection, measured once (0 before Features).
func (c *Conn) RoundTrip() time.Duration { return c.featRTT }

// quitWait bounds the wait for QUIT's reply: a goodbye must not hold up
// the end of a run.
const quitWait = time.Second

// Quit says goodbye and closes the connection; the reply is best effort.
func (c *Conn) Quit(ctx context.Context) error {
	if c.closed {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, quitWait)
	defer cancel()
	_, err := c.Cmd(ctx, "QUIT")
	c.markClosed()
	if errors.Is(err, ErrClosed) || ctx.Err() != nil {
		return nil // gone, or cut short: closed either way
	}
	return err
}

// Close closes the connection without QUIT.
func (c *Conn) Close() error {
	c.markClosed()
	return nil
}
