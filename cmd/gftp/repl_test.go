//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gftp/gftp/internal/session"
	"github.com/gftp/gftp/internal/testserver"
)

// replWait bounds every wait for the program's output or exit.
const replWait = 10 * time.Second

// openPTY opens a new pseudo-terminal pair, 80x24.
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*os.File, *os.File, error) {
		master.Close()
		return nil, nil, err
	}
	raw, err := master.SyscallConn() // not Fd(), which makes reads blocking
	if err != nil {
		return fail(err)
	}
	var n int
	var ioErr error
	err = raw.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr != nil {
			return
		}
		if n, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN); ioErr != nil {
			return
		}
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80})
	})
	if err == nil {
		err = ioErr
	}
	if err != nil {
		return fail(fmt.Errorf("set up pty: %w", err))
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	return master, slave, nil
}

// ptyOutput collects what the program writes to its terminal.
type ptyOutput struct {
	mu   sync.Mutex
	buf  []byte
	done bool // the reader stopped
	cond *sync.Cond
}

func newPTYOutput() *ptyOutput {
	o := &ptyOutput{}
	o.cond = sync.NewCond(&o.mu)
	return o
}

func (o *ptyOutput) readFrom(f *os.File) {
	b := make([]byte, 4096)
	for {
		n, err := f.Read(b)
		o.mu.Lock()
		o.buf = append(o.buf, b[:n]...)
		if err != nil {
			o.done = true
		}
		o.cond.Broadcast()
		o.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (o *ptyOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}

// replSession is gftp running in a pseudo-terminal.
type replSession struct {
	t      *testing.T
	master *os.File
	cmd    *exec.Cmd
	out    *ptyOutput
	pos    int // output before pos has been matched already
	exited chan struct{}
	err    error // from Wait, once exited is closed
	// drained is closed when the terminal's output has been read to its
	// end (the last holder of the terminal is gone).
	drained chan struct{}
}

// startREPL runs the test binary as gftp (testscript.Main picks the command
// by the base name of argv[0]) with args, in a new terminal.
func startREPL(t *testing.T, args ...string) *replSession {
	t.Helper()
	return startREPLEnv(t, nil, args...)
}

// startREPLEnv is startREPL with more environment variables.
func startREPLEnv(t *testing.T, env []string, args ...string) *replSession {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	home := t.TempDir()
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = "gftp"
	cmd.Dir = t.TempDir()
	cmd.Env = []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"TERM=xterm",
		"LANG=C.UTF-8",
		"PATH=/usr/bin:/bin",
	}
	cmd.Env = append(cmd.Env, env...)
	// What the test binary itself needs under go test -race or -cover.
	for _, k := range []string{"GORACE", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// A session of its own with the pty as controlling terminal, as a
	// login shell would give it (and /dev/tty works).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		slave.Close()
		master.Close()
		t.Fatalf("start gftp: %v", err)
	}
	slave.Close() // the child has it; reads of master end when it exits

	r := &replSession{t: t, master: master, cmd: cmd, out: newPTYOutput(), exited: make(chan struct{}), drained: make(chan struct{})}
	go func() {
		defer close(r.drained)
		r.out.readFrom(master)
	}()
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = cmd.Process.Kill()
			<-r.exited
		}
		master.Close()
		<-r.drained
		if t.Failed() {
			t.Logf("terminal output:\n%q", r.out.String())
		}
	})
	return r
}

// send types s.
func (r *replSession) send(s string) {
	r.t.Helper()
	if _, err := r.master.Write([]byte(s)); err != nil {
		r.t.Fatalf("type %q: %v", s, err)
	}
}

// expect waits until want appears in the output after what earlier calls
// matched, and moves past it.
func (r *replSession) expect(want string) {
	r.t.Helper()
	deadline := time.Now().Add(replWait)
	timer := time.AfterFunc(replWait, func() {
		r.out.mu.Lock()
		r.out.cond.Broadcast()
		r.out.mu.Unlock()
	})
	defer timer.Stop()
	o := r.out
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		if i := strings.Index(string(o.buf[r.pos:]), want); i >= 0 {
			r.pos += i + len(want)
			return
		}
		if o.done || !time.Now().Before(deadline) {
			why := "timed out"
			if o.done {
				why = "the terminal closed"
			}
			r.t.Fatalf("%s waiting for %q; output after the last match:\n%q", why, want, o.buf[r.pos:])
		}
		o.cond.Wait()
	}
}

