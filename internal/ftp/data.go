package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// DataMode says which side opens data connections.
type DataMode int

const (
	// Passive: the client connects to a port the server opened (EPSV, PASV).
	Passive DataMode = iota
	// Active: the server connects back to a port the client opened (EPRT, PORT).
	Active
)

func (m DataMode) String() string {
	if m == Active {
		return "active"
	}
	return "passive"
}

// Method is one way of setting up a data connection.
type Method int

// The four methods; the zero Method means "choose": the extended command
// first, then the classic one.
const (
	EPSV Method = iota + 1
	PASV
	EPRT
	PORT
)

func (m Method) String() string {
	switch m {
	case EPSV:
		return "EPSV"
	case PASV:
		return "PASV"
	case EPRT:
		return "EPRT"
	case PORT:
		return "PORT"
	}
	return "auto"
}

// Mode is the data mode a method belongs to.
func (m Method) Mode() DataMode {
	if m == EPRT || m == PORT {
		return Active
	}
	return Passive
}

// DataConnError is a data connection that could not be set up: the server
// refused every way of opening one, or the connection itself failed. The
// session uses it to fall back from passive to active mode.
type DataConnError struct {
	Mode DataMode
	Addr string // the address dialed or listened on, when known
	Err  error
}

func (e *DataConnError) Error() string {
	switch {
	case e.Mode == Active && e.Addr != "":
		return fmt.Sprintf("active mode: data connection to %s failed: %v", e.Addr, e.Err)
	case e.Addr != "":
		return fmt.Sprintf("passive mode: cannot connect to the server's data port %s: %v", e.Addr, e.Err)
	}
	return fmt.Sprintf("%s mode: %v", e.Mode, e.Err)
}

func (e *DataConnError) Unwrap() error { return e.Err }

// DataConn is an open data connection for one transfer command.
type DataConn struct {
	net.Conn
	c      *Conn
	verb   string
	final  *Reply // set when the server already sent the final reply
	prelim *Reply // the 1xx reply that opened the transfer, if any
	done   bool
	// failed: the copy broke off (a stall, a reset, an interruption), so
	// the final reply may never come; Finish waits for it only briefly.
	failed bool
	// Progress, when set, is told the bytes moved as the copy goes.
	Progress func(n int64)
	// Limit, when above 0, caps the copy at that many bytes a second
	// (tnftp's rate). The bytes then go through our buffer: the kernel's
	// zero-copy cannot be paced.
	Limit int64
	// Prefetch says another transfer follows on this connection: Finish
	// sends its EPSV (or PASV; in active mode its EPRT or PORT, with the
	// listener open) before it reads this transfer's final reply, so that
	// its round trip overlaps the wait for the 226.
	// It does so once the server is done with the data connection: it
	// closed it (a download's end, or its answer to an upload's), or its
	// final reply has begun to arrive. A server that lingers on its close
	// (vsftpd) closes a round trip before its 226, so the EPSV still
	// arrives as the 226 leaves, and none can take it for a command in
	// the middle of a transfer (pyftpdlib drops the data connection of an
	// upload it has not read to its end when an EPSV comes).
	Prefetch bool
	// Eager, with Prefetch, sends the EPSV as soon as an upload's data is
	// out, before the server has read it: a round trip sooner against a
	// server that does not linger, and unsafe against one that reads
	// commands during a transfer (--pipeline).
	Eager   bool
	passive bool // a passive data connection
	// sawEOF: the copy from the server reached its end of file, so the
	// server has closed the data connection.
	sawEOF bool
	// early is closed once the first reply of an upload that did not wait
	// for it has been read (readEarly), into prelim or final; refused is
	// set when it refused the command.
	early   chan struct{}
	refused error
}

// readEarly reads the first reply of an upload whose data went out
// before it, and stops the copy when it is a refusal.
func (d *DataConn) readEarly(ctx context.Context) {
	r, err := d.c.Read(ctx)
	switch {
	case err != nil:
		d.refused = err
	case r.Class() == 1:
		d.prelim = r
	case r.Class() == 2:
		d.final = r
	default:
		d.final = r
		d.refused = replyErr(d.verb, r)
	}
	close(d.early) // before the close below: the copy's failure then sees refused
	if d.refused != nil {
		d.abort() // no transfer is coming: stop the copy
	}
}

// abortGrace is how long the final reply of a transfer that broke off is
// awaited. A server that is alive answers the aborted data connection at
// once (426); one that does not is stuck, and waiting longer only delays
// the retry or the exit. After an interruption the wait is shorter still:
// someone is waiting for the prompt or for the program to end.
const (
	abortGrace     = time.Second
	interruptGrace = 500 * time.Millisecond
)

