package ftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Servers that break the protocol's step (RFC 959 §4.2: one final reply
// per command, 1yz only announcing it) and waits that an interruption must
// cut short.

// A 150 to CWD, then the 250: the 150 is preliminary, so CWD's answer is
// the 250, and the 550 that follows belongs to DELE, not to the next
// command.
func TestCmdReadsPastPreliminaryReplies(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("CWD x")
		s.send("150 Here it comes", "250 Directory changed")
		s.expect("DELE important")
		s.send("550 Permission denied")
		s.expect("PWD")
		s.send(`257 "/x"`)
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	r, err := c.Cmd(bg, "CWD x")
	if err != nil || r.Code != 250 {
		t.Fatalf("CWD: reply %v, err %v; want the 250 after the 150", r, err)
	}
	_, err = c.Cmd(bg, "DELE important")
	wantReplyError(t, err, 550, "DELE")
	if r, err := c.Cmd(bg, "PWD"); err != nil || r.Code != 257 {
		t.Fatalf("PWD: reply %v, err %v; want its own 257", r, err)
	}
	c.Close()
	srv.wait()
}

// Preliminary replies without end are not read for ever.
func TestCmdEndlessPreliminaryReplies(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("CWD x")
		for range 100 {
			s.c.SetWriteDeadline(time.Now().Add(fakeWait))
			if _, err := s.c.Write([]byte("150 Wait\r\n")); err != nil {
				return // the client gave up and closed
			}
		}
	})
	c := dialFake(t, srv, fakeOpts())
	_, err := c.Cmd(bg, "CWD x")
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "preliminary replies and no final one") {
		t.Fatalf("err = %v, want the connection closed for endless 1xx replies", err)
	}
	srv.wait()
}

// A server that answers one command twice: the second reply is waiting
// before the next command goes out, so it is set aside (OnStray) rather
// than taken as that command's answer; whether it came with the first (in
// the client's buffer) or in a write of its own (still in the kernel).
func TestStrayReplyIsNotTheNextAnswer(t *testing.T) {
	for _, ownWrite := range []bool{false, true} {
		t.Run(map[bool]string{false: "with the first", true: "in its own write"}[ownWrite], func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expect("CWD x")
				if ownWrite {
					s.send("250 Directory changed")
					time.Sleep(30 * time.Millisecond)
					s.send("550 And another thing")
				} else {
					s.send("250 Directory changed", "550 And another thing")
				}
				s.expect("DELE important")
				s.send("550 Permission denied")
				s.expectEOF()
			})
			var stray []string
			opts := fakeOpts()
			opts.OnStray = func(r *Reply) { stray = append(stray, r.String()) }
			c := dialFake(t, srv, opts)
			if _, err := c.Cmd(bg, "CWD x"); err != nil {
				t.Fatal(err)
			}
			// The extra reply has arrived by now; give it time on a slow machine.
			time.Sleep(150 * time.Millisecond)
			_, err := c.Cmd(bg, "DELE important")
			if re := wantReplyError(t, err, 550, "DELE"); re.Reply.Message() != "Permission denied" {
				t.Errorf("DELE's reply is %q, want its own %q", re.Reply.Message(), "Permission denied")
			}
			if len(stray) != 1 || stray[0] != "550 And another thing" {
				t.Errorf("OnStray saw %q, want the one extra reply", stray)
			}
			c.Close()
			srv.wait()
		})
	}
}

// passiveRetr serves the start of a passive RETR of name: EPSV, the data
// connection, the 150. It returns the data connection.
func (s *fakeSession) passiveRetr(name string) net.Conn {
	s.srv.t.Helper()
	s.expect("EPSV")
	ln := s.listenData()
	s.epsv(ln)
	s.expect("RETR " + name)
	dc := s.accept(ln)
	s.send("150 Opening")
	return dc
}

