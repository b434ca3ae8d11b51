package testserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HostileOptions scripts a Hostile server: what it says, byte for byte.
// The zero value is a well-behaved server with no files.
type HostileOptions struct {
	// Replies maps a verb to the raw reply the server gives instead of its
	// own: one or more lines, joined with "\r\n" (a final CR LF is added).
	// Escape sequences, several replies to one command, a 150 to CWD: any
	// text goes.
	Replies map[string]string
	// Hang lists verbs that are read and never answered.
	Hang []string
	// Drop lists verbs at which the server closes the connection, saying
	// nothing.
	Drop []string
	// Listing writes the body of LIST, NLST and MLSD; nil lists nothing.
	Listing func(w io.Writer) error
	// MLSD makes FEAT list MLST, so that clients list with MLSD.
	MLSD bool
	// Stat writes the listing that STAT with a pathname answers with, in
	// a 213 reply, as vsftpd lists a directory; nil: STAT gets 502.
	Stat func(w io.Writer) error
	// NoSize refuses SIZE (502), as servers without RFC 3659 do.
	NoSize bool
	// Files are what RETR sends, by name; other names get 550.
	Files map[string][]byte
	// Silent accepts connections and never greets.
	Silent bool
	// DataHang: after the 150 of RETR, the data connection stays open and
	// silent and no final reply comes (a stuck server).
	DataHang bool
	// NoFinal: the transfer completes but the 226 never comes.
	NoFinal bool
	// DataReset: RETR sends a little and then resets the data connection.
	DataReset bool
	// SlowData spreads RETR's data over this long, in 20 pieces, and
	// announces the size in the 150 reply, as vsftpd does.
	SlowData time.Duration
	// MaxConns, when set, greets connections beyond that many at once
	// with "421 Too many connections" and closes them, as vsftpd's
	// max_per_ip does.
	MaxConns int
	// QuitTogether holds every QUIT's 221 until this many QUITs have come
	// (at most 3 s), to see whether a client ends its connections at once
	// or one after another (QuitsAtFirstBye).
	QuitTogether int
	// HangUpAfter: the first session to get its reply to this verb is
	// closed right after it (a server that ends an idle session).
	HangUpAfter string
	// Sequence scripts the first answers to a verb, over all sessions in
	// order: the n-th time the verb comes it gets Sequence[verb][n], a raw
	// reply, or "" for the usual answer, or "-drop" to close the
	// connection saying nothing. Later ones get the usual answer. A key
	// may be a whole command line instead ("CWD a"): such a line is
	// counted under it, not under its verb.
	Sequence map[string][]string
}

// Hostile is a raw FTP server for tests of what a broken or malicious
// server can do to a client: it speaks just enough FTP to log in and move
// data in passive mode (EPSV, PASV), and says whatever HostileOptions
// tells it to.
type Hostile struct {
	opts HostileOptions
	ln   net.Listener
	wg   sync.WaitGroup

	mu     sync.Mutex
	cmds   []string
	live   int // sessions now
	peak   int // the most sessions at once
	stored map[string][]byte
	conns  map[net.Conn]struct{}
	closed bool
	// quits counts QUITs; allQuit closes when QuitTogether have come.
	quits     int
	allQuit   chan struct{}
	firstBye  int // quits when the first 221 went, 0 before
	quitsGone int // clients that closed before their 221
	hungUp    bool
	seen      map[string]int // how often each verb came, for Sequence
}

// maxStored bounds what STOR keeps per file.
const maxStored = 64 << 20

// StartHostile starts a Hostile server on 127.0.0.1.
func StartHostile(opts HostileOptions) (*Hostile, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testserver: hostile listen: %w", err)
	}
	h := &Hostile{opts: opts, ln: ln, stored: map[string][]byte{}, conns: map[net.Conn]struct{}{}, allQuit: make(chan struct{})}
	h.wg.Go(h.acceptLoop)
	return h, nil
}

// Host is the address to dial.
func (h *Hostile) Host() string { return "127.0.0.1" }

// Port is the control port.
func (h *Hostile) Port() int { return h.ln.Addr().(*net.TCPAddr).Port }

// Commands returns the command lines received, byte for byte, with
// passwords masked as "PASS ****".
func (h *Hostile) Commands() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.cmds...)
}

// Stored returns what STOR received under name, and whether it came.
func (h *Hostile) Stored(name string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.stored[name]
	return b, ok
}

// QuitsAtFirstBye is how many QUITs had come when the server sent its
// first 221 (0: none sent), and how many clients had closed without
// waiting for theirs.
func (h *Hostile) QuitsAtFirstBye() (quits, gone int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.firstBye, h.quitsGone
}

// Peak is the most control connections the server had at once.
func (h *Hostile) Peak() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

