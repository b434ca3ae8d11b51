package ftp

// Sending the next transfer's passive command (or, in active mode, its
// EPRT or PORT) before this transfer's final reply: a round trip a file
// less in multi-file commands (DataConn.Prefetch).

import (
	"context"
	"net"
	"net/netip"
)

// takePrefetch reads the second of the two replies owed after a passive
// command (or, with listening, an EPRT or PORT) went out ahead of a
// transfer's final reply, tells which answers which, and keeps the
// address (the listener) for the next transfer. A server that reads
// commands during a transfer may answer the passive command first, so
// the replies are told apart by their codes (227 or 229 is the passive
// command's); two refusals are taken in the order sent. A server that did
// not take it well (a refusal, a failed transfer, an answer out of order)
// is not sent one again. It returns the transfer's final reply.
func (c *Conn) takePrefetch(ctx context.Context, verb string, first *Reply, listening *announced) (*Reply, error) {
	// Read untraced: the reply is the next transfer's, and shown with it
	// (showAhead), after the lines of this one, as ftp(1) shows a 229
	// after the next file's "local: ... remote: ...".
	second, err := c.ReadFinal(WithTrace(ctx, nil))
	if err != nil {
		if listening != nil {
			listening.ln.Close()
		}
		return nil, err // the connection is gone with it
	}
	want := StatusExtendedPassive
	switch verb {
	case "PASV":
		want = StatusPassive
	case "EPRT", "PORT":
		want = StatusOK
	}
	final, passive := first, second
	switch {
	case first.Code == want && second.Code != want,
		first.Class() >= 4 && second.Class() == 2 && second.Code != want:
		// Answered out of order: it read the command mid-transfer, and
		// took it (the 229 came first) or refused it (a 500 first, then
		// the transfer's 226).
		final, passive = second, first
		c.noPrefetch = true
	}
	if t := traceOf(ctx); passive == first && t != nil && t.Reply != nil {
		t.Reply(second) // out of order: the transfer's own, shown now
	} else {
		c.aheadReply = passive
	}
	if listening != nil {
		// The active mode's: the listener waits for the next transfer.
		if passive.Code == StatusOK && final.Class() == 2 { // in order or not
			c.nextActive = listening
			return final, nil
		}
		// Refused ahead says nothing of EPRT itself (pure-ftpd refuses
		// any command mid-transfer): the next transfer asks on its own.
		listening.ln.Close()
		c.noPrefetch = true
		return final, nil
	}
	var ap netip.AddrPort
	switch passive.Code {
	case StatusExtendedPassive:
		ap, err = c.epsvAddr(passive)
	case StatusPassive:
		ap, err = c.pasvAddr(passive)
	default:
		err = replyErr(verb, passive)
	}
	if err != nil || final.Class() != 2 {
		c.noPrefetch = true
	} else {
		c.nextPassive = ap // good for the next transfer, in order or not
	}
	return final, nil
}

// announced is an active-mode listener whose address went to the server
// ahead of the next transfer (DataConn.Prefetch).
type announced struct {
	ln *net.TCPListener
	ap netip.AddrPort // as announced
}

// DropAhead closes a listener announced ahead of a next transfer that is
// not coming (a multi-file command ended, or another connection took the
// file): the server would connect to it on the next transfer command, and
// until then anyone at the server's address could. Any command but the
// next transfer's drops it too.
func (c *Conn) DropAhead() { c.dropAhead() }

func (c *Conn) dropAhead() {
	if c.nextActive != nil {
		c.nextActive.ln.Close()
		c.nextActive = nil
	}
}

// announceAhead listens for the next transfer's data connection and sends
// its EPRT (or PORT, as announceActive would choose) without waiting for
// the reply, which takePrefetch reads after the transfer's final reply.
// It returns the verb sent ("" for none) and the listener.
func (c *Conn) announceAhead(ctx context.Context) (string, *announced) {
	if c.noPrefetch {
		return "", nil
	}
	ln, ap, err := c.listenAnnounced()
	if err != nil {
		return "", nil // the next transfer finds out for itself
	}
	line := ""
	if !c.noEPRT && !c.noExtended {
		line = "EPRT " + FormatEPRT(ap)
	} else if arg, err := FormatPORT(ap); err == nil {
		line = "PORT " + arg
	}
	if line == "" || c.send(ctx, line, false) != nil {
		ln.Close()
		return "", nil
	}
	return verbOf(line), &announced{ln, ap}
}

// prefetchVerb is the passive command the next transfer would start
// with, to send ahead of time; "" when there is none to send.
func (c *Conn) prefetchVerb() string {
	switch {
	case c.noPrefetch:
		return ""
	case !c.noEPSV && !c.noExtended:
		return "EPSV"
	case c.RemoteAddr().Addr().Unmap().Is4():
		return "PASV"
	}
	return ""
}

// showAhead shows the reply to the command sent ahead, held since, on
// the trace of the transfer that takes it.
func (c *Conn) showAhead(ctx context.Context) {
	r := c.aheadReply
	c.aheadReply = nil
	if t := traceOf(ctx); r != nil && t != nil && t.Reply != nil {
		t.Reply(r)
	}
}