// A greeting that is neither 220 nor a refusal is an error, not a
// connection.
func TestDialOddGreeting(t *testing.T) {
	for _, g := range []string{"200 Welcome", "230 Logged in", "331 Password"} {
		srv := startFake(t, func(s *fakeSession) {
			s.send(g)
			s.expectEOF()
		})
		c, _, err := Dial(bg, srv.addr, fakeOpts())
		var ue *UnexpectedReplyError
		if c != nil || !errors.As(err, &ue) {
			t.Errorf("greeting %q: conn %v, err %v; want an UnexpectedReplyError", g, c, err)
		}
		srv.wait()
	}
}

// cancelAfter returns a context cancelled d from now.
func cancelAfter(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(d, cancel)
	t.Cleanup(cancel)
	return ctx
}

// wantPromptInterrupt checks that a wait cut by ctx ended soon after it
// and says so: context.Canceled, and the connection given up (ErrClosed)
// because the reply it owed would put the stream out of step.
func wantPromptInterrupt(t *testing.T, err error, took, cancelledAt time.Duration) {
	t.Helper()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if late := took - cancelledAt; late > time.Second+200*time.Millisecond {
		t.Errorf("ended %s after the cancellation, want within about 1s", late)
	}
}

// A server that never answers CWD: cancelling ends the wait at once,
// although the reply timeout is long.
func TestCmdInterrupted(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("CWD hung")
		s.expectEOF() // closed by the client: the stream is out of step
	})
	opts := fakeOpts()
	opts.ReplyTimeout = time.Minute
	c := dialFake(t, srv, opts)
	start := time.Now()
	_, err := c.Cmd(cancelAfter(t, 200*time.Millisecond), "CWD hung")
	wantPromptInterrupt(t, err, time.Since(start), 200*time.Millisecond)
	if !errors.Is(err, ErrClosed) || !c.Closed() {
		t.Errorf("err = %v, closed %v: want the connection given up", err, c.Closed())
	}
	srv.wait()
}

// No greeting: Dial ends when its context does, not at the reply timeout.
func TestDialInterruptedBeforeGreeting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			c.Read(make([]byte, 1)) // silent until the client goes
		}
	}()
	start := time.Now()
	_, _, err = Dial(cancelAfter(t, 200*time.Millisecond), ln.Addr().String(), Options{ReplyTimeout: time.Minute})
	wantPromptInterrupt(t, err, time.Since(start), 200*time.Millisecond)
}

// A download whose data stops and whose 226 never comes: cancelling ends
// the copy and the wait for the final reply within about a second
// (abortGrace), not the data or reply timeout.
func TestRetrieveInterruptedServerStuck(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		dc := s.passiveRetr("big")
		dc.Write([]byte("some"))
		s.waitClosedByClient(dc)
		s.expectEOF() // no 426: the client gives up on the connection
	})
	opts := fakeOpts()
	opts.ReplyTimeout, opts.DataTimeout, opts.StallTimeout = time.Minute, time.Minute, time.Minute
	c := dialFake(t, srv, opts)
	start := time.Now()
	var buf bytes.Buffer
	_, err := c.Retrieve(cancelAfter(t, 300*time.Millisecond), Passive, "big", 0, &buf)
	wantPromptInterrupt(t, err, time.Since(start), 300*time.Millisecond)
	if !c.Closed() {
		t.Error("the connection is still open although its final reply never came")
	}
	srv.wait()
}

// An interrupted download from a live server: the server answers the
// aborted data connection at once (426), so the control connection stays
// in step and usable.
func TestRetrieveInterruptedKeepsConnection(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		dc := s.passiveRetr("big")
		dc.Write([]byte("some"))
		s.waitClosedByClient(dc)
		s.send("426 Connection closed; transfer aborted")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	opts := fakeOpts()
	opts.StallTimeout = time.Minute
	c := dialFake(t, srv, opts)
	var buf bytes.Buffer
	_, err := c.Retrieve(cancelAfter(t, 300*time.Millisecond), Passive, "big", 0, &buf)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	wantNOOP(t, c)
	c.Close()
	srv.wait()
}

