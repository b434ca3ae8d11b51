package ftp

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// Each verb sends its command and checks its reply in one place: the
// expected code is success, a 4xx/5xx a *ReplyError, anything else an
// *UnexpectedReplyError.
func TestVerbs(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		for _, step := range [][2]string{
			{"CWD a dir", "250 Ok"},
			{"CWD b", "200 Ok too"},
			{"CWD nope", "550 No such directory"},
			{"CWD odd", "331 What?"},
			{"CDUP", "250 Ok"},
			{"PWD", `257 "/home/a ""quoted"" dir" is current`},
			{"SIZE f", "213 1234"},
			{"SIZE g", "213 lots"},
			{"SIZE h", "502 SIZE not implemented"},
			{"MDTM f", "213 20260102030405.5"},
			{"DELE f", "250 Deleted"},
			{"MKD d", `257 "d" created`},
			{"RMD d", "250 Removed"},
			{"RNFR a", "350 Go on"},
			{"RNTO b", "250 Renamed"},
			{"RNFR x", "250 Not what RNFR gets"},
			{"SYST", "215 UNIX Type: L8"},
			{"TYPE I", "200 Binary"},
			{"TYPE A", "200 ASCII"},
			{"NOOP", "200 Ok"},
			{"SITE CHMOD 640 a b", "200 SITE CHMOD command ok."},
			{"SITE CHMOD 007 c", "550 Permission denied"},
			{"MFMT 20260102030405 a b", "213 Modify=20260102030405; a b"},
			{"MFMT 20260102030405 c", "502 Command not implemented"},
			{"OPTS MLST type;size;unix.mode;", "200 MLST OPTS type;size;unix.mode;"},
		} {
			s.expect(step[0])
			s.send(step[1])
		}
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	check("Cwd", c.Cwd(bg, "a dir"))
	check("Cwd 200", c.Cwd(bg, "b"))
	wantReplyError(t, c.Cwd(bg, "nope"), 550, "CWD")
	var ue *UnexpectedReplyError
	if err := c.Cwd(bg, "odd"); !errors.As(err, &ue) || ue.Reply.Code != 331 {
		t.Errorf("Cwd answered 331: %v, want an UnexpectedReplyError", err)
	}
	check("Cdup", c.Cdup(bg))
	if dir, err := c.Pwd(bg); err != nil || dir != `/home/a "quoted" dir` {
		t.Errorf("Pwd = %q, %v", dir, err)
	}
	if n, err := c.Size(bg, "f"); err != nil || n != 1234 {
		t.Errorf("Size = %d, %v", n, err)
	}
	if _, err := c.Size(bg, "g"); !errors.As(err, &ue) {
		t.Errorf("Size with a bad number: %v", err)
	}
	if _, err := c.Size(bg, "h"); !NotImplemented(err) {
		t.Errorf("Size refused with 502: %v, want NotImplemented", err)
	}
	if mt, err := c.Mdtm(bg, "f"); err != nil || !mt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Errorf("Mdtm = %v, %v", mt, err)
	}
	check("Delete", c.Delete(bg, "f"))
	check("Mkdir", c.Mkdir(bg, "d"))
	check("Rmdir", c.Rmdir(bg, "d"))
	check("Rename", c.Rename(bg, "a", "b"))
	if err := c.Rename(bg, "x", "y"); !errors.As(err, &ue) || ue.Command != "RNFR" {
		t.Errorf("RNFR answered 250: %v", err)
	}
	if err := c.Rename(bg, "x", "y\r\nDELE z"); err == nil {
		t.Error("Rename took a control character in the new name")
	}
	if sys, err := c.Syst(bg); err != nil || sys != "UNIX" {
		t.Errorf("Syst = %q, %v", sys, err)
	}
	check("Type I", c.Type(bg, TypeImage))
	check("Type I again (nothing sent)", c.Type(bg, TypeImage))
	check("Type A", c.Type(bg, TypeASCII))
	check("Noop", c.Noop(bg))
	check("Chmod", c.Chmod(bg, 0o4640, "a b")) // only the permission bits go
	wantReplyError(t, c.Chmod(bg, 0o007, "c"), 550, "SITE")
	mt := time.Date(2026, 1, 2, 4, 4, 5, 7e8, time.FixedZone("CET", 3600))
	check("SetModTime", c.SetModTime(bg, "a b", mt))
	if err := c.SetModTime(bg, "c", mt); !NotImplemented(err) {
		t.Errorf("MFMT refused with 502: %v, want NotImplemented", err)
	}
	check("OptsMLST", c.OptsMLST(bg, []string{"type", "size", "unix.mode"}))
	c.Close()
	srv.wait()
}