func (h *Hostile) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.opts.MaxConns > 0 && h.live >= h.opts.MaxConns {
		return false
	}
	h.live++
	h.peak = max(h.peak, h.live)
	return true
}

func (h *Hostile) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.live--
}

// Close stops the server and drops its connections.
func (h *Hostile) Close() {
	h.mu.Lock()
	h.closed = true
	for c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.ln.Close()
	h.wg.Wait()
}

func (h *Hostile) track(c io.Closer) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		c.Close()
		return false
	}
	if nc, ok := c.(net.Conn); ok {
		h.conns[nc] = struct{}{}
	}
	return true
}

func (h *Hostile) acceptLoop() {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		if !h.track(c) {
			return
		}
		h.wg.Go(func() {
			defer c.Close()
			if h.opts.Silent {
				io.Copy(io.Discard, c)
				return
			}
			if !h.enter() {
				io.WriteString(c, "421 Too many connections from your address\r\n")
				return
			}
			defer h.leave()
			(&hostileSession{h: h, c: c, br: bufio.NewReader(c)}).serve()
		})
	}
}

type hostileSession struct {
	h    *Hostile
	c    net.Conn
	br   *bufio.Reader
	data net.Listener // from the last EPSV or PASV
	rest int          // from REST, for the next RETR or STOR
	// opening is the 150 reply of the next transfer.
	opening string
}

func (s *hostileSession) say(text string) bool {
	_, err := io.WriteString(s.c, text+"\r\n")
	return err == nil
}

func (s *hostileSession) serve() {
	if !s.say("220 hostile test server") {
		return
	}
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		rec := line
		if verb == "PASS" {
			rec = "PASS ****"
		}
		s.h.mu.Lock()
		s.h.cmds = append(s.h.cmds, rec)
		s.h.mu.Unlock()
		if hang(s.h.opts.Hang, verb) {
			continue
		}
		if hang(s.h.opts.Drop, verb) {
			return
		}
		key := verb
		if _, ok := s.h.opts.Sequence[line]; ok {
			key = line
		}
		switch r := s.h.next(key); r {
		case "":
		case "-drop":
			return
		default:
			if !s.say(r) {
				return
			}
			continue
		}
		if r, ok := s.h.opts.Replies[verb]; ok {
			if !s.say(r) {
				return
			}
			continue
		}
		if !s.answer(verb, arg) {
			return
		}
		if s.h.hangUp(verb) {
			return
		}
	}
}

// next is Sequence's answer to this coming of key, a verb or a line
// ("": the usual one).
func (h *Hostile) next(key string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	seq := h.opts.Sequence[key]
	if seq == nil {
		return ""
	}
	if h.seen == nil {
		h.seen = map[string]int{}
	}
	n := h.seen[key]
	h.seen[key]++
	if n < len(seq) {
		return seq[n]
	}
	return ""
}

// hangUp reports, once, that the session is to close after verb.
func (h *Hostile) hangUp(verb string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hungUp || !strings.EqualFold(h.opts.HangUpAfter, verb) {
		return false
	}
	h.hungUp = true
	return true
}

func hang(verbs []string, verb string) bool {
	for _, v := range verbs {
		if strings.EqualFold(v, verb) {
			return true
		}
	}
	return false
}