// Active mode: cancelling while waiting for the server to connect back
// ends within about a second.
func TestActiveAcceptInterrupted(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expectEPRT("1")
		s.send("200 EPRT ok")
		s.expect("RETR x")
		s.expectEOF() // never connects, never answers
	})
	opts := fakeOpts()
	opts.ReplyTimeout, opts.DataTimeout = time.Minute, time.Minute
	c := dialFake(t, srv, opts)
	start := time.Now()
	_, err := c.Retrieve(cancelAfter(t, 300*time.Millisecond), Active, "x", 0, &bytes.Buffer{})
	wantPromptInterrupt(t, err, time.Since(start), 300*time.Millisecond)
	srv.wait()
}

// After a stall the final reply is awaited only briefly: a server that
// neither sends data nor answers is stuck, and the data timeout is not
// waited out again.
func TestStalledTransferStuckServer(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		dc := s.passiveRetr("slow")
		s.waitClosedByClient(dc)
		s.expectEOF()
	})
	opts := fakeOpts()
	opts.StallTimeout = 300 * time.Millisecond
	opts.ReplyTimeout, opts.DataTimeout = time.Minute, time.Minute
	c := dialFake(t, srv, opts)
	start := time.Now()
	_, err := c.Retrieve(bg, Passive, "slow", 0, &bytes.Buffer{})
	if !errors.Is(err, ErrStalled) {
		t.Errorf("err = %v, want a stall", err)
	}
	if d := time.Since(start); d > 300*time.Millisecond+abortGrace+500*time.Millisecond {
		t.Errorf("took %s: the stall timeout, then more than %s for a final reply that never came", d, abortGrace)
	}
	if !c.Closed() {
		t.Error("connection still open although its final reply never came")
	}
	srv.wait()
}

// One masking rule for every place a command line shows.
func TestMaskCommand(t *testing.T) {
	for in, want := range map[string]string{
		"PASS secret":        "PASS ****",
		"pass secret":        "pass ****",
		"   PASS secret":     "   PASS ****",
		"PASS\tsecret":       "PASS\t****",
		"  AcCt  my account": "  AcCt  ****",
		"PASS":               "PASS",
		"USER anna":          "USER anna",
		"PASSWORD x":         "PASSWORD x",
		"SITE PASS x":        "SITE PASS x",
	} {
		if got := MaskCommand(in); got != want {
			t.Errorf("MaskCommand(%q) = %q, want %q", in, got, want)
		}
	}
}

// A server that echoes the password in its reply: the reply, as everyone
// above the engine sees it, has it masked, in any case.
func TestPasswordEchoedInReplyIsMasked(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("USER anna")
		s.send("331 Password")
		s.expect("PASS Sesame99")
		s.send(`530 Password "SESAME99" is wrong (sesame99)`)
		s.expectEOF()
	})
	var seen []string
	opts := fakeOpts()
	opts.OnReply = func(r *Reply) { seen = append(seen, r.String()) }
	c := dialFake(t, srv, opts)
	err := c.Login(bg, "anna", func() (string, error) { return "Sesame99", nil })
	re := wantReplyError(t, err, 530, "PASS")
	if msg := re.Error(); strings.Contains(strings.ToLower(msg), "sesame") || msg != `530 Password "****" is wrong (****)` {
		t.Errorf("error %q shows the password", msg)
	}
	if strings.Contains(strings.ToLower(strings.Join(seen, "\n")), "sesame") {
		t.Errorf("OnReply saw %q", seen)
	}
	c.Close()
	srv.wait()
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ line, secret, want string }{
		{"530 Bad password hunter2", "hunter2", "530 Bad password ****"},
		{"530 HUNTER2 and Hunter2", "hunter2", "530 **** and ****"},
		{"530 Mot de passe refus\xe9: hunter2", "hunter2", "530 Mot de passe refus\xe9: ****"},
		{"530 no", "ab", "530 no"}, // too short to hide
		{"230 Logged in", "s3cret", "230 Logged in"},
	} {
		if got := redact(tc.line, tc.secret); got != tc.want {
			t.Errorf("redact(%q, %q) = %q, want %q", tc.line, tc.secret, got, tc.want)
		}
	}
}