// Raw returns every reply up to the final one, and a raw TYPE makes the
// type unknown, so the next Type is sent.
func TestRaw(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("TYPE I")
		s.send("200 Ok")
		s.expect("STAT x")
		s.send("150 Looking", "213-Status", " some", "213 End")
		s.expect("TYPE A")
		s.send("200 Ok")
		s.expect("TYPE I")
		s.send("200 Ok")
		s.expect("XYZ")
		s.send("500 Unknown")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	if err := c.Type(bg, TypeImage); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Raw(bg, "STAT x")
	if err != nil || len(rs) != 2 || rs[0].Code != 150 || rs[1].Code != 213 || len(rs[1].Lines) != 3 {
		t.Fatalf("Raw(STAT) = %v, %v", rs, err)
	}
	if _, err := c.Raw(bg, "TYPE A"); err != nil {
		t.Fatal(err)
	}
	if err := c.Type(bg, TypeImage); err != nil { // must be sent again
		t.Fatal(err)
	}
	rs, err = c.Raw(bg, "XYZ")
	wantReplyError(t, err, 500, "XYZ")
	if len(rs) != 1 {
		t.Errorf("Raw(XYZ) replies %v", rs)
	}
	c.Close()
	srv.wait()
}

// A traced context sees its own exchanges; another context's are not
// shown to it.
func TestTraceSeesItsContextOnly(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("FEAT")
		s.send("211 No features")
		s.expect("CWD x")
		s.send("250 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var sent []string
	var codes []int
	traced := WithTrace(bg, &Trace{Sent: func(l string) { sent = append(sent, l) }, Reply: func(r *Reply) { codes = append(codes, r.Code) }})
	if _, err := c.Features(bg); err != nil {
		t.Fatal(err)
	}
	if err := c.Cwd(traced, "x"); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0] != "CWD x" || len(codes) != 1 || codes[0] != 250 {
		t.Errorf("trace saw %q and %v, want only CWD x and its 250", sent, codes)
	}
	c.Close()
	srv.wait()
}

// MdtmAll sends its MDTM commands in batches without waiting: the server
// here reads a whole batch before it answers any, which a client waiting
// for each reply would never get past. Refusals and odd answers leave a
// file out; a name that cannot be sent is not.
func TestMdtmAll(t *testing.T) {
	var paths []string
	for i := range batch + 6 {
		paths = append(paths, fmt.Sprintf("d/f%03d", i))
	}
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		for start := 0; start < len(paths); start += batch {
			end := min(start+batch, len(paths))
			for _, p := range paths[start:end] {
				s.expect("MDTM " + p)
			}
			for i := start; i < end; i++ {
				switch {
				case i == 3:
					s.send("550 No such file")
				case i == 5:
					s.send("213 yesterday")
				default:
					s.send(fmt.Sprintf("213 202601020304%02d", i%60))
				}
			}
		}
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	got, err := c.MdtmAll(bg, append(paths, "bad\r\nDELE x"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(paths)-2 {
		t.Errorf("%d times, want %d", len(got), len(paths)-2)
	}
	for i, p := range paths {
		tm, ok := got[p]
		switch {
		case i == 3 || i == 5:
			if ok {
				t.Errorf("%s: %v, want none", p, tm)
			}
		case !tm.Equal(time.Date(2026, 1, 2, 3, 4, i%60, 0, time.UTC)):
			t.Errorf("%s: %v", p, tm)
		}
	}
	if err := c.Noop(bg); err != nil { // still in step
		t.Error(err)
	}
	c.Close()
	srv.wait()
}
