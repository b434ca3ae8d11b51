package script_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/script"
	"github.com/gftp/gftp/internal/session"
)

// checked runs ReadChecked on src, as gftp does before a script runs, and
// returns what it printed and its error.
func checked(t *testing.T, src string) (string, error) {
	t.Helper()
	var errw bytes.Buffer
	r := &script.Runner{
		Table: commands.Default(), Err: &errw, Name: "test.ftp",
		Session: session.New(session.Config{LocalDir: t.TempDir()}),
	}
	_, err := r.ReadChecked(strings.NewReader(src))
	return errw.String(), err
}

// checkFails asserts that ReadChecked refused src with a usage error
// (exit 2) at line, printing want.
func checkFails(t *testing.T, src string, line int, want string) {
	t.Helper()
	stderr, err := checked(t, src)
	le := lineError(t, err, line)
	var ue *commands.UsageError
	if !errors.As(le, &ue) {
		t.Errorf("%q: error %v is not a usage error", src, err)
	}
	if !strings.Contains(stderr, want) {
		t.Errorf("%q: stderr = %q, want it to contain %q", src, stderr, want)
	}
}

// A macdef that the end of the script cuts off (no empty line after its
// body) would take in the rest of the script and run none of it: the
// script check refuses it, naming the macro and its line.
func TestReadCheckedUnendedMacdef(t *testing.T) {
	review := "open 192.0.2.10\nuser backup pw\nmacdef cleanup\nmdelete old-*.tar.gz\ncd bakdir\nmput *.tar.gz\nbye\n"
	const want = `gftp: test.ftp:3: macdef cleanup: macro "cleanup" begun on line 3 has no empty line to end it, so it would take in the rest of the script (lines 4-7) and run none of it; end it with an empty line` + "\n"
	stderr, err := checked(t, review)
	lineError(t, err, 3)
	if stderr != want {
		t.Errorf("stderr = %q\nwant     %q", stderr, want)
	}
	for _, tc := range []struct {
		name, src string
		line      int
	}{
		{"no final newline", strings.TrimSuffix(review, "\n"), 3},
		{"CRLF", strings.ReplaceAll(review, "\n", "\r\n"), 3},
		{"macdef on the last line", "open h\nmacdef cleanup\n", 2},
		{"macdef, no newline", "open h\nmacdef cleanup", 2},
		{"after a macro that ended", "open h\nmacdef a\nls\n\nmacdef cleanup\nls\n", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFails(t, tc.src, tc.line, fmt.Sprintf(`test.ftp:%d: macdef cleanup: macro "cleanup" begun on line %d has no empty line`, tc.line, tc.line))
		})
	}
}

// A macdef ended by an empty line (blanks, a CR) passes; its lines are
// checked, but a value that is the macro's argument ($1, $i) only when
// the macro runs.
func TestReadCheckedEndedMacdef(t *testing.T) {
	for _, src := range []string{
		"macdef m\nls\n\nbye\n",
		"macdef m\nls\n\n",
		"macdef m\nls\n \t\nbye",
		"macdef m\r\nls\r\n\r\nbye\r\n",
		"macdef m\n\n",
		"macdef m\npassive $1\nrate all $2\nrestart $i\n\n$ m on 1m 0\n",
	} {
		if stderr, err := checked(t, src); err != nil {
			t.Errorf("%q: %v\n%s", src, err, stderr)
		}
	}
	// A bad line in the body is still found, with its line number; so is
	// a bad value with no argument in it.
	checkFails(t, "macdef m\nls\nmdelte x\n\n", 3, `test.ftp:3: mdelte: unknown command "mdelte"`)
	checkFails(t, "macdef m\npassive bogus\n\n", 2, `test.ftp:2: passive bogus: passive: unknown argument "bogus" (want on, off or auto)`)
	// After the empty line, lines are commands again.
	checkFails(t, "macdef m\nls\n\npassive bogus\n", 4, `test.ftp:4: passive bogus: passive: unknown argument "bogus"`)
}