// Once a passive data connection has worked, the next transfer command
// goes out while its data connection is dialed (a round trip saved). So
// a dial that then fails finds the command already sent: the connection
// is given up (ErrClosed) rather than left out of step. The first
// transfer dials before it sends, so that its failure leaves the stream
// in step for the fall back to active mode.
func TestPassivePipelined(t *testing.T) {
	t.Run("first transfer: dial, then send", func(t *testing.T) {
		port := refusingPort(t)
		srv := startFake(t, func(s *fakeSession) {
			s.send("220 Ready")
			s.expect("EPSV")
			s.send(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
			s.expect("NOOP") // no RETR came
			s.send("200 Ok")
			s.expectEOF()
		})
		c := dialFake(t, srv, fakeOpts())
		_, err := c.Retrieve(bg, Passive, "a", 0, &bytes.Buffer{})
		wantDataConnError(t, err, Passive)
		if errors.Is(err, ErrClosed) {
			t.Errorf("err = %v: the connection was given up, want it in step", err)
		}
		wantNOOP(t, c)
		c.Close()
		srv.wait()
	})
	t.Run("later transfers: send while dialing", func(t *testing.T) {
		port := refusingPort(t)
		srv := startFake(t, func(s *fakeSession) {
			s.send("220 Ready")
			s.expect("EPSV")
			ln := s.listenData()
			s.epsv(ln)
			s.passiveDownload(ln, "RETR a", []byte("first"))
			s.expect("EPSV")
			s.send(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
			s.expect("RETR b") // sent before the dial failed
			s.expectEOF()
		})
		c := dialFake(t, srv, fakeOpts())
		var buf bytes.Buffer
		if _, err := c.Retrieve(bg, Passive, "a", 0, &buf); err != nil || buf.String() != "first" {
			t.Fatalf("first RETR: %q, %v", buf.String(), err)
		}
		_, err := c.Retrieve(bg, Passive, "b", 0, &bytes.Buffer{})
		wantDataConnError(t, err, Passive)
		if !errors.Is(err, ErrClosed) || !c.Closed() {
			t.Errorf("err = %v, closed %v: want the connection given up", err, c.Closed())
		}
		srv.wait()
	})
}

// An upload's Prefetch waits until the server is done with the data
// connection: it closed it, or its final reply has begun. Before that, a
// server may still be reading the file, and one that takes an EPSV then
// (pyftpdlib) drops the rest of it. Eager (--pipeline) does not wait.
func TestUploadPrefetch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		eager bool
		// serve takes the upload's data connection, read to its end but
		// not closed, and answers the transfer and the EPSV sent ahead.
		serve func(s *fakeSession, dc net.Conn, epsv string)
	}{
		{"after the server closes", false, func(s *fakeSession, dc net.Conn, epsv string) {
			s.silence(300 * time.Millisecond) // no EPSV while the data connection is open
			dc.Close()
			s.expect("EPSV")
			s.send("226 Done", epsv)
		}},
		{"after the final reply", false, func(s *fakeSession, dc net.Conn, epsv string) {
			s.silence(300 * time.Millisecond)
			s.send("226 Done") // a server that closes after its reply
			s.expect("EPSV")
			s.send(epsv)
			dc.Close()
		}},
		{"eager", true, func(s *fakeSession, dc net.Conn, epsv string) {
			s.expect("EPSV")
			dc.Close()
			s.send("226 Done", epsv)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expect("EPSV")
				ln := s.listenData()
				s.epsv(ln)
				s.expect("STOR a")
				dc := s.accept(ln)
				s.send("150 Ok to send data")
				dc.SetReadDeadline(time.Now().Add(fakeWait))
				if b, err := io.ReadAll(dc); err != nil || string(b) != "first" {
					s.fail("upload a: %q, %v", b, err)
				}
				ln2 := s.listenData()
				tc.serve(s, dc, fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", fakePort(ln2)))
				if b := s.passiveUpload(ln2, "STOR b"); string(b) != "second" { // no EPSV of its own
					s.fail("upload b: %q", b)
				}
				s.expect("NOOP")
				s.send("200 Ok")
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			for i, name := range []string{"a", "b"} {
				dc, err := c.OpenData(bg, Passive, "STOR "+name, 0)
				if err != nil {
					t.Fatalf("STOR %s: %v", name, err)
				}
				dc.Prefetch, dc.Eager = i == 0, tc.eager
				if _, err := dc.CopyFrom(bg, strings.NewReader(map[int]string{0: "first", 1: "second"}[i])); err != nil {
					t.Fatalf("STOR %s: copy: %v", name, err)
				}
				if err := dc.Finish(bg); err != nil {
					t.Fatalf("STOR %s: %v", name, err)
				}
			}
			wantNOOP(t, c)
			c.Close()
			srv.wait()
		})
	}
}

// An interruption while an upload's Finish waits for the final reply,
// after the server closed the data connection, ends the wait within the
// interruption's grace, not when the reply comes.
func TestUploadPrefetchInterrupted(t *testing.T) {
	release := make(chan struct{})
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		s.expect("STOR a")
		dc := s.accept(ln)
		s.send("150 Ok to send data")
		s.readData(dc) // to its end, then closed
		s.expect("EPSV")
		<-release // the 226 is slow (a server's upload hook)
	})
	c := dialFake(t, srv, fakeOpts())
	defer close(release)
	dc, err := c.OpenData(bg, Passive, "STOR a", 0)
	if err != nil {
		t.Fatal(err)
	}
	dc.Prefetch = true
	if _, err := dc.CopyFrom(bg, strings.NewReader("data")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	err = dc.Finish(ctx)
	if took := time.Since(start); took > 300*time.Millisecond+interruptGrace+time.Second {
		t.Errorf("Finish took %s after the interruption", took)
	}
	if err == nil || !c.Closed() {
		t.Errorf("err = %v, closed %v: want an error and the connection given up", err, c.Closed())
	}
}