// answer gives the well-behaved reply to one command; false ends the
// session.
func (s *hostileSession) answer(verb, arg string) bool {
	o := s.h.opts
	switch verb {
	case "USER":
		return s.say("331 Password please")
	case "PASS":
		return s.say("230 Logged in")
	case "SYST":
		return s.say("215 UNIX Type: L8")
	case "FEAT":
		feat := "211-Features:\r\n SIZE\r\n REST STREAM\r\n"
		if o.MLSD {
			feat += " MLST type*;size*;modify*;\r\n"
		}
		return s.say(feat + "211 End")
	case "TYPE", "NOOP":
		return s.say("200 Ok")
	case "PWD":
		return s.say(`257 "/" is the current directory`)
	case "CWD", "CDUP", "RMD", "DELE", "RNTO":
		return s.say("250 Ok")
	case "MKD":
		return s.say(`257 "` + arg + `" created`)
	case "REST":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return s.say("501 Bad offset")
		}
		s.rest = n
		return s.say("350 Restarting at " + arg)
	case "RNFR":
		return s.say("350 Go on")
	case "SIZE":
		if o.NoSize {
			return s.say("502 SIZE not implemented")
		}
		if b, ok := o.Files[arg]; ok {
			return s.say("213 " + strconv.Itoa(len(b)))
		}
		s.h.mu.Lock()
		b, ok := s.h.stored[arg]
		s.h.mu.Unlock()
		if ok {
			return s.say("213 " + strconv.Itoa(len(b)))
		}
		return s.say("550 No such file")
	case "EPSV", "PASV":
		return s.passive(verb)
	case "LIST", "NLST", "MLSD":
		return s.transfer(func(dc net.Conn) error {
			if o.Listing == nil {
				return nil
			}
			return o.Listing(dc)
		})
	case "RETR":
		b, ok := o.Files[arg]
		if !ok {
			return s.say("550 No such file")
		}
		if o.SlowData > 0 {
			s.opening = fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", arg, len(b))
		}
		b = b[min(s.rest, len(b)):]
		s.rest = 0
		return s.transfer(func(dc net.Conn) error {
			if o.DataHang {
				io.Copy(io.Discard, dc) // open and silent until the client goes
				return errHang
			}
			if o.SlowData > 0 {
				step := max(1, len(b)/20)
				for i := 0; i < len(b); i += step {
					if _, err := dc.Write(b[i:min(i+step, len(b))]); err != nil {
						return err
					}
					time.Sleep(o.SlowData / 20)
				}
				return nil
			}
			if o.DataReset {
				dc.Write(b[:len(b)/2])
				time.Sleep(50 * time.Millisecond) // so the bytes arrive first
				dc.(*net.TCPConn).SetLinger(0)
				return errors.New("reset")
			}
			_, err := dc.Write(b)
			return err
		})
	case "STOR":
		rest := s.rest
		s.rest = 0
		return s.transfer(func(dc net.Conn) error {
			b, err := io.ReadAll(io.LimitReader(dc, maxStored))
			s.h.mu.Lock()
			old := s.h.stored[arg]
			s.h.stored[arg] = append(old[:min(rest, len(old)):min(rest, len(old))], b...)
			s.h.mu.Unlock()
			return err
		})
	case "STAT":
		if o.Stat == nil || arg == "" {
			break
		}
		var b bytes.Buffer
		if err := o.Stat(&b); err != nil {
			return s.say("451 " + err.Error())
		}
		body := strings.TrimSuffix(strings.ReplaceAll(b.String(), "\r\n", "\n"), "\n")
		if body != "" {
			body = strings.ReplaceAll(body, "\n", "\r\n") + "\r\n"
		}
		return s.say("213-Status follows:\r\n" + body + "213 End of status")
	case "QUIT":
		s.h.quit(s)
		s.say("221 Bye")
		return false
	}
	return s.say("502 Command not implemented")
}

// quit counts a QUIT and, with QuitTogether, waits for the others, and
// then counts the client as gone if it stopped waiting for the 221.
func (h *Hostile) quit(s *hostileSession) {
	h.mu.Lock()
	h.quits++
	if h.quits == h.opts.QuitTogether {
		close(h.allQuit)
	}
	h.mu.Unlock()
	if h.opts.QuitTogether > 0 {
		select {
		case <-h.allQuit:
		case <-time.After(3 * time.Second):
		}
	}
	s.c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	_, err := s.br.Peek(1)
	s.c.SetReadDeadline(time.Time{})
	h.mu.Lock()
	if h.firstBye == 0 {
		h.firstBye = h.quits
	}
	if errors.Is(err, io.EOF) {
		h.quitsGone++
	}
	h.mu.Unlock()
}

// errHang ends a transfer without a final reply.
var errHang = errors.New("hang")

func (s *hostileSession) passive(verb string) bool {
	if s.data != nil {
		s.data.Close()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return s.say("425 Cannot open a data port")
	}
	if !s.h.track(ln) {
		return false
	}
	s.data = ln
	p := ln.Addr().(*net.TCPAddr).Port
	if verb == "EPSV" {
		return s.say(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", p))
	}
	return s.say(fmt.Sprintf("227 Entering Passive Mode (127,0,0,1,%d,%d)", p>>8, p&0xff))
}

// transfer runs one data command over a connection accepted from the
// last passive listener.
func (s *hostileSession) transfer(move func(net.Conn) error) bool {
	if s.opening == "" {
		s.opening = "150 Opening data connection"
	}
	defer func() { s.opening = "" }()
	if s.data == nil {
		return s.say("425 Use EPSV or PASV first")
	}
	ln := s.data
	s.data = nil
	defer ln.Close()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	dc, err := ln.Accept()
	if err != nil {
		return s.say("425 No data connection")
	}
	if !s.h.track(dc) {
		return false
	}
	if !s.say(s.opening) {
		dc.Close()
		return false
	}
	err = move(dc)
	dc.Close()
	switch {
	case errors.Is(err, errHang):
		io.Copy(io.Discard, s.br) // no final reply, ever
		return false
	case err != nil:
		return s.say("426 Transfer aborted")
	case s.h.opts.NoFinal:
		io.Copy(io.Discard, s.br)
		return false
	}
	return s.say("226 Transfer complete")
}
