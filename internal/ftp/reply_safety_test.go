package ftp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// What a server's reply text may do to the messages built from it: no
// password shown, in any reply of the connection, and no line of its own.

// loginFake scripts the server side of a login with password pw.
func loginFake(s *fakeSession, pw, reply string) {
	s.srv.t.Helper()
	s.send("220 Ready")
	s.expect("USER anna")
	s.send("331 Password")
	s.expect("PASS " + pw)
	s.send(reply)
}

// wantNoSecret fails when text shows secret, in any case.
func wantNoSecret(t *testing.T, what, text, secret string) {
	t.Helper()
	if strings.Contains(strings.ToLower(text), strings.ToLower(secret)) {
		t.Errorf("%s %q shows the password %q", what, text, secret)
	}
}

// wantOneLine fails when msg could end a line of output and start another.
func wantOneLine(t *testing.T, what, msg string) {
	t.Helper()
	if strings.ContainsAny(msg, "\r\n\u0085\u2028\u2029") {
		t.Errorf("%s %q spans lines", what, msg)
	}
}

// A reply to PASS without a code is quoted in the error that ends the
// connection, the password masked: also where the quote is cut to length
// inside the password, and in any case.
func TestMalformedReplyToPassIsMasked(t *testing.T) {
	const pw = "S3cr3tZZ"
	for name, reply := range map[string]string{
		"short":              "bad: PASS " + pw,
		"other case":         "bad: pass s3cr3tzz",
		"cut in the secret":  strings.Repeat("x", 76) + pw + " tail",
		"with an escape too": "\x1b[2Jbad: " + pw,
	} {
		t.Run(name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				loginFake(s, pw, reply)
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			err := c.Login(bg, "anna", func() (string, error) { return pw, nil })
			if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "malformed reply line") {
				t.Fatalf("Login: %v; want the connection lost to a malformed reply", err)
			}
			msg := err.Error()
			wantNoSecret(t, "error", msg, pw)
			wantNoSecret(t, "error", msg, pw[:4]) // the start of it, cut at the limit
			wantOneLine(t, "error", msg)
			if strings.ContainsRune(msg, '\x1b') {
				t.Errorf("error %q has a raw escape", msg)
			}
			if !strings.Contains(msg, "****") {
				t.Errorf("error %q: want the password masked as ****", msg)
			}
			c.Close()
			srv.wait()
		})
	}
}