// Run on its own (without ReadChecked) stops at an unended macdef too:
// nothing after it is taken silently for a body and lost.
func TestRunUnendedMacdef(t *testing.T) {
	r := newRig(t)
	err := r.run(t, "OPEN", "user ftpuser secret", "-macdef cleanup", "mkdir a", "mkdir b")
	le := lineError(t, err, 3)
	var ue *commands.UsageError
	if !errors.As(err, &ue) || le.Cmd != "macdef cleanup" {
		t.Errorf("error = %v, want a usage error for macdef cleanup", err)
	}
	if !strings.Contains(r.errw.String(), `test.ftp:3: macdef cleanup: macro "cleanup" begun on line 3 has no empty line to end it`) {
		t.Errorf("stderr = %q", r.errw.String())
	}
	// Nor is the half macro defined.
	r2 := newRig(t)
	r2.runner.Session = r.sess
	r2.runner.Err = &r.errw
	if err := r2.runner.Run(context.Background(), strings.NewReader("$ cleanup\n")); err == nil || !strings.Contains(err.Error(), "no such macro") {
		t.Errorf("$ cleanup after the unended macdef: %v, want no such macro", err)
	}
}

// The script check refuses a bad toggle or setting value, each line
// named, with the command's own words; nothing of the script has run.
func TestReadCheckedValues(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"passive bogus", `passive: unknown argument "bogus" (want on, off or auto)`},
		{"hash bogus", `hash: "bogus" is not on, off or a number of bytes per mark`},
		{"verbose xx", `unknown argument "xx" (want on or off)`},
		{"prompt xx", `unknown argument "xx" (want on or off)`},
		{"debug xx", `unknown argument "xx" (want on or off)`},
		{"epsv xx", `epsv: unknown argument "xx" (want on or off)`},
		{"glob xx", `want on or off, not "xx"`},
		{"rate bogus", `direction "bogus" is not all, get or put`},
		{"rate all fast", `"fast" is not a size (like 500k or 2m)`},
		{"restart abc", `"abc" is not a byte offset`},
		{"mode block", "only stream is supported (block and compressed modes are obsolete; for active or passive, use passive)"},
		{"type binray", `type: unknown type "binray" (want ascii or binary)`},
		{"tls maybe", `tls: unknown TLS mode "maybe" (want off, explicit, implicit or auto)`},
		{"-passive bogus", `passive: unknown argument "bogus" (want on, off or auto)`},
	} {
		src := "open h\nuser u p\nmkdir first\n" + tc.line + "\n"
		cmd := strings.TrimPrefix(tc.line, "-")
		checkFails(t, src, 4, "gftp: test.ftp:4: "+cmd+": "+tc.want+"\n")
	}
	// Several bad lines: each is reported.
	stderr, err := checked(t, "hash bogus\nls\nrestart abc\n")
	lineError(t, err, 1)
	if strings.Count(stderr, "gftp: ") != 2 || !strings.Contains(stderr, "test.ftp:3: restart abc") {
		t.Errorf("stderr = %q, want lines 1 and 3", stderr)
	}
}

// # starts a comment only as a line's first non-blank character: after a
// word it is part of the next one, so a password or a name may hold it.
func TestRunHashInsideLine(t *testing.T) {
	r := newRig(t)
	err := r.run(t,
		"OPEN",
		"  # a comment",
		"user ftpuser secret",
		"mkdir #d",
		"mkdir e #f",
	)
	le := lineError(t, err, 5)
	if !strings.Contains(le.Error(), "usage: mkdir") {
		t.Errorf("mkdir e #f: %v, want a usage error (two names)", err)
	}
	if !r.exists("#d") || r.sent("MKD #d") != 1 {
		t.Errorf("mkdir #d did not make #d: server got %q", r.srv.Commands())
	}
	if r.sent("MKD e") != 0 {
		t.Error("mkdir e #f made e: the # was taken for a comment")
	}
}