// In active mode, Prefetch announces the next transfer's listener: its
// EPRT goes out once the server has closed this transfer's data
// connection, and the next transfer sends no EPRT of its own. An EPRT
// refused ahead is not sent ahead again, and the next transfer announces
// its own.
func TestActivePrefetch(t *testing.T) {
	for _, refused := range []bool{false, true} {
		t.Run(map[bool]string{false: "taken", true: "refused"}[refused], func(t *testing.T) {
			last := make(chan string, 1) // the listener announced ahead of no transfer
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				addr := s.expectEPRT("1")
				s.send("200 Ok")
				s.expect("RETR a")
				s.send("150 Opening")
				s.writeData(s.dial(addr, nil), []byte("first"))
				next := s.expectEPRT("1") // sent ahead, after the data
				s.send("226 Done")
				if refused {
					s.send("500 Not now")
					next = s.expectEPRT("1")
					s.send("200 Ok")
				} else {
					s.send("200 Ok")
				}
				s.expect("RETR b") // no EPRT of its own when taken
				s.send("150 Opening")
				s.writeData(s.dial(next, nil), []byte("second"))
				if !refused {
					last <- s.expectEPRT("1") // ahead again
					s.send("226 Done", "200 Ok")
				} else {
					s.send("226 Done") // nothing sent ahead any more
				}
				s.expect("NOOP")
				s.send("200 Ok")
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			retrieveAhead(t, c, Active, "first", "second")
			wantNOOP(t, c) // also closes the listener announced ahead
			if !refused {
				wantRefused(t, <-last)
			}
			c.Close()
			srv.wait()
		})
	}
}