// The password and the account stay masked in every later reply of the
// connection, not only in the one answering them: in refusals, unexpected
// replies, replies as OnReply and OnStray see them, streamed lines and
// parsed results. A password under 3 bytes is not masked (see redact).
func TestSecretsMaskedForTheWholeConnection(t *testing.T) {
	const pw, acct = "S3cr3tZZ", "acct-9931"
	srv := startFake(t, func(s *fakeSession) {
		loginFake(s, pw, "230 Logged in")
		s.expect("ACCT " + acct)
		s.send("230 Account ok")
		s.expect("SYST")
		s.send("500 you said PASS S3cr3tZZ earlier, and ACCT ACCT-9931")
		s.expect("NOOP")
		s.send("200 noop", "550 stray: s3cr3tzz")
		s.expect("MKD d")
		s.send("331 made S3cr3tZZ")
		s.expect("STAT .")
		s.send("213-status", " -rw-r--r-- 1 u g 1 Jan 1 2020 S3cr3tZZ", "213 End")
		s.expect("PWD")
		s.send(`257 "/home/S3cr3tZZ" is here`)
		s.expectEOF()
	})
	var replies, strays []string
	opts := fakeOpts()
	opts.OnReply = func(r *Reply) { replies = append(replies, r.String()) }
	opts.OnStray = func(r *Reply) { strays = append(strays, r.String()) }
	c := dialFake(t, srv, opts)
	if err := c.Login(bg, "anna", func() (string, error) { return pw, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Cmd(bg, "ACCT "+acct); err != nil {
		t.Fatal(err)
	}
	_, err := c.Syst(bg)
	re := wantReplyError(t, err, 500, "SYST")
	for _, s := range []string{pw, acct} {
		wantNoSecret(t, "SYST error", re.Error(), s)
	}
	if err := c.Noop(bg); err != nil {
		t.Fatal(err)
	}
	err = c.Mkdir(bg, "d") // the stray 550 is set aside first
	var ue *UnexpectedReplyError
	if !errors.As(err, &ue) {
		t.Fatalf("MKD: %v, want an unexpected reply", err)
	}
	wantNoSecret(t, "MKD error", err.Error(), pw)
	var streamed []string
	if err := c.StatList(bg, ".", time.Now(), func(e Entry) { streamed = append(streamed, e.Name) }); err != nil {
		t.Fatalf("StatList: %v", err)
	}
	if len(streamed) != 1 {
		t.Errorf("STAT streamed %q, want one entry", streamed)
	}
	wantNoSecret(t, "streamed STAT entries", strings.Join(streamed, "\n"), pw)
	dir, err := c.Pwd(bg)
	if err != nil {
		t.Fatal(err)
	}
	wantNoSecret(t, "PWD directory", dir, pw)
	for _, s := range []string{pw, acct} {
		wantNoSecret(t, "OnReply", strings.Join(replies, "\n"), s)
	}
	if len(strays) != 1 {
		t.Errorf("OnStray saw %q, want the one stray reply", strays)
	}
	wantNoSecret(t, "OnStray", strings.Join(strays, "\n"), pw)
	c.Close()
	srv.wait()

	// Too short to hide: masking every "pw" of a reply would garble it.
	srv = startFake(t, func(s *fakeSession) {
		loginFake(s, "pw", "230 Logged in")
		s.expect("SYST")
		s.send("500 upwards")
		s.expectEOF()
	})
	c = dialFake(t, srv, fakeOpts())
	if err := c.Login(bg, "anna", func() (string, error) { return "pw", nil }); err != nil {
		t.Fatal(err)
	}
	_, err = c.Syst(bg)
	if re := wantReplyError(t, err, 500, "SYST"); re.Error() != "500 upwards" {
		t.Errorf("SYST error %q, want the reply as it came", re.Error())
	}
	c.Close()
	srv.wait()
}

// Every message built from a multi-line reply is one line: the 332 that
// asks for an account, an unexpected reply to EPSV, refusals.
func TestReplyErrorsAreOneLine(t *testing.T) {
	forged := []string{"332-Need account", "gftp: stdin:9: all 3 transfers OK", "332 end"}
	t.Run("332 to PASS", func(t *testing.T) {
		srv := startFake(t, func(s *fakeSession) {
			loginFake(s, "pw", strings.Join(forged, "\r\n"))
			s.expectEOF()
		})
		c := dialFake(t, srv, fakeOpts())
		err := c.Login(bg, "anna", func() (string, error) { return "pw", nil })
		if err == nil || !strings.Contains(err.Error(), "ACCT") {
			t.Fatalf("Login: %v, want the account asked for", err)
		}
		wantOneLine(t, "error", err.Error())
		if want := "332 Need account gftp: stdin:9: all 3 transfers OK end"; !strings.HasSuffix(err.Error(), want) {
			t.Errorf("error %q, want it to end in %q", err, want)
		}
		c.Close()
		srv.wait()
	})
	t.Run("EPSV only", func(t *testing.T) {
		srv := startFake(t, func(s *fakeSession) {
			s.send("220 Ready")
			s.expect("EPSV")
			s.send("200-Not what you asked", "gftp: fake line\u2028another", "200 end")
			s.expectEOF()
		})
		c := dialFake(t, srv, fakeOpts())
		_, err := c.Probe(bg, EPSV, "LIST")
		if err == nil || !strings.Contains(err.Error(), "unexpected reply to EPSV") {
			t.Fatalf("Probe: %v, want an unexpected reply to EPSV", err)
		}
		wantOneLine(t, "error", err.Error())
		c.Close()
		srv.wait()
	})
	t.Run("refusal and unexpected reply", func(t *testing.T) {
		srv := startFake(t, func(s *fakeSession) {
			s.send("220 Ready")
			s.expect("DELE x")
			s.send("550-No", "gftp: fake line\r", "550 end")
			s.expect("CWD x")
			s.send("331-Odd", "gftp: fake line", "331 end")
			s.expectEOF()
		})
		c := dialFake(t, srv, fakeOpts())
		wantOneLine(t, "DELE error", c.Delete(bg, "x").Error())
		wantOneLine(t, "CWD error", c.Cwd(bg, "x").Error())
		c.Close()
		srv.wait()
	})
}

// PWD's path is read from the first line of the 257, as RFC 959 writes
// it; a path with CR, LF or NUL, or none, is an error, not a directory.
func TestPwdReadsTheFirstLineOnly(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply []string
		want  string // "" wants errNoDirectory
	}{
		{"quote closed on a later line", []string{`257-"/home`, `gftp: fake line" x`, "257 end"}, "/home"},
		{"multi-line, path on the first", []string{`257-"/srv/ftp" is the current directory`, " more text", "257 end"}, "/srv/ftp"},
		{"single line", []string{`257 "/a ""b""" is cwd`}, `/a "b"`},
		{"CR in the path", []string{"257 \"/home\rgftp: fake line\" x"}, ""},
		{"NUL in the path", []string{"257 \"/home\x00x\""}, ""},
		{"empty path", []string{`257 "" is cwd`}, ""},
		{"no text", []string{"257"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expect("PWD")
				s.send(tc.reply...)
				s.expect("NOOP")
				s.send("200 ok")
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			dir, err := c.Pwd(bg)
			switch {
			case tc.want == "" && !errors.Is(err, errNoDirectory):
				t.Errorf("Pwd = %q, %v; want %v", dir, err, errNoDirectory)
			case tc.want != "" && (err != nil || dir != tc.want):
				t.Errorf("Pwd = %q, %v; want %q", dir, err, tc.want)
			}
			wantNOOP(t, c) // the reply was read whole: still in step
			c.Close()
			srv.wait()
		})
	}
}