// Finish closes the data connection and reads the command's final reply.
// When the copy broke off or ctx has ended, the reply is awaited only
// abortGrace; if it does not come, the control connection is closed, as
// its stream is out of step. Finishing twice is harmless.
func (d *DataConn) Finish(ctx context.Context) error {
	if d.done {
		return nil
	}
	d.done = true
	broke := d.failed || ctx.Err() != nil
	ahead := d.Prefetch && !broke
	// done: the server has finished with the data connection.
	done := d.sawEOF
	halfOpen := false
	switch {
	case broke:
		d.abort()
	case uploads(d.verb):
		halfOpen = closeUploadWrite(d.Conn) // the server sees the end of the file
		if !halfOpen {
			d.Conn.Close()
		}
	default:
		d.Conn.Close()
	}
	if d.early != nil {
		<-d.early // the control stream is ours alone from here
		if d.refused != nil && d.final == nil {
			d.Conn.Close()
			return d.refused // the connection is lost with it
		}
	}
	w := waitFor(d.c.opts.ReplyTimeout)
	var replied <-chan error // a read of the control connection in flight
	// Eager is for passive mode only: an EPRT ahead needs no hurry, as
	// its listener waits for the next transfer anyway. Under TLS the
	// server's tickets are read first all the same (closing on them
	// unread would reset the connection and cut the file short).
	_, isTLS := d.Conn.(*tls.Conn)
	eager := ahead && d.Eager && d.passive && !isTLS
	var stalled error
	if d.final == nil && halfOpen && !eager {
		done, replied, stalled = d.serverDone(ctx, &w)
	}
	if halfOpen && stalled == nil {
		d.Conn.Close()
	}
	if stalled != nil {
		d.failed, ahead = true, false
	}
	var prefetch string
	var listening *announced // an active-mode listener announced ahead
	switch {
	case !ahead || d.final != nil || !(done || eager) || ctx.Err() != nil:
	case d.passive:
		// Not drained first: the transfer's final reply is owed.
		if prefetch = d.c.prefetchVerb(); prefetch != "" && d.c.send(ctx, prefetch, false) != nil {
			prefetch = ""
		}
	default:
		prefetch, listening = d.c.announceAhead(ctx)
	}
	if replied != nil {
		// An interruption ends the wait at once; the final reply is then
		// awaited only for the grace below.
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			d.c.ctrl.SetReadDeadline(time.Unix(1, 0))
			close(fired)
		})
		<-replied // the control stream is ours alone again
		if !stop() {
			<-fired // so that it cannot move the next read's deadline
		}
	}
	r := d.final
	if r == nil {
		rctx := ctx
		switch {
		case ctx.Err() != nil:
			w, rctx = waitFor(min(interruptGrace, d.c.opts.ReplyTimeout)), context.WithoutCancel(ctx)
		case d.failed:
			w = waitFor(min(abortGrace, d.c.opts.ReplyTimeout))
		}
		var err error
		if r, err = d.c.readFinal(rctx, w); err != nil {
			if listening != nil {
				listening.ln.Close() // no reply to take it by
			}
			if ctx.Err() != nil {
				return interruptedError{ctx.Err()}
			}
			if stalled != nil {
				return stalled
			}
			return err
		}
	}
	if stalled != nil {
		return stalled // whatever the server says of a part
	}
	if prefetch != "" {
		var err error
		if r, err = d.c.takePrefetch(ctx, prefetch, r, listening); err != nil {
			return err
		}
	}
	return replyErr(d.verb, r)
}

// abort ends a data connection that broke off with a reset, not a close:
// a graceful close would let the kernel go on sending what is buffered
// once the network heals, and TLS would send close_notify first (Go's
// tls.Conn.Close does): either way the server would take a truncated
// upload for a whole one (and, like vsftpd, hold the file's lock against
// our retry meanwhile). Aborting twice is harmless.
func (d *DataConn) abort() {
	if tc, ok := rawTCP(d.Conn); ok {
		tc.SetLinger(0)
		tc.Close()
		return
	}
	d.Conn.Close()
}

// Close is Finish with a context that never ends.
func (d *DataConn) Close() error { return d.Finish(context.Background()) }

// OpenData opens a data connection in mode and sends cmd over the control
// connection (preceded by REST when offset > 0). The caller reads or writes
// the DataConn and then closes it to collect the final reply.
func (c *Conn) OpenData(ctx context.Context, mode DataMode, cmd string, offset int64) (*DataConn, error) {
	if err := CheckArg(cmd); err != nil {
		return nil, err
	}
	if c.closed {
		return nil, ErrClosed // not even a dial to a port announced ahead
	}
	if mode == Active {
		return c.openActive(ctx, 0, cmd, offset)
	}
	return c.openPassive(ctx, 0, cmd, offset)
}