// retrieveAhead retrieves a, b, ... in mode with Prefetch set, and checks
// that they hold want, in order.
func retrieveAhead(t *testing.T, c *Conn, mode DataMode, want ...string) {
	t.Helper()
	for i, w := range want {
		name := string(rune('a' + i))
		dc, err := c.OpenData(bg, mode, "RETR "+name, 0)
		if err != nil {
			t.Fatalf("RETR %s: %v", name, err)
		}
		dc.Prefetch = true
		var buf bytes.Buffer
		if _, err := dc.CopyTo(bg, &buf); err != nil {
			t.Fatalf("RETR %s: copy: %v", name, err)
		}
		if err := dc.Finish(bg); err != nil {
			t.Fatalf("RETR %s: %v", name, err)
		}
		if buf.String() != w {
			t.Errorf("RETR %s: %q, want %q", name, buf.String(), w)
		}
	}
}

// wantRefused checks that nothing listens at addr any more.
func wantRefused(t *testing.T, addr string) {
	t.Helper()
	if nc, err := net.DialTimeout("tcp", addr, fakeWait); err == nil {
		nc.Close()
		t.Errorf("%s still accepts connections", addr)
	}
}

// A listener announced ahead is closed when its transfer's final reply
// never comes (the connection lost), and by DropAhead when the next
// transfer does not come.
func TestActivePrefetchDropped(t *testing.T) {
	for _, lost := range []bool{false, true} {
		t.Run(map[bool]string{false: "DropAhead", true: "connection lost"}[lost], func(t *testing.T) {
			ahead := make(chan string, 1)
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				addr := s.expectEPRT("1")
				s.send("200 Ok")
				s.expect("RETR a")
				s.send("150 Opening")
				s.writeData(s.dial(addr, nil), []byte("first"))
				ahead <- s.expectEPRT("1")
				if lost {
					s.c.Close()
					return
				}
				s.send("226 Done", "200 Ok")
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			dc, err := c.OpenData(bg, Active, "RETR a", 0)
			if err != nil {
				t.Fatal(err)
			}
			dc.Prefetch = true
			dc.CopyTo(bg, io.Discard)
			err = dc.Finish(bg)
			if lost != (err != nil) {
				t.Fatalf("Finish: %v", err)
			}
			if !lost {
				c.DropAhead()
			}
			wantRefused(t, <-ahead)
			c.Close()
			srv.wait()
		})
	}
}

// With Prefetch, the next transfer's EPSV goes out before this one's 226,
// and the next transfer uses its port without asking again. A server that
// answers the EPSV first (it reads commands during a transfer) is told
// apart by the codes, and is not sent one again.
func TestPassivePrefetch(t *testing.T) {
	for _, outOfOrder := range []bool{false, true} {
		t.Run(map[bool]string{false: "in order", true: "out of order"}[outOfOrder], func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expect("EPSV")
				ln := s.listenData()
				s.epsv(ln)
				s.expect("RETR a")
				dc := s.accept(ln)
				s.send("150 Opening")
				s.writeData(dc, []byte("first"))
				s.expect("EPSV") // sent ahead, before the 226
				ln2 := s.listenData()
				epsv := fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", fakePort(ln2))
				if outOfOrder {
					s.send(epsv, "226 Done")
				} else {
					s.send("226 Done", epsv)
				}
				s.expect("RETR b") // no EPSV of its own
				dc = s.accept(ln2)
				s.send("150 Opening")
				s.writeData(dc, []byte("second"))
				if !outOfOrder {
					s.expect("EPSV") // ahead again
					s.send("226 Done", "229 Entering Extended Passive Mode (|||1|)")
				} else {
					s.send("226 Done") // nothing sent ahead any more
				}
				s.expect("NOOP")
				s.send("200 Ok")
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			retrieveAhead(t, c, Passive, "first", "second")
			wantNOOP(t, c)
			c.Close()
			srv.wait()
		})
	}
}