// prompt waits for the next gftp> prompt.
func (r *replSession) prompt() {
	r.t.Helper()
	r.expect("gftp> ")
}

// run types a command line and waits for want, then the next prompt.
func (r *replSession) run(line, want string) {
	r.t.Helper()
	r.send(line + "\r")
	r.expect(want)
	r.prompt()
}

// wait waits for the program to exit and returns its status, with its
// output read to the end: what it wrote last may still be in the
// terminal when it has exited.
func (r *replSession) wait() int {
	r.t.Helper()
	select {
	case <-r.exited:
	case <-time.After(replWait):
		r.t.Fatalf("gftp did not exit within %v", replWait)
	}
	select {
	case <-r.drained:
	case <-time.After(replWait):
		// A child of gftp's (a shell, a pager) may still hold the
		// terminal; the output so far is what there is.
	}
	if out := r.out.String(); strings.Contains(out, "WARNING: DATA RACE") {
		r.t.Errorf("gftp (built with -race) reported a data race:\n%s", out[strings.Index(out, "WARNING: DATA RACE"):])
	}
	var ee *exec.ExitError
	if errors.As(r.err, &ee) {
		return ee.ExitCode()
	}
	if r.err != nil {
		r.t.Fatalf("wait: %v", r.err)
	}
	return 0
}

func countCommand(srv *testserver.Server, cmd string) int {
	n := 0
	for _, c := range srv.Commands() {
		if c == cmd {
			n++
		}
	}
	return n
}

func startREPLServer(t *testing.T) *testserver.Server {
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
	return srv
}

// TestREPL drives the interactive prompt as a person would: line editing,
// history recall and completion, through a real terminal.
func TestREPL(t *testing.T) {
	srv := startREPLServer(t)
	r := startREPL(t, "-n", srv.Host(), strconv.Itoa(srv.Port()))

	// Verbose is on at a terminal: the greeting shows.
	r.expect("Connected to " + srv.Host() + ".")
	r.expect("220 ")
	r.prompt()

	r.run("user ftpuser secret", "230 ")
	if countCommand(srv, "PASS ****") != 1 {
		t.Errorf("server got %q, want one PASS", srv.Commands())
	}

	r.run("pwd", `257 "/"`)

	r.run("mkdir viarepl", "257 ")
	if fi, err := os.Stat(filepath.Join(srv.Root(), "viarepl")); err != nil || !fi.IsDir() {
		t.Fatalf("mkdir viarepl made no folder: %v", err)
	}

	// Up arrow recalls the last line; running it again is refused (550),
	// and said to be no failure: the directory is there.
	r.send("\x1b[A")
	r.expect("mkdir viarepl")
	r.send("\r")
	r.expect("550")
	r.expect("the directory is there already")
	r.prompt()
	if n := countCommand(srv, "MKD viarepl"); n != 2 {
		t.Errorf("server got MKD viarepl %d times, want 2 (the second from history): %q", n, srv.Commands())
	}
	pwds := countCommand(srv, "PWD")

	// TAB completes the only command starting with "pw".
	r.send("pw\t")
	r.expect("gftp> pwd ") // completed, with the space a typed line lacks
	r.send("\r")
	r.expect(`257 "/"`)
	r.prompt()
	if n := countCommand(srv, "PWD"); n != pwds+1 {
		t.Errorf("server got PWD %d times, want %d (one more, from completion): %q", n, pwds+1, srv.Commands())
	}

	// An unknown command is reported and the session goes on.
	r.run("frobnicate", `unknown command "frobnicate"`)
	r.run("pwd", `257 "/"`)
	if n := countCommand(srv, "PWD"); n != pwds+2 {
		t.Errorf("server got PWD %d times after the unknown command, want %d", n, pwds+2)
	}

	r.send("bye\r")
	if code := r.wait(); code != 0 {
		t.Errorf("gftp exited with %d after bye, want 0", code)
	}
	if cmds := srv.Commands(); len(cmds) == 0 || cmds[len(cmds)-1] != "QUIT" {
		t.Errorf("server commands = %q, want QUIT last", cmds)
	}
}