// SetExtended turns the extended commands (EPSV, EPRT; RFC 2428) on or
// off, for servers that mishandle them. Off, only PASV and PORT are used,
// which cannot reach an IPv6 server.
func (c *Conn) SetExtended(on bool) { c.noExtended = !on }

// Probe sets up a data connection with exactly one method (no fallback,
// nothing remembered), runs the listing cmd through it and discards the
// data. It returns how long that took.
func (c *Conn) Probe(ctx context.Context, m Method, cmd string) (time.Duration, error) {
	start := time.Now()
	var dc *DataConn
	var err error
	if m.Mode() == Active {
		dc, err = c.openActive(ctx, m, cmd, 0)
	} else {
		dc, err = c.openPassive(ctx, m, cmd, 0)
	}
	if err != nil {
		return time.Since(start), err
	}
	_, cerr := dc.CopyTo(ctx, io.Discard)
	err = dc.Finish(ctx)
	if cerr != nil {
		err = cerr
	}
	return time.Since(start), err
}

func (c *Conn) sendRest(ctx context.Context, offset int64) error {
	if offset <= 0 {
		return nil
	}
	r, err := c.Cmd(ctx, fmt.Sprintf("REST %d", offset))
	if err != nil {
		return err
	}
	if r.Code != 350 {
		return &ReplyError{Command: "REST", Reply: r}
	}
	return nil
}

// transferReply reads the reply to a transfer command just sent: the
// preliminary one, or final when the server skipped the 1xx reply.
func (c *Conn) transferReply(ctx context.Context, cmd string) (prelim, final *Reply, err error) {
	r, err := c.Read(ctx)
	if err != nil {
		return nil, nil, err
	}
	switch r.Class() {
	case 1:
		return r, nil, nil
	case 2:
		return nil, r, nil
	}
	return nil, nil, &ReplyError{Command: verbOf(cmd), Reply: r}
}

