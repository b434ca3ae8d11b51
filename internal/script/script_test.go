package script_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/script"
	"github.com/gftp/gftp/internal/session"
	"github.com/gftp/gftp/internal/testserver"
)

// rig is a script runner on a real session and an embedded server.
type rig struct {
	srv    *testserver.Server
	sess   *session.Session
	out    bytes.Buffer
	errw   bytes.Buffer
	runner *script.Runner
	open   string // the script line that connects to srv
}

func newRig(t *testing.T) *rig {
	t.Helper()
	srv, err := testserver.Start(testserver.Options{Root: t.TempDir(), Logf: t.Logf})
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	r := &rig{srv: srv, open: "open " + srv.Host() + " " + strconv.Itoa(srv.Port())}
	r.sess = session.New(session.Config{
		Printer: session.NewPrinter(session.Streams{Out: &r.out, Err: &r.errw}),
		Options: session.Options{Mode: session.ModeAuto}, LocalDir: t.TempDir(),
	})
	t.Cleanup(func() { _ = r.sess.Close(context.Background()) }) // runs before the server's Close
	r.runner = &script.Runner{Table: commands.Default(), Session: r.sess, Err: &r.errw, Name: "test.ftp"}
	return r
}

// run runs the script made of lines; "OPEN" stands for the line that
// connects to the server.
func (r *rig) run(t *testing.T, lines ...string) error {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		if l == "OPEN" {
			l = r.open
		}
		b.WriteString(l + "\n")
	}
	return r.runner.Run(context.Background(), strings.NewReader(b.String()))
}

func (r *rig) exists(name string) bool {
	_, err := os.Stat(filepath.Join(r.srv.Root(), name))
	return err == nil
}

func (r *rig) sent(cmd string) int {
	n := 0
	for _, c := range r.srv.Commands() {
		if c == cmd {
			n++
		}
	}
	return n
}

// lineError checks that err is a *Reported wrapping a *LineError at line,
// and returns that LineError.
func lineError(t *testing.T, err error, line int) *script.LineError {
	t.Helper()
	if err == nil {
		t.Fatalf("Run = nil, want a failure at line %d", line)
	}
	var rep *script.Reported
	if !errors.As(err, &rep) {
		t.Fatalf("Run error %v is a %T, want *script.Reported", err, err)
	}
	le, ok := rep.Err.(*script.LineError)
	if !ok {
		t.Fatalf("Reported wraps %T (%v), want *script.LineError", rep.Err, rep.Err)
	}
	if le.Line != line {
		t.Errorf("failed at line %d (%v), want line %d", le.Line, le, line)
	}
	if le.Name != "test.ftp" {
		t.Errorf("LineError.Name = %q, want %q", le.Name, "test.ftp")
	}
	return le
}

func TestRunSucceeds(t *testing.T) {
	r := newRig(t)
	err := r.run(t,
		"OPEN",
		"user ftpuser secret",
		"mkdir a",
		`mkdir "b c"`,
		"cd a",
		"mkdir inner",
	)
	if err != nil {
		t.Fatalf("Run: %v\nstderr:\n%s", err, r.errw.String())
	}
	for _, d := range []string{"a", "b c", "a/inner"} {
		if !r.exists(d) {
			t.Errorf("%s was not made", d)
		}
	}
	if r.errw.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", r.errw.String())
	}
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	r := newRig(t)
	err := r.run(t,
		"OPEN",                // 1
		"",                    // 2
		"# log in",            // 3
		"user ftpuser secret", // 4
		"   ",                 // 5
		"cd nosuchdir",        // 6
		"mkdir after",         // 7
	)
	le := lineError(t, err, 6)
	if le.Cmd != "cd nosuchdir" {
		t.Errorf("LineError.Cmd = %q, want %q", le.Cmd, "cd nosuchdir")
	}
	if le.Err == nil || !strings.Contains(le.Err.Error(), "550") {
		t.Errorf("LineError.Err = %v, want the server's 550 reply", le.Err)
	}
	if r.exists("after") || r.sent("MKD after") != 0 {
		t.Error("the line after the failure ran")
	}
	if want := "gftp: test.ftp:6: cd nosuchdir: "; !strings.HasPrefix(r.errw.String(), want) {
		t.Errorf("stderr = %q, want it to start with %q", r.errw.String(), want)
	}
	if n := strings.Count(r.errw.String(), "gftp: "); n != 1 {
		t.Errorf("stderr has %d messages, want 1:\n%s", n, r.errw.String())
	}
}

func TestRunUsageErrorStops(t *testing.T) {
	tests := []struct {
		name, line, wantErr string
	}{
		{"unknown", "frobnicate x", `unknown command "frobnicate"`},
		{"ambiguous", "m x", `ambiguous command "m"`},
		{"argument count", "rename onlyone", "usage: rename from-name to-name"},
		{"unclosed quote", `mkdir "oops`, `unclosed " quote`},
		{"not connected", "pwd", "Not connected."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			err := r.run(t, "# first", tt.line, "OPEN", "user ftpuser secret", "mkdir after")
			le := lineError(t, err, 2)
			if !strings.Contains(le.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", le.Error(), tt.wantErr)
			}
			if len(r.srv.Commands()) != 0 {
				t.Errorf("the server got %q after a failed first line", r.srv.Commands())
			}
		})
	}
}