// TestREPLOpenAndLoginPrompt connects with open at the prompt and logs in
// answering the password prompt, which must not echo.
func TestREPLOpenAndLoginPrompt(t *testing.T) {
	srv := startREPLServer(t)
	r := startREPL(t, "-n")
	r.prompt()

	r.run("pwd", "Not connected.")
	// open and user with no arguments ask, as tnftp does.
	r.send("open\r")
	r.expect("(to) ")
	r.send(srv.Host() + " " + strconv.Itoa(srv.Port()) + "\r")
	r.expect("220 ")
	r.prompt()

	r.send("user\r")
	r.expect("(username) ")
	r.send("ftpuser\r")
	r.expect("Password: ")
	r.send("secret\r")
	r.expect("230 ")
	r.prompt()
	if strings.Contains(r.out.String(), "secret") {
		t.Error("the password was echoed")
	}
	if countCommand(srv, "PASS ****") != 1 {
		t.Errorf("server got %q, want one PASS", srv.Commands())
	}

	// ^D at an empty prompt ends the session like bye.
	r.send("\x04")
	if code := r.wait(); code != 0 {
		t.Errorf("gftp exited with %d after ^D, want 0", code)
	}
	if cmds := srv.Commands(); len(cmds) == 0 || cmds[len(cmds)-1] != "QUIT" {
		t.Errorf("server commands = %q, want QUIT last", cmds)
	}
}

// Without -n, a host on the command line means: ask for the user name and
// the password on the terminal.
func TestREPLAutoLogin(t *testing.T) {
	srv := startREPLServer(t)
	r := startREPL(t, srv.Host(), strconv.Itoa(srv.Port()))
	r.expect("220 ")
	r.expect("Name (" + srv.Host() + ":")
	r.send("ftpuser\r")
	r.expect("Password: ")
	r.send("secret\r")
	r.expect("230 ")
	r.prompt()
	r.run("pwd", `257 "/"`)
	if strings.Contains(r.out.String(), "secret") {
		t.Error("the password was echoed")
	}
	r.send("bye\r")
	if code := r.wait(); code != 0 {
		t.Errorf("gftp exited with %d, want 0", code)
	}
	if countCommand(srv, "USER ftpuser") != 1 || countCommand(srv, "PASS ****") != 1 {
		t.Errorf("server commands = %q", srv.Commands())
	}
}