// Announced is the size the server gave in the reply that opened the
// transfer ("150 Opening BINARY mode data connection for f (1234
// bytes)", as vsftpd, proftpd and others write), or -1.
func (d *DataConn) Announced() int64 {
	r := d.prelim
	if r == nil {
		return -1
	}
	m := announcedSize.FindStringSubmatch(r.Message())
	if m == nil {
		return -1
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

var announcedSize = regexp.MustCompile(`\((\d{1,18}) bytes\)`)

// passiveAddr asks the server for a port to connect to: EPSV, then PASV
// (only: just that one).
func (c *Conn) passiveAddr(ctx context.Context, only Method) (netip.AddrPort, error) {
	peer := c.RemoteAddr()
	var refusal error
	if only == EPSV || (only == 0 && !c.noEPSV && !c.noExtended) {
		r, err := c.Cmd(ctx, "EPSV")
		var re *ReplyError
		switch {
		case err == nil && r.Code == StatusExtendedPassive:
			return c.epsvAddr(r)
		case only == EPSV && err == nil:
			return netip.AddrPort{}, fmt.Errorf("unexpected reply to EPSV: %d %s", r.Code, oneLine(r))
		case only == EPSV || err == nil:
			return netip.AddrPort{}, err
		case errors.As(err, &re) && !errors.Is(err, ErrClosed):
			refusal = err
			if !re.Temporary() {
				c.noEPSV = true // not supported: don't ask again this session
			}
		default:
			return netip.AddrPort{}, err
		}
	}
	if peer.Addr().Unmap().Is6() {
		if c.noExtended && refusal == nil && only == 0 {
			return netip.AddrPort{}, fmt.Errorf("%w, and PASV cannot reach an IPv6 server", ErrExtendedOff)
		}
		return netip.AddrPort{}, fmt.Errorf("the server refused EPSV%s and PASV cannot reach an IPv6 server", because(refusal))
	}
	r, err := c.Cmd(ctx, "PASV")
	if err != nil {
		return netip.AddrPort{}, err
	}
	return c.pasvAddr(r)
}

// epsvAddr is where a 229 reply says to connect: its port on the server.
func (c *Conn) epsvAddr(r *Reply) (netip.AddrPort, error) {
	port, err := ParseEPSV(r.Message())
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(c.RemoteAddr().Addr(), uint16(port)), nil
}

// pasvAddr is where a 227 reply says to connect. Servers behind NAT often
// advertise a private or bogus address; the control connection's peer is
// the one we know to be reachable, so it replaces any other.
func (c *Conn) pasvAddr(r *Reply) (netip.AddrPort, error) {
	ap, err := ParsePASV(r.Message())
	if err != nil {
		return netip.AddrPort{}, err
	}
	if peer := c.RemoteAddr(); ap.Addr() != peer.Addr().Unmap() {
		ap = netip.AddrPortFrom(peer.Addr(), ap.Port())
	}
	return ap, nil
}

func (c *Conn) openPassive(ctx context.Context, only Method, cmd string, offset int64) (*DataConn, error) {
	ap, prefetched := c.nextPassive, c.nextPassive.IsValid() && only == 0
	c.nextPassive = netip.AddrPort{}
	if prefetched {
		c.showAhead(ctx)
	} else {
		c.aheadReply = nil
	}
	if !prefetched {
		var err error
		if ap, err = c.passiveAddr(ctx, only); err != nil {
			if errors.Is(err, ErrClosed) {
				return nil, err
			}
			return nil, &DataConnError{Mode: Passive, Err: err}
		}
	}
	// Once a passive data connection has worked on this Conn, the next
	// ones are dialed while the command goes out and its 150 comes back
	// (RFC 959 lets the client connect before or after the command), which
	// saves a round trip a file. Before that, a connection that cannot be
	// made must leave the control stream in step, for the fall back to
	// active mode (a firewall that admits only ports 20 and 21): dial
	// first, then send.
	pipelined := c.passiveWorked && only == 0
	dialed := make(chan dialResult, 1)
	go func() {
		// No keep-alive: the stall timeout watches a data connection. An
		// address, not a name: nothing to look up. Not DialTCP, whose
		// local address, even a zero one, is bound before the connect: a
		// bind(0.0.0.0:0) needs a port that no socket holds at all, where
		// connect alone may take one that is held for another address,
		// and an upload's connection ends in TIME-WAIT here (gftp closes
		// first), so that an mput of tens of thousands of files could run
		// out of ports. And it is a syscall a file less.
		d := net.Dialer{Timeout: c.opts.DataTimeout, KeepAlive: -1}
		nc, err := d.DialContext(ctx, "tcp", ap.String())
		if err != nil {
			dialed <- dialResult{nil, err}
			return
		}
		dialed <- dialResult{nc, nil}
	}()
	if !pipelined {
		dr := <-dialed
		if dr.err != nil {
			return nil, c.passiveDialError(ap, dr.err)
		}
		dialed <- dr
	}
	if err := c.sendRest(ctx, offset); err != nil {
		closeDialed(dialed)
		return nil, err
	}
	if err := c.Send(ctx, cmd); err != nil {
		closeDialed(dialed)
		return nil, err
	}
	dr := <-dialed
	if dr.err != nil {
		// The server owes a reply to the command and waits for a data
		// connection that will not come: the stream is out of step.
		c.markClosed()
		err := c.passiveDialError(ap, dr.err)
		err.Err = fmt.Errorf("%w; the connection is closed: %w", err.Err, ErrClosed)
		return nil, err
	}
	dc := &DataConn{Conn: dr.nc, c: c, verb: verbOf(cmd), passive: true}
	if pipelined && uploads(dc.verb) && !c.dataTLS {
		// The data goes out now, while the 150 is on its way: waiting for
		// it first costs a round trip a file, and the server reads what it
		// has buffered once it accepts. A refusal stops the copy.
		dc.early = make(chan struct{})
		go dc.readEarly(ctx)
		return dc, nil
	}
	var err error
	if dc.prelim, dc.final, err = c.transferReply(ctx, cmd); err != nil {
		dr.nc.Close()
		return nil, err
	}
	c.passiveWorked = true
	if c.dataTLS {
		if err := c.secureData(ctx, dc); err != nil {
			return nil, err
		}
	}
	return dc, nil
}

// uploads reports the transfer commands that send data to the server.
func uploads(verb string) bool { return verb == "STOR" || verb == "APPE" || verb == "STOU" }

type dialResult struct {
	nc  net.Conn
	err error
}

// closeDialed closes the data connection a dial in flight makes, when it
// is no longer wanted.
func closeDialed(dialed <-chan dialResult) {
	go func() {
		if dr := <-dialed; dr.err == nil {
			dr.nc.Close()
		}
	}()
}

func (c *Conn) passiveDialError(ap netip.AddrPort, err error) *DataConnError {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		err = fmt.Errorf("no answer within %s", c.opts.DataTimeout)
	} else {
		err = unwrapNetError(err)
	}
	return &DataConnError{Mode: Passive, Addr: ap.String(), Err: err}
}

// announceActive tells the server where to connect: EPRT, then PORT
// (only: just that one).
func (c *Conn) announceActive(ctx context.Context, only Method, ap netip.AddrPort) error {
	var refusal error
	if only == EPRT || (only == 0 && !c.noEPRT && !c.noExtended) {
		_, err := c.Cmd(ctx, "EPRT "+FormatEPRT(ap))
		var re *ReplyError
		switch {
		case err == nil, only == EPRT:
			return err
		case errors.As(err, &re) && !errors.Is(err, ErrClosed):
			refusal = err
			if !re.Temporary() {
				c.noEPRT = true
			}
		default:
			return err
		}
	}
	arg, err := FormatPORT(ap)
	if err != nil {
		if c.noExtended && refusal == nil && only == 0 {
			return fmt.Errorf("%w, and PORT cannot carry an IPv6 address", ErrExtendedOff)
		}
		return fmt.Errorf("the server refused EPRT%s and PORT cannot carry an IPv6 address", because(refusal))
	}
	_, err = c.Cmd(ctx, "PORT "+arg)
	return err
}

// listenAnnounced is listenActive with the address to announce for it:
// its own, or behind NAT the outside address (--active-address), which
// the NAT forwards to the listener.
func (c *Conn) listenAnnounced() (*net.TCPListener, netip.AddrPort, error) {
	ln, err := c.listenActive()
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	ap := ln.Addr().(*net.TCPAddr).AddrPort()
	if c.opts.ActiveAddr.IsValid() {
		ap = netip.AddrPortFrom(c.opts.ActiveAddr, ap.Port())
	}
	return ln, ap, nil
}

// listenActive listens for the server's data connection on the control
// connection's local address, within the configured port range if any,
// so that a client firewall rule can be narrow.
func (c *Conn) listenActive() (*net.TCPListener, error) {
	local := c.LocalAddr().Addr().Unmap()
	lo, hi := c.opts.ActivePortLow, c.opts.ActivePortHigh
	if lo <= 0 {
		return listenAnyPort(local)
	}
	ln, err := listenIn(local, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("no free port in the active port range %d-%d: %w", lo, hi, err)
	}
	return ln, nil
}

// listenIn listens on local at a port from lo to hi, from a random one on
// (which spreads concurrent sessions over the range).
func listenIn(local netip.Addr, lo, hi int) (*net.TCPListener, error) {
	n := hi - lo + 1
	start := rand.IntN(n)
	var last error
	for i := range n {
		port := uint16(lo + (start+i)%n)
		ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, port)))
		if err == nil {
			return ln, nil
		}
		last = err
	}
	return nil, last
}