func TestRunDashIgnoresFailure(t *testing.T) {
	r := newRig(t)
	err := r.run(t,
		"OPEN",
		"user ftpuser secret",
		"-cd nosuchdir",  // 3
		"- rmdir nosuch", // 4
		"-mkdir ok",      // succeeds
		"mkdir after",
	)
	if err != nil {
		t.Fatalf("Run = %v, want nil (failures ignored with -)", err)
	}
	if !r.exists("after") || !r.exists("ok") {
		t.Error("lines after an ignored failure did not run")
	}
	// Ignored failures are still reported.
	for _, want := range []string{"gftp: test.ftp:3: cd nosuchdir: ", "gftp: test.ftp:4: rmdir nosuch: "} {
		if !strings.Contains(r.errw.String(), want) {
			t.Errorf("stderr = %q, want it to contain %q", r.errw.String(), want)
		}
	}
}

func TestRunKeepGoing(t *testing.T) {
	r := newRig(t)
	r.runner.KeepGoing = true
	err := r.run(t,
		"OPEN",
		"user ftpuser secret",
		"cd nosuch1", // 3
		"mkdir a",
		"frobnicate", // 5
		"cd nosuch2", // 6
		"mkdir b",
	)
	le := lineError(t, err, 3)
	if le.Cmd != "cd nosuch1" {
		t.Errorf("first error is for %q, want %q", le.Cmd, "cd nosuch1")
	}
	if !r.exists("a") || !r.exists("b") {
		t.Error("KeepGoing did not go on after failures")
	}
	for _, want := range []string{"test.ftp:3: cd nosuch1", "test.ftp:5: frobnicate", "test.ftp:6: cd nosuch2"} {
		if !strings.Contains(r.errw.String(), want) {
			t.Errorf("stderr = %q, want it to contain %q", r.errw.String(), want)
		}
	}
	if r.sent("CWD nosuch2") != 1 {
		t.Errorf("CWD nosuch2 sent %d times, want 1", r.sent("CWD nosuch2"))
	}
}

func TestRunByeStops(t *testing.T) {
	for _, bye := range []string{"bye", "quit", "exit", "by", "-bye"} {
		t.Run(bye, func(t *testing.T) {
			r := newRig(t)
			err := r.run(t,
				"OPEN",
				"user ftpuser secret",
				"mkdir a",
				bye,
				"cd nosuchdir",
				"mkdir b",
			)
			if err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
			if !r.exists("a") {
				t.Error("the line before bye did not run")
			}
			if r.exists("b") || r.sent("CWD nosuchdir") != 0 {
				t.Error("lines after bye ran")
			}
		})
	}
}

// bye after an ignored-with-KeepGoing failure still reports it.
func TestRunByeAfterKeepGoingFailure(t *testing.T) {
	r := newRig(t)
	r.runner.KeepGoing = true
	err := r.run(t, "OPEN", "user ftpuser secret", "cd nosuchdir", "bye", "mkdir b")
	le := lineError(t, err, 3)
	if le.Cmd != "cd nosuchdir" {
		t.Errorf("error for %q, want cd nosuchdir", le.Cmd)
	}
	if r.exists("b") {
		t.Error("a line after bye ran")
	}
}

func TestRunSkipsBlankAndCommentLines(t *testing.T) {
	r := newRig(t)
	err := r.run(t,
		"",
		"# comment",
		"   # indented comment with an unclosed quote: don't",
		"\t",
		r.open,
		"user ftpuser secret",
		"#mkdir commented",
		"mkdir a#b",
		"-",
		"\t #- an indented comment",
		"",
	)
	if err != nil {
		t.Fatalf("Run: %v\nstderr: %s", err, r.errw.String())
	}
	if r.exists("commented") {
		t.Error("a commented line ran")
	}
	if !r.exists("a#b") {
		t.Error("mkdir a#b did not make a#b")
	}
	got := r.srv.Commands()
	var mkd []string
	for _, c := range got {
		if strings.HasPrefix(c, "MKD") {
			mkd = append(mkd, c)
		}
	}
	if !slices.Equal(mkd, []string{"MKD a#b"}) {
		t.Errorf("MKD commands = %q, want [MKD a#b]", mkd)
	}
}

func TestRunCRLFScript(t *testing.T) {
	r := newRig(t)
	in := r.open + "\r\nuser ftpuser secret\r\n\r\n# c\r\nmkdir crlf\r\ncd nosuch\r\nmkdir after\r\n"
	err := r.runner.Run(context.Background(), strings.NewReader(in))
	le := lineError(t, err, 6)
	if le.Cmd != "cd nosuch" {
		t.Errorf("LineError.Cmd = %q, want %q", le.Cmd, "cd nosuch")
	}
	if !r.exists("crlf") {
		t.Error("mkdir crlf on a CRLF line did not make crlf")
	}
	if r.sent("MKD crlf") != 1 || r.sent("CWD nosuch") != 1 {
		t.Errorf("server got %q, want MKD crlf and CWD nosuch without CRs", r.srv.Commands())
	}
	if r.exists("after") {
		t.Error("the line after the failure ran")
	}
}