// At the prompt, mput asks per file (prompting is on without -i): n skips a
// file, y sends it.
func TestREPLPromptsPerFile(t *testing.T) {
	srv := startREPLServer(t)
	r := startREPL(t, "-n", srv.Host(), strconv.Itoa(srv.Port()))
	r.prompt()
	r.run("user ftpuser secret", "230 ")
	for _, name := range []string{"a.1", "a.2"} {
		if err := os.WriteFile(filepath.Join(r.cmd.Dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.send("mput a.*\r")
	r.expect("mput a.1 [anqy?]? ")
	r.send("n\r")
	r.expect("mput a.2 [anqy?]? ")
	r.send("y\r")
	r.expect("226 ")
	r.prompt()
	r.send("bye\r")
	r.wait()
	if _, err := os.Stat(filepath.Join(srv.Root(), "a.1")); err == nil {
		t.Error("a.1 was sent after answering n")
	}
	if b, err := os.ReadFile(filepath.Join(srv.Root(), "a.2")); err != nil || string(b) != "a.2" {
		t.Errorf("a.2 on the server: %q, %v", b, err)
	}
}

// Ctrl-C during a command the server never answers returns to the prompt
// within about a second; the next command opens the connection again.
func TestREPLInterruptHungCommand(t *testing.T) {
	h, err := testserver.StartHostile(testserver.HostileOptions{Hang: []string{"CWD", "DELE"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	r := startREPL(t, "-n", "--reply-timeout", "60s", h.Host(), strconv.Itoa(h.Port()))
	r.prompt()
	r.run("user u p", "230 Logged in")
	for _, c := range []struct{ line, verb string }{{"cd x", "CWD x"}, {"delete f", "DELE f"}} {
		r.send(c.line + "\r")
		waitFor(t, c.verb, received(h, c.verb))
		start := time.Now()
		r.send("\x03")
		r.expect("interrupted")
		r.prompt()
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("%s: back at the prompt %s after Ctrl-C", c.line, d)
		}
		r.run("pwd", `257 "/"`)
	}
	r.send("bye\r")
	r.wait()
	if n := strings.Count(strings.Join(h.Commands(), "\n"), "USER u"); n != 3 {
		t.Errorf("logged in %d times, want 3 (once, then again after each interruption)", n)
	}
}

// A password typed in a quoted PASS, however it is spaced or cased, never
// reaches the history file, which only its owner can read.
func TestREPLHistoryMasksQuotedPass(t *testing.T) {
	h, err := testserver.StartHostile(testserver.HostileOptions{Replies: map[string]string{"PASS": "503 Login with USER first", "ACCT": "202 Not needed"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	hist := filepath.Join(t.TempDir(), "state", "history")
	r := startREPLEnv(t, []string{"GFTP_HISTORY_FILE=" + hist}, "-n", h.Host(), strconv.Itoa(h.Port()))
	r.prompt()
	r.run(`quote "   PASS secret1"`, "503 Login with USER first")
	r.run("quote PaSs secret2", "503")
	r.run(`quote "  acct  secret3"`, "202")
	r.send("bye\r")
	r.wait()
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret") || strings.Count(string(b), "****") != 3 {
		t.Errorf("history file holds:\n%s", b)
	}
	if fi, err := os.Stat(hist); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

// Ctrl-C at the Name: prompt of an auto-login cancels that login, said in
// words, and the prompt goes on.
func TestREPLCancelAtNamePrompt(t *testing.T) {
	h, err := testserver.StartHostile(testserver.HostileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	r := startREPL(t, h.Host(), strconv.Itoa(h.Port()))
	r.expect("Name (")
	r.send("\x03")
	r.expect("gftp: login failed: cancelled at the Name: prompt")
	r.prompt()
	r.run("user u p", "230 Logged in")
	r.send("bye\r")
	r.wait()
	if out := r.out.String(); strings.Contains(out, "Interrupt") {
		t.Errorf("the terminal shows Go's error text:\n%q", out)
	}
}

// SIGTERM at the prompt ends gftp with 143 and gives the terminal back
// (echo on again); during a command it cancels that command first.
func TestREPLSIGTERM(t *testing.T) {
	h, err := testserver.StartHostile(testserver.HostileOptions{Hang: []string{"CWD"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	for _, during := range []string{"", "cd x"} {
		r := startREPL(t, "-n", h.Host(), strconv.Itoa(h.Port()))
		r.prompt()
		if during != "" {
			r.send(during + "\r")
			waitFor(t, "CWD", received(h, "CWD x"))
		}
		r.cmd.Process.Signal(syscall.SIGTERM)
		if code := r.wait(); code != 143 {
			t.Errorf("%q: exit %d after SIGTERM, want 143", during, code)
		}
		if n := strings.Count(r.out.String(), "gftp: terminated"); n != 1 {
			t.Errorf("%q: says terminated %d times:\n%q", during, n, r.out.String())
		}
		tio, err := unix.IoctlGetTermios(int(r.master.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 || tio.Lflag&unix.ICANON == 0 {
			t.Errorf("%q: the terminal is left raw (lflag %#x)", during, tio.Lflag)
		}
	}
}

// Ctrl-C during a parallel mget cancels every file in flight and returns
// to the prompt; the session goes on.
func TestREPLInterruptParallel(t *testing.T) {
	files := map[string][]byte{"a": []byte("x"), "b": []byte("y"), "c": []byte("z")}
	h, err := testserver.StartHostile(testserver.HostileOptions{Files: files, Listing: unixListing("a", "b", "c"), DataHang: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	r := startREPL(t, "-in", "--stall-timeout", "60s", h.Host(), strconv.Itoa(h.Port()))
	r.prompt()
	r.run("user u p", "230 Logged in")
	r.send("mget -P 3 *\r")
	waitFor(t, "three RETR", func() bool { return count(h.Commands(), "RETR .") == 3 })
	start := time.Now()
	r.send("\x03")
	r.expect("interrupted")
	r.prompt()
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("back at the prompt %s after Ctrl-C", d)
	}
	r.run("pwd", `257 "/"`)
	r.send("bye\r")
	r.wait()
	entries, _ := os.ReadDir(r.cmd.Dir)
	for _, e := range entries {
		t.Errorf("left %s in the local directory", e.Name())
	}
}

// At a terminal, get shows a progress bar that moves: the name, the
// percentage and the rate, redrawn as the bytes come; it is gone once the
// file is in, and the byte count line is printed.
func TestREPLProgressBar(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	h, err := testserver.StartHostile(testserver.HostileOptions{Files: map[string][]byte{"big.bin": data}, SlowData: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	r := startREPL(t, "-n", h.Host(), strconv.Itoa(h.Port()))
	r.prompt()
	r.run("user u p", "230 Logged in")
	r.send("get big.bin\r")
	r.expect("big.bin")
	seen := map[string]bool{}
	deadline := time.Now().Add(replWait)
	for len(seen) < 3 && time.Now().Before(deadline) {
		for _, m := range regexp.MustCompile(`\b(\d{1,3}) ?%`).FindAllStringSubmatch(r.out.String(), -1) {
			seen[m[1]] = true
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(seen) < 3 {
		t.Errorf("the bar showed %d different percentages, want it to move; terminal:\n%q", len(seen), r.out.String())
	}
	r.expect("262144 bytes received")
	r.prompt()
	if !strings.Contains(r.out.String(), "KiB/s") {
		t.Errorf("no rate in the bar")
	}
	r.send("bye\r")
	r.wait()
	if got, err := os.ReadFile(filepath.Join(r.cmd.Dir, "big.bin")); err != nil || !bytes.Equal(got, data) {
		t.Errorf("big.bin: %d bytes, %v", len(got), err)
	}
}

// Tab completes remote names for the arguments the command table marks
// remote: files end with a space, directories with a slash and go on;
// after a command that may change the server, the listing is asked anew.
func TestREPLRemoteCompletion(t *testing.T) {
	srv := startREPLServer(t)
	for _, d := range []string{"docs/sub"} {
		if err := os.MkdirAll(filepath.Join(srv.Root(), d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(srv.Root(), "remote.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startREPL(t, "-n", srv.Host(), strconv.Itoa(srv.Port()))
	r.prompt()
	r.run("user ftpuser secret", "230")
	r.send("get rem\t")
	r.expect("get remote.txt ")
	r.send("\r")
	r.expect("bytes received")
	r.prompt()
	r.send("cd do\t")
	r.expect("cd docs/")
	r.send("s\t")
	r.expect("cd docs/sub/")
	r.send("\r")
	r.expect("250")
	r.prompt()
	if err := os.WriteFile(filepath.Join(r.cmd.Dir, "new.txt"), []byte("n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.run("put new.txt", "bytes sent")
	r.send("size ne\t")
	r.expect("size new.txt ")
	r.send("\r")
	r.expect("new.txt\t1")
	r.prompt()
	r.send("bye\r")
	r.wait()
}

// At the prompt, an unknown self-signed certificate is shown with its
// fingerprint and the user is asked; yes stores it, and the next
// connection does not ask again.
func TestREPLTrustOnFirstUse(t *testing.T) {
	cert, _, sum, err := testserver.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, testserver.Options{TLS: testserver.TLSOptions{Mode: testserver.ExplicitTLS, Cert: cert, Required: true}})
	state := t.TempDir()
	fp := session.Fingerprint(sum[:])
	open := "open " + srv.Host() + " " + strconv.Itoa(srv.Port())

	r := startREPLEnv(t, []string{"XDG_STATE_HOME=" + state}, "-n", "--tls", "explicit")
	r.prompt()
	r.send(open + "\r")
	r.expect("is not trusted: it is signed by an unknown authority, or by itself.")
	r.expect("Fingerprint: " + fp)
	r.expect("[y/N] ")
	r.send("y\r")
	r.expect("220 ")
	r.prompt()
	r.run("close", "221")
	before := len(r.out.String())
	r.run(open, "220 ")
	r.send("bye\r")
	if code := r.wait(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if again := r.out.String()[before:]; strings.Contains(again, "[y/N]") {
		t.Errorf("asked again on the second open:\n%q", again)
	}
	b, err := os.ReadFile(filepath.Join(state, "gftp", "known_hosts"))
	if err != nil || !strings.Contains(string(b), fp) {
		t.Errorf("known_hosts: %v\n%s", err, b)
	}
}

// At the prompt rm -r counts first and asks once; no deletes nothing.
func TestREPLRmTreeAsks(t *testing.T) {
	srv := startREPLServer(t)
	for _, rel := range []string{"tree/a", "tree/sub/b"} {
		p := filepath.Join(srv.Root(), filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	r := startREPL(t, "-n")
	r.prompt()
	r.run("open "+srv.Host()+" "+strconv.Itoa(srv.Port()), "220 ")
	r.send("user ftpuser secret\r")
	r.expect("230 ")
	r.prompt()
	r.send("rm -r tree\r")
	r.expect("Delete tree and all in it: 2 files, 1 directories? [y/N] ")
	r.send("n\r")
	r.expect("Nothing deleted.")
	r.prompt()
	r.send("bye\r")
	r.wait()
	if _, err := os.Stat(filepath.Join(srv.Root(), "tree", "sub", "b")); err != nil {
		t.Errorf("deleted after no: %v", err)
	}
	if n := countCommand(srv, "DELE tree/a") + countCommand(srv, "DELE tree/sub/b"); n != 0 {
		t.Errorf("%d DELE after no", n)
	}
}

// Ctrl-C in mid-get at the prompt keeps what arrived under the file's
// name (as tnftp does) and says so; reget continues it with REST, and the
// file is whole.
func TestREPLInterruptedGetKeepsPartial(t *testing.T) {
	srv := startServer(t, testserver.Options{ReadDelay: 10 * time.Millisecond})
	// 4 MiB: the server's 32 KiB reads take 1.3 s in all, which leaves a
	// loaded machine time to take the Ctrl-C before the file is whole.
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<18)
	os.WriteFile(filepath.Join(srv.Root(), "big.bin"), body, 0o644)
	down := t.TempDir()
	r := startREPL(t, "-n", "127.0.0.1", strconv.Itoa(srv.Port()))
	r.prompt()
	r.run("user ftpuser secret", "230 ")
	r.run("lcd "+down, "Local directory now")
	r.send("get big.bin\r")
	waitFor(t, "a partial download", func() bool {
		m, _ := filepath.Glob(filepath.Join(down, ".big.bin.gftp-*"))
		if len(m) == 0 {
			return false
		}
		fi, err := os.Stat(m[0])
		return err == nil && fi.Size() > 0
	})
	r.send("\x03")
	r.expect("interrupted: the first ")
	r.prompt()
	fi, err := os.Stat(filepath.Join(down, "big.bin"))
	if err != nil || fi.Size() == 0 || fi.Size() >= int64(len(body)) {
		t.Fatalf("after Ctrl-C: %v, %v; want the partial file", fi, err)
	}
	if fi.ModTime().After(time.Unix(1, 0)) {
		t.Errorf("the partial file is dated %v: newer and mirror would take it as up to date", fi.ModTime())
	}
	r.run("reget big.bin", "bytes received")
	r.send("bye\r")
	r.wait()
	if b, _ := os.ReadFile(filepath.Join(down, "big.bin")); !bytes.Equal(b, body) {
		t.Errorf("after reget: %d bytes, not the file", len(b))
	}
	if n := count(srv.Commands(), fmt.Sprintf("REST %d", fi.Size())); n != 1 {
		t.Errorf("no REST %d in %v", fi.Size(), srv.Commands())
	}
}

// Home and End, as terminals and tmux send them (\e[1~ \e[4~, \eOH \eOF,
// \e[H \e[F), move to the start and the end of the line.
func TestREPLHomeEnd(t *testing.T) {
	r := startREPL(t, "-n")
	r.prompt()
	for _, k := range []struct{ home, end string }{{"\x1b[1~", "\x1b[4~"}, {"\x1bOH", "\x1bOF"}, {"\x1b[H", "\x1b[F"}} {
		// "sag" + Home + "u" + End + "e get": "usage get" only if both
		// keys moved the cursor.
		r.send("sag" + k.home + "u" + k.end + "e get\r")
		r.expect("usage: get [-c] remote-file")
		r.prompt()
	}
	r.send("bye\r")
	r.wait()
}

// ! runs a command in the local directory; ! alone is a shell on the
// terminal, and exit comes back to the prompt.
func TestREPLShell(t *testing.T) {
	r := startREPL(t, "-n")
	r.prompt()
	r.run("!echo from-sh-$((6*7))", "from-sh-42")
	r.send("!\r")
	r.expect("comes back") // the input is the shell's from here
	r.send("echo inside-$((6*6))\r")
	r.expect("inside-36")
	r.send("exit\r")
	r.prompt()
	r.run("lpwd", "Local directory: ")
	r.send("bye\r")
	r.wait()
}

// Ctrl-C at the Password: prompt cancels that login, not the session: the
// prompt comes back, no PASS went out, and the next user works.
func TestREPLCancelAtPasswordPrompt(t *testing.T) {
	h, err := testserver.StartHostile(testserver.HostileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	r := startREPL(t, "-n", h.Host(), strconv.Itoa(h.Port()))
	r.prompt()
	r.send("user u\r")
	r.expect("Password: ")
	r.send("\x03")
	r.prompt()
	if n := count(h.Commands(), "PASS .*"); n != 0 {
		t.Errorf("%d PASS sent after Ctrl-C at the password prompt", n)
	}
	r.run("user u p", "230 Logged in")
	r.send("bye\r")
	r.wait()
}

// macdef at the prompt reads the macro's lines up to an empty one, as
// tnftp does; $ runs it.
func TestREPLMacdef(t *testing.T) {
	r := startREPL(t, "-n")
	r.prompt()
	r.send("macdef twice\r")
	r.expect("terminating it with a null line")
	r.send("lpwd\r")
	r.send("usage get\r")
	r.send("\r")
	r.prompt()
	r.run("$ twice", "usage: get [-c]")
	r.send("bye\r")
	r.wait()
	if n := strings.Count(r.out.String(), "Local directory: "); n != 1 {
		t.Errorf("the macro's lpwd ran %d times, want once", n)
	}
}

// mdir and mls ask before they write their local file, at the prompt with
// prompting on, as tnftp does; no means nothing is written.
func TestREPLMdirAsks(t *testing.T) {
	srv := startREPLServer(t)
	down := t.TempDir()
	r := startREPL(t, "-n", srv.Host(), strconv.Itoa(srv.Port()))
	r.prompt()
	r.run("user ftpuser secret", "230 ")
	r.run("lcd "+down, "Local directory now")
	r.send("mdir . out.txt\r")
	r.expect("output to local-file: out.txt? [yN] ")
	r.send("n\r")
	r.expect("Nothing listed.")
	r.prompt()
	if _, err := os.Stat(filepath.Join(down, "out.txt")); !os.IsNotExist(err) {
		t.Errorf("out.txt written after no: %v", err)
	}
	r.send("mdir . out.txt\r")
	r.expect("output to local-file: out.txt? [yN] ")
	r.send("y\r")
	r.prompt()
	r.send("bye\r")
	r.wait()
	if _, err := os.Stat(filepath.Join(down, "out.txt")); err != nil {
		t.Errorf("out.txt not written after yes: %v", err)
	}
}

// At a terminal, page runs the file through $PAGER (here a pager that
// marks its lines), and lpage a local file.
func TestREPLPager(t *testing.T) {
	srv := startREPLServer(t)
	os.WriteFile(filepath.Join(srv.Root(), "notes.txt"), []byte("remote notes\n"), 0o644)
	local := filepath.Join(t.TempDir(), "local.txt")
	os.WriteFile(local, []byte("local notes\n"), 0o644)
	r := startREPLEnv(t, []string{"PAGER=sed s/^/paged:/"}, "-n", srv.Host(), strconv.Itoa(srv.Port()))
	r.prompt()
	r.run("user ftpuser secret", "230 ")
	r.run("page notes.txt", "paged:remote notes")
	r.run("lpage "+local, "paged:local notes")
	r.send("bye\r")
	r.wait()
}

// A server that never answers the listing does not freeze the prompt:
// Tab gives up within the bounded wait (2 s), the line stays editable,
// and the session goes on (its connection, which owed a reply, is opened
// again for the next command).
func TestREPLRemoteCompletionSlowServer(t *testing.T) {
	h, err := testserver.StartHostile(testserver.HostileOptions{Hang: []string{"LIST", "MLSD", "NLST"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	r := startREPL(t, "-n", h.Host(), strconv.Itoa(h.Port()))
	r.prompt()
	r.run("user u p", "230 Logged in")
	start := time.Now()
	r.send("size re\t")
	waitFor(t, "the listing", received(h, "LIST"))
	r.send("mote.txt\r")
	r.expect("size remote.txt")
	r.prompt()
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Tab held the prompt for %v, want about 2s at most", d)
	}
	r.run("pwd", `257 "/"`)
	r.send("bye\r")
	r.wait()
}