func (c *Conn) openActive(ctx context.Context, only Method, cmd string, offset int64) (*DataConn, error) {
	var ln *net.TCPListener
	var ap netip.AddrPort
	if a := c.nextActive; a != nil && only == 0 {
		// Announced ahead (DataConn.Prefetch), and taken.
		ln, ap, c.nextActive = a.ln, a.ap, nil
		c.showAhead(ctx)
	} else {
		var err error
		if ln, ap, err = c.prepareActive(ctx, only); err != nil {
			return nil, err
		}
	}
	defer ln.Close()
	if err := c.sendRest(ctx, offset); err != nil {
		return nil, err
	}
	if err := c.Send(ctx, cmd); err != nil {
		return nil, err
	}
	out, err := c.awaitActive(ctx, ln, ap)
	if err != nil {
		return nil, err
	}
	return c.finishActive(ctx, cmd, ln, ap, out)
}

// prepareActive listens for the server's connection and tells the server
// where to connect.
func (c *Conn) prepareActive(ctx context.Context, only Method) (*net.TCPListener, netip.AddrPort, error) {
	ln, ap, err := c.listenAnnounced()
	if err != nil {
		return nil, netip.AddrPort{}, &DataConnError{Mode: Active, Err: err}
	}
	if err := c.announceActive(ctx, only, ap); err != nil {
		ln.Close()
		if errors.Is(err, ErrClosed) {
			return nil, ap, err
		}
		return nil, ap, &DataConnError{Mode: Active, Err: err}
	}
	return ln, ap, nil
}

// activeOutcome is what came of an active-mode transfer command: the
// server's first reply, and its connection to us or why none came.
type activeOutcome struct {
	reply     *Reply
	conn      net.Conn
	acceptErr error
}

// awaitActive accepts while it waits for the preliminary reply: some
// servers (vsftpd) send it only once their connection back has worked, so
// a firewall that drops that connection must not hold us for the reply
// timeout. It returns once both are known. An error means the control
// stream is lost or out of step.
func (c *Conn) awaitActive(ctx context.Context, ln *net.TCPListener, ap netip.AddrPort) (activeOutcome, error) {
	replies := make(chan replyResult, 1)
	go func() {
		r, err := c.Read(ctx)
		replies <- replyResult{r, err}
	}()
	accepted := make(chan acceptResult, 1)
	go func() {
		nc, err := c.accept(ctx, ln)
		accepted <- acceptResult{nc, err}
	}()
	var rr replyResult
	var ar acceptResult
	select {
	case rr = <-replies:
		if rr.err != nil || rr.r.Class() > 2 {
			ln.Close() // no transfer is coming: stop accepting
		}
		ar = <-accepted
	case ar = <-accepted:
		var cut bool
		if rr, cut = c.replyAfterAccept(ar, replies); cut {
			if ctx.Err() != nil {
				return activeOutcome{}, interruptedError{ctx.Err()}
			}
			// The server still owes its reply, so the control stream is
			// out of step: the connection is given up.
			return activeOutcome{}, &DataConnError{Mode: Active, Addr: ap.String(), Err: fmt.Errorf("%w; the connection is closed", ar.err)}
		}
	}
	if rr.err != nil {
		if ar.err == nil {
			ar.nc.Close()
		}
		return activeOutcome{}, rr.err
	}
	return activeOutcome{reply: rr.r, conn: ar.nc, acceptErr: ar.err}, nil
}