func TestRunLongLines(t *testing.T) {
	t.Run("just under the limit", func(t *testing.T) {
		r := newRig(t)
		long := "# " + strings.Repeat("x", commands.MaxLine-100)
		if err := r.run(t, "OPEN", long, "user ftpuser secret", "mkdir after"); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !r.exists("after") {
			t.Error("the line after a long comment did not run")
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		r := newRig(t)
		long := "mkdir " + strings.Repeat("x", 1<<20+1)
		err := r.run(t, "OPEN", "user ftpuser secret", long, "mkdir after")
		le := lineError(t, err, 3)
		var ue *commands.UsageError
		if !errors.As(err, &ue) || !strings.HasSuffix(err.Error(), fmt.Sprintf("line longer than %d bytes", commands.MaxLine)) {
			t.Errorf("error = %v, want a usage error naming the limit", err)
		}
		if len(le.Error()) > 1000 {
			t.Errorf("the error message is %d bytes long", len(le.Error()))
		}
		if r.exists("after") {
			t.Error("a line after the over-long one ran")
		}
		for _, c := range r.srv.Commands() {
			if strings.HasPrefix(c, "MKD") {
				t.Errorf("server got %.40q...", c)
			}
		}
		if !strings.Contains(r.errw.String(), "test.ftp:3: line longer than") {
			t.Errorf("stderr = %.200q, want the over-long line reported", r.errw.String())
		}
	})
}

func TestRunMasksPasswords(t *testing.T) {
	r := newRig(t)
	err := r.run(t, "OPEN", "user ftpuser wrongpw", "mkdir after")
	le := lineError(t, err, 2)
	if le.Cmd != "user ftpuser ****" {
		t.Errorf("LineError.Cmd = %q, want the password masked", le.Cmd)
	}
	var lerr *session.LoginError
	if !errors.As(err, &lerr) {
		t.Errorf("error %v does not wrap a *session.LoginError", err)
	}
	if strings.Contains(r.errw.String(), "wrongpw") || strings.Contains(err.Error(), "wrongpw") {
		t.Errorf("the password shows: %q", r.errw.String())
	}
	if r.exists("after") {
		t.Error("the line after a failed login ran")
	}
}

// A script's own lines are never taken as answers: "user NAME" without a
// password and nobody to ask fails, and the next line (the password) is
// not sent.
func TestRunNeverReadsAnswersFromScript(t *testing.T) {
	for _, keepGoing := range []bool{false, true} {
		t.Run("KeepGoing="+strconv.FormatBool(keepGoing), func(t *testing.T) {
			r := newRig(t)
			r.sess.SetAsk(nil)
			r.runner.KeepGoing = keepGoing
			err := r.run(t,
				"OPEN",
				"user ftpuser", // 2
				"secret",       // 3
				"mkdir after",  // 4
			)
			le := lineError(t, err, 2)
			if !errors.Is(err, session.ErrNoTerminal) {
				t.Errorf("error = %v, want session.ErrNoTerminal", err)
			}
			if !strings.Contains(le.Error(), "no terminal") {
				t.Errorf("error %q does not say there is no terminal", le.Error())
			}
			cmds := r.srv.Commands()
			if !slices.Contains(cmds, "USER ftpuser") {
				t.Errorf("server got %q, want USER ftpuser", cmds)
			}
			for _, c := range cmds {
				if strings.HasPrefix(strings.ToUpper(c), "PASS") || strings.Contains(strings.ToLower(c), "secret") {
					t.Errorf("server got %q: the script's next line was used as the password", c)
				}
			}
			if keepGoing {
				// Going on, "secret" runs as a command of its own and fails;
				// the mkdir then fails for want of a login.
				if !strings.Contains(r.errw.String(), `test.ftp:3: secret: unknown command "secret"`) {
					t.Errorf("stderr = %q, want line 3 run as a command", r.errw.String())
				}
				if r.exists("after") {
					t.Error("mkdir worked without a login")
				}
			} else if r.sent("MKD after") != 0 || strings.Contains(r.errw.String(), "test.ftp:3") {
				t.Errorf("the script went on after the failed login: server got %q, stderr %q", cmds, r.errw.String())
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.runner.Run(ctx, strings.NewReader("# a\n"+r.open+"\nmkdir a\n"))
	lineError(t, err, 1)
	if !errors.Is(err, context.Canceled) || !strings.HasSuffix(err.Error(), ": interrupted") {
		t.Errorf("error = %v, want context.Canceled, shown as interrupted", err)
	}
	if len(r.srv.Commands()) != 0 {
		t.Errorf("server got %q after cancellation", r.srv.Commands())
	}
}
