package commands_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/session"
)

// valueCase is a toggle or setting line and the error its value gets.
type valueCase struct {
	line string
	want string // the error, "" for none
}

// valueLines are toggles and settings with values good and bad, for the
// check that runs before a script does.
func valueLines() []valueCase {
	return []valueCase{
		{"passive bogus", `passive: unknown argument "bogus" (want on, off or auto)`},
		{"passive", ""}, {"passive on", ""}, {"passive OFF", ""}, {"passive auto", ""},
		{"epsv xx", `epsv: unknown argument "xx" (want on or off)`},
		{"epsv4 xx", `epsv: unknown argument "xx" (want on or off)`},
		{"epsv6 xx", `epsv: unknown argument "xx" (want on or off)`},
		{"epsv off", ""}, {"epsv4 On", ""}, {"epsv6", ""},
		{"verbose xx", `unknown argument "xx" (want on or off)`},
		{"prompt xx", `unknown argument "xx" (want on or off)`},
		{"debug xx", `unknown argument "xx" (want on or off)`},
		{"progress xx", `unknown argument "xx" (want on or off)`},
		{"preserve xx", `unknown argument "xx" (want on or off)`},
		{"verbose on", ""}, {"prompt OFF", ""}, {"debug", ""}, {"progress off", ""}, {"preserve on", ""},
		{"glob xx", `want on or off, not "xx"`},
		{"bell xx", `want on or off, not "xx"`},
		{"case xx", `want on or off, not "xx"`},
		{"runique xx", `want on or off, not "xx"`},
		{"sunique xx", `want on or off, not "xx"`},
		{"glob off", ""}, {"bell", ""}, {"case ON", ""}, {"runique off", ""}, {"sunique on", ""},
		{"hash bogus", `hash: "bogus" is not on, off or a number of bytes per mark`},
		{"hash 0", `hash: "0" is not on, off or a number of bytes per mark`},
		{"hash -5", `hash: "-5" is not on, off or a number of bytes per mark`},
		{"hash", ""}, {"hash on", ""}, {"hash OFF", ""}, {"hash 65536", ""},
		{"rate bogus", `direction "bogus" is not all, get or put`},
		{"rate all fast", `"fast" is not a size (like 500k or 2m)`},
		{"rate get 1x", `"1x" is not a size (like 500k or 2m)`},
		{"rate all 1m 2k", "the increment (tnftp changes the rate by it on SIGUSR1 and SIGUSR2) is not supported"},
		{"rate bogus 1m 2k", "the increment (tnftp changes the rate by it on SIGUSR1 and SIGUSR2) is not supported"},
		{"rate", ""}, {"rate all", ""}, {"rate all 1m", ""}, {"rate GET 500k", ""}, {"rate put 0", ""},
		{"restart abc", `"abc" is not a byte offset`},
		{"restart -1", `"-1" is not a byte offset`},
		{"restart 1.5", `"1.5" is not a byte offset`},
		{"restart", ""}, {"restart 0", ""}, {"restart 1048576", ""},
		{"mode block", "only stream is supported (block and compressed modes are obsolete; for active or passive, use passive)"},
		{"mode", ""}, {"mode STREAM", ""},
		{"form text", "only non-print is supported (the only format servers use)"},
		{"form non-print", ""},
		{"struct record", "only file is supported (record and page structures are obsolete)"},
		{"struct file", ""},
		{"type binray", `type: unknown type "binray" (want ascii or binary)`},
		{"type", ""}, {"type ascii", ""}, {"type I", ""}, {"type image", ""}, {"type a", ""},
		{"tls maybe", `tls: unknown TLS mode "maybe" (want off, explicit, implicit or auto)`},
		{"tls", ""}, {"tls explicit", ""}, {"tls OFF", ""}, {"tls auto", ""},
	}
}

// The script check catches a bad toggle or setting value, as a usage
// error in the words the command uses at run time, and passes a good one.
func TestCheckValues(t *testing.T) {
	tab := commands.Default()
	for _, tc := range valueLines() {
		_, err := tab.CheckLine(tc.line)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckLine(%q) = %v, want no error", tc.line, err)
		case tc.want == "":
		case err == nil:
			t.Errorf("CheckLine(%q) passed, want %q", tc.line, tc.want)
		case err.Error() != tc.want:
			t.Errorf("CheckLine(%q) = %q, want %q", tc.line, err, tc.want)
		default:
			var ue *commands.UsageError
			if !errors.As(err, &ue) {
				t.Errorf("CheckLine(%q) = %T, want a *commands.UsageError (exit 2)", tc.line, err)
			}
		}
	}
}

// Each check accepts what the command takes at run time, and refuses
// what it refuses in the same words: run past the check (Command.Run,
// not Exec), the session says the same.
func TestCheckValuesMatchRunTime(t *testing.T) {
	tab := commands.Default()
	var out bytes.Buffer
	for _, tc := range valueLines() {
		s := session.New(session.Config{
			LocalDir: t.TempDir(),
			Printer:  session.NewPrinter(session.Streams{Out: &out, Err: &out}),
		})
		words, err := commands.Split(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tab.Find(words[0])
		if err != nil {
			t.Fatal(err)
		}
		runErr := c.Run(context.Background(), s, words[1:])
		_, checkErr := tab.Check(words)
		switch {
		case (runErr == nil) != (checkErr == nil):
			t.Errorf("%q: at run time %v, checked %v", tc.line, runErr, checkErr)
		case runErr != nil && runErr.Error() != checkErr.Error():
			t.Errorf("%q: at run time %q, checked %q", tc.line, runErr, checkErr)
		}
	}
}

// A macro's line that uses its arguments is checked for its values only
// once they are put in (RunMacro): "passive $1" is fine in a macdef.
func TestCheckBodyLine(t *testing.T) {
	tab := commands.Default()
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{"passive $1", true},
		{"rate all $2", true},
		{"restart $i", true},
		{"hash $9", true},
		{"passive bogus", false},
		{`passive \$1`, false}, // an escaped dollar sign: no argument
		{"passive $x", false},
		{"rename $1", false}, // the count is still checked
		{"frobnicate $1", false},
		{"# a comment $1", true},
		{"", true},
	} {
		_, err := tab.CheckBodyLine(tc.line)
		if (err == nil) != tc.ok {
			t.Errorf("CheckBodyLine(%q) = %v, want ok %v", tc.line, err, tc.ok)
		}
	}
}

// A .netrc macro's lines follow the one rule: a comment is a whole line
// whose first non-blank character is #; a # elsewhere is part of a word.
func TestRunMacroHashRule(t *testing.T) {
	ctx := context.Background()
	s := session.New(session.Config{LocalDir: t.TempDir()})
	r := &recorder{}
	tab := r.table()
	if err := tab.RunMacro(ctx, s, "init", []string{"# c", "  \t# d", "local a #b", "local #x"}); err != nil {
		t.Fatalf("RunMacro: %v", err)
	}
	if !slices.Equal(r.ran, []string{"local", "local"}) {
		t.Fatalf("ran %q, want local twice", r.ran)
	}
	if !slices.Equal(r.args[0], []string{"a", "#b"}) || !slices.Equal(r.args[1], []string{"#x"}) {
		t.Errorf("args %q, want [a #b] and [#x]", r.args)
	}
	// A # after other words no longer hides a mistake after it.
	err := tab.RunMacro(ctx, s, "init", []string{"local a # don't"})
	if err == nil || !strings.Contains(err.Error(), "unclosed ' quote") {
		t.Errorf("RunMacro with an unclosed quote after a #: %v", err)
	}
}