// replyAfterAccept waits for the reply once the accept is over. After a
// failed accept (no connection within the data timeout) only a reply
// that is already here (a 425, say) is taken; the wait for one still owed
// is cut (cut), which gives up the connection.
func (c *Conn) replyAfterAccept(ar acceptResult, replies <-chan replyResult) (rr replyResult, cut bool) {
	if ar.err == nil {
		return <-replies, false
	}
	select {
	case rr = <-replies:
		return rr, false
	case <-time.After(100 * time.Millisecond):
		c.ctrl.SetReadDeadline(time.Now())
		rr = <-replies
		return rr, rr.err != nil
	}
}

// finishActive turns the reply and the accepted connection into a data
// connection, or into the error that explains why there is none.
func (c *Conn) finishActive(ctx context.Context, cmd string, ln *net.TCPListener, ap netip.AddrPort, out activeOutcome) (*DataConn, error) {
	var final, prelim *Reply
	switch r := out.reply; r.Class() {
	case 1:
		prelim = r
	case 2:
		final = r
	default:
		if out.conn != nil {
			out.conn.Close()
		}
		err := &ReplyError{Command: verbOf(cmd), Reply: r}
		if r.Code == StatusCannotOpenData {
			// The server could not connect back to us.
			return nil, &DataConnError{Mode: Active, Addr: ap.String(), Err: fmt.Errorf("%w%s", err, firewallHint)}
		}
		return nil, err
	}
	if out.acceptErr != nil {
		ln.Close() // refuse a late connection, so the server gives up
		if final == nil {
			// The server still owes a final reply; read it so the control
			// stream stays in step.
			if _, rerr := c.readFinal(ctx, waitFor(c.opts.DataTimeout)); rerr != nil {
				c.markClosed()
			}
		}
		err := out.acceptErr
		if c.closed && !errors.Is(err, ErrClosed) {
			err = fmt.Errorf("%w (the connection is closed: %w)", err, ErrClosed)
		}
		return nil, &DataConnError{Mode: Active, Addr: ap.String(), Err: err}
	}
	dc := &DataConn{Conn: out.conn, c: c, verb: verbOf(cmd), final: final, prelim: prelim}
	if c.dataTLS {
		// The server connected, and this side is still the TLS client
		// (RFC 4217 §10).
		if err := c.secureData(ctx, dc); err != nil {
			return nil, err
		}
	}
	return dc, nil
}

type replyResult struct {
	r   *Reply
	err error
}

type acceptResult struct {
	nc  net.Conn
	err error
}

// because quotes a refusal when this attempt saw one (an earlier one may
// have made the session stop asking).
func because(refusal error) string {
	if refusal == nil {
		return " earlier in this session"
	}
	return fmt.Sprintf(" (%v)", refusal)
}

const firewallHint = " (a firewall on this host may block inbound TCP from the server's port 20)"

// accept waits for the server's data connection, ignoring connections from
// any other address: only the server we talk to may feed us data.
func (c *Conn) accept(ctx context.Context, ln *net.TCPListener) (net.Conn, error) {
	deadline := time.Now().Add(c.opts.DataTimeout)
	ln.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { ln.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	want := c.RemoteAddr().Addr().Unmap()
	for {
		nc, err := ln.AcceptTCP()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, fmt.Errorf("the server did not connect within %s%s", c.opts.DataTimeout, firewallHint)
			}
			return nil, err
		}
		if nc.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap() != want {
			nc.Close()
			continue
		}
		return nc, nil
	}
}

// unwrapNetError drops the "dial tcp a->b:" prefix that net adds, since our
// message names the address itself.
func unwrapNetError(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	var se *os.SyscallError // "connect: connection refused"
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

// Transfer helpers: each opens a data connection, moves the bytes and
// collects the final reply. A local error wins over the server's reply,
// since it is the cause.

// Retrieve copies the remote file path (from offset) to w.
func (c *Conn) Retrieve(ctx context.Context, mode DataMode, path string, offset int64, w io.Writer) (int64, error) {
	return c.download(ctx, mode, "RETR "+path, offset, w)
}

// List runs a listing command (LIST, NLST or MLSD, with an optional
// argument) and returns its body.
func (c *Conn) List(ctx context.Context, mode DataMode, verb, arg string, w io.Writer) (int64, error) {
	cmd := verb
	if arg != "" {
		cmd += " " + arg
	}
	return c.download(ctx, mode, cmd, 0, w)
}

func (c *Conn) download(ctx context.Context, mode DataMode, cmd string, offset int64, w io.Writer) (int64, error) {
	dc, err := c.OpenData(ctx, mode, cmd, offset)
	if err != nil {
		return 0, err
	}
	n, cerr := dc.CopyTo(ctx, w)
	err = dc.Finish(ctx)
	if cerr != nil {
		return n, fmt.Errorf("%s: %w", verbOf(cmd), cerr)
	}
	return n, err
}

// Store copies r to the remote file path with STOR.
func (c *Conn) Store(ctx context.Context, mode DataMode, path string, r io.Reader) (int64, error) {
	dc, err := c.OpenData(ctx, mode, "STOR "+path, 0)
	if err != nil {
		return 0, err
	}
	n, cerr := dc.CopyFrom(ctx, r)
	err = dc.Finish(ctx)
	if cerr != nil {
		return n, fmt.Errorf("STOR: %w", BrokenBecause(cerr, err))
	}
	return n, err
}

// BrokenBecause is a copy's failure with the server's reason, when its
// final reply gave one: a server that stopped reading an upload, say,
// tells why only in its reply ("550 ... TLS session of data connection
// not resumed"), while this side saw only a broken pipe.
func BrokenBecause(copyErr, finishErr error) error {
	var re *ReplyError
	if !errors.As(finishErr, &re) {
		return copyErr
	}
	// Both wrapped: the server's verdict (a 4xx to try again, a 5xx not
	// to) decides whether it is worth another try.
	return fmt.Errorf("%w (the server said: %w)", copyErr, re)
}

// CopyTo copies the data connection to w until EOF. When ctx ends first,
// the data connection is closed to stop the copy, and ctx's error is the
// result. A transfer that moves no bytes for the stall timeout fails.
// From a TCP connection into a file the kernel moves the bytes (splice),
// with no copy through user space.
func (d *DataConn) CopyTo(ctx context.Context, w io.Writer) (int64, error) {
	n, err := d.copyTo(ctx, w)
	d.sawEOF = err == nil
	return n, err
}

func (d *DataConn) copyTo(ctx context.Context, w io.Writer) (int64, error) {
	stop := context.AfterFunc(ctx, d.abort)
	defer stop()
	if d.Limit > 0 {
		n, err := copyPaced(ctx, w, stallGuard{d}, d.Limit)
		return n, d.cause(ctx, err)
	}
	if f, ok := w.(*os.File); ok {
		if tc, ok := d.Conn.(*net.TCPConn); ok {
			n, err := d.zeroCopy(tc.SetReadDeadline, func() (int64, error) { return f.ReadFrom(tc) })
			return n, d.cause(ctx, socketSide(err))
		}
	}
	// Our buffer, not w's ReadFrom: it grows for a fast transfer, where
	// 32 KiB buffers would renew the stall deadline 8 times as often.
	n, err := copyGrowing(w, stallGuard{d})
	return n, d.cause(ctx, err)
}

// CopyFrom copies r to the data connection, like CopyTo the other way:
// from a file into a TCP connection the kernel moves the bytes
// (sendfile).
func (d *DataConn) CopyFrom(ctx context.Context, r io.Reader) (int64, error) {
	stop := context.AfterFunc(ctx, d.abort)
	defer stop()
	if d.Limit > 0 {
		n, err := copyPaced(ctx, stallGuard{d}, r, d.Limit)
		return n, d.cause(ctx, err)
	}
	if f, ok := r.(*os.File); ok {
		if tc, ok := d.Conn.(*net.TCPConn); ok {
			n, err := d.zeroCopy(tc.SetWriteDeadline, func() (int64, error) { return tc.ReadFrom(f) })
			return n, d.cause(ctx, err)
		}
	}
	n, err := copyGrowing(stallGuard{d}, r)
	return n, d.cause(ctx, err)
}

// socketSide gives back to the network the errors of a splice that came
// from the socket: the file's ReadFrom reports them as its own ("write
// f: splice: connection reset by peer"), and a reset is not a local disk
// failure. A full disk and the like stay the file's, and so does a broken
// pipe: a socket read never has one, a pipe whose reader ended does.
func socketSide(err error) error {
	var pe *fs.PathError
	var errno syscall.Errno
	if !errors.As(err, &pe) || !errors.As(pe.Err, &errno) {
		return err
	}
	switch errno {
	case syscall.ECONNRESET, syscall.ECONNABORTED, syscall.ETIMEDOUT, syscall.ENOTCONN,
		syscall.ENETDOWN, syscall.ENETUNREACH, syscall.EHOSTUNREACH, syscall.EHOSTDOWN, syscall.ESHUTDOWN:
		return &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", errno)}
	}
	return err
}

// segment is how long one zero-copy call runs before it comes back to
// report progress and to check for a stall.
const segment = 250 * time.Millisecond

// zeroCopy runs copy (a ReadFrom the kernel does) in segments: each ends
// at a deadline, reports the bytes it moved (Progress) and goes on. The
// copy has stalled when no byte moved for the stall timeout, which is
// told within a segment of it.
func (d *DataConn) zeroCopy(setDeadline func(time.Time) error, copy func() (int64, error)) (int64, error) {
	stall := d.c.opts.StallTimeout
	var total int64
	last := time.Now() // when bytes last moved
	for {
		setDeadline(time.Now().Add(min(segment, stall)))
		n, err := copy()
		total += n
		if n > 0 {
			last = time.Now()
			if d.Progress != nil {
				d.Progress(n)
			}
		}
		var ne net.Error
		if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
			return total, err // the end, or a failure
		}
		if time.Since(last) >= stall {
			return total, err // stalled: the deadline's timeout says so
		}
	}
}

// The data copies' buffer starts small (a listing, a small file) and
// grows while reads fill it, up to a size at which syscalls and deadline
// renewals cost little next to the bytes moved.
const (
	copyStart  = 16 << 10
	copyBuffer = 256 << 10
)

// copyGrowing copies src to dst until EOF, as io.Copy does, through a
// buffer that doubles each time a read fills it.
func copyGrowing(dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, copyStart)
	var total int64
	for {
		n, err := moveOnce(dst, src, buf)
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		if n == len(buf) && len(buf) < copyBuffer {
			buf = make([]byte, 2*len(buf))
		}
	}
}

// moveOnce reads src once into buf and writes what came to dst: the bytes
// written, and the read's error (io.EOF at the end) or the write's.
func moveOnce(dst io.Writer, src io.Reader, buf []byte) (int, error) {
	n, err := src.Read(buf)
	if n > 0 {
		w, werr := dst.Write(buf[:n])
		if werr != nil {
			return w, werr
		}
		if w < n {
			return w, io.ErrShortWrite
		}
	}
	return n, err
}

// copyPaced copies src to dst at most bps bytes a second, in pieces of
// at most a tenth of a second's worth (4 KiB at least), each waited for
// on a token bucket (golang.org/x/time/rate) before it is read.
func copyPaced(ctx context.Context, dst io.Writer, src io.Reader, bps int64) (int64, error) {
	piece := int(min(max(bps/10, 4<<10), copyBuffer))
	lim := rate.NewLimiter(rate.Limit(bps), piece)
	buf := make([]byte, piece)
	var total int64
	for {
		// Charged for what moved, after it moved: a short read costs
		// its bytes, not a whole piece.
		n, err := moveOnce(dst, src, buf)
		total += int64(n)
		if n > 0 {
			if werr := lim.WaitN(ctx, n); werr != nil && ctx.Err() != nil {
				return total, ctx.Err()
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// stallGuard renews the data connection's deadline before each read and
// write, so the deadline measures time without progress, not the whole
// transfer. It reports the bytes moved (Progress) too.
type stallGuard struct{ d *DataConn }

func (g stallGuard) Read(p []byte) (int, error) {
	g.d.Conn.SetReadDeadline(time.Now().Add(g.d.c.opts.StallTimeout))
	n, err := g.d.Conn.Read(p)
	if n > 0 && g.d.Progress != nil {
		g.d.Progress(int64(n))
	}
	return n, err
}

func (g stallGuard) Write(p []byte) (int, error) {
	g.d.Conn.SetWriteDeadline(time.Now().Add(g.d.c.opts.StallTimeout))
	n, err := g.d.Conn.Write(p)
	if n > 0 && g.d.Progress != nil {
		g.d.Progress(int64(n))
	}
	return n, err
}

// dataBroke is a data connection that failed mid-copy: its message is the
// reason alone ("connection reset by peer"), without Go's "read tcp
// a->b:", while errors.Is/As still reach the network error.
type dataBroke struct {
	reason error
	err    error
}

func (e *dataBroke) Error() string { return "the data connection broke: " + e.reason.Error() }
func (e *dataBroke) Unwrap() error { return e.err }

// cause names why a copy failed: ctx's end, the server's refusal, or a
// stall.
func (d *DataConn) cause(ctx context.Context, err error) error {
	var ne net.Error
	if err != nil {
		d.failed = true
	}
	if d.early != nil && err != nil {
		select {
		case <-d.early:
			if d.refused != nil {
				return d.refused // it stopped the copy
			}
		default:
		}
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: no data moved for %s", ErrStalled, d.c.opts.StallTimeout)
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return &dataBroke{unwrapNetError(err), err}
	}
	return err // the local side's (a full disk): its own words
}
