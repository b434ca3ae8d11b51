//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// A signal ends a run at once: every wait (a control reply, a data
// connection, a transfer, a final reply) ends within about a second of
// it, the temporary file is removed and an existing local file is left as
// it was. These run gftp as a process of its own, since signals are the
// point.

// gftpProcess is gftp running a script in a process of its own.
type gftpProcess struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	exited         chan struct{}
	dir            string
}

// startGftp runs the test binary as gftp with script on stdin, in a
// fresh directory.
func startGftp(t *testing.T, script string, args ...string) *gftpProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &gftpProcess{exited: make(chan struct{}), dir: t.TempDir()}
	home := t.TempDir()
	p.cmd = exec.Command(exe, args...)
	p.cmd.Args[0] = "gftp"
	p.cmd.Dir = p.dir
	p.cmd.Env = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "PATH=/usr/bin:/bin"}
	for _, k := range []string{"GORACE", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			p.cmd.Env = append(p.cmd.Env, k+"="+v)
		}
	}
	p.cmd.Stdin = strings.NewReader(script)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	// No controlling terminal: nothing may be asked, as under cron.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// waitExit waits up to d for the process to end and returns its status.
func (p *gftpProcess) waitExit(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("gftp still running %s later; stderr so far:\n%s", d, p.stderr.String())
	}
	var ee *exec.ExitError
	if err := p.cmd.Wait(); errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return p.cmd.ProcessState.ExitCode()
}

// signal sends sig and returns the exit status, failing when gftp took
// more than about a second (1.5s, for slow machines) to end.
func (p *gftpProcess) signal(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	start := time.Now()
	p.cmd.Process.Signal(sig)
	code := p.waitExit(t, 5*time.Second)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("exited %s after %v, want within about 1s", d, sig)
	}
	return code
}

// waitFor polls until cond holds, failing after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func received(h *testserver.Hostile, prefix string) func() bool {
	return func() bool {
		for _, c := range h.Commands() {
			if strings.HasPrefix(c, prefix) {
				return true
			}
		}
		return false
	}
}

// Long timeouts, so that only the signal can end the waits in time.
var patient = []string{"--reply-timeout", "60s", "--data-timeout", "60s", "--stall-timeout", "60s"}

// signalExit is what a signal makes gftp exit with (documented).
var signalExit = map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143}

// A signal during a get whose data stops and whose final reply never
// comes: gftp exits within about a second with the signal's status, the
// temporary file gone and the existing local file as it was.
func TestSignalDuringGet(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			h := startHostile(t, testserver.HostileOptions{Files: map[string][]byte{"big": []byte("new")}, DataHang: true})
			p := startGftp(t, "user u p\nget big\n", hostileArgs(h, append([]string{"-in"}, patient...)...)...)
			old := filepath.Join(p.dir, "big")
			if err := os.WriteFile(old, []byte("yesterday's"), 0o644); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "RETR", received(h, "RETR big"))
			time.Sleep(100 * time.Millisecond) // into the copy
			code := p.signal(t, sig)
			if code != signalExit[sig] {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, signalExit[sig], p.stderr.String())
			}
			wantStopped := map[syscall.Signal]string{syscall.SIGINT: "stdin:2: get big: interrupted\n", syscall.SIGTERM: "stdin:2: get big: terminated\n"}[sig]
			if !strings.HasSuffix(p.stderr.String(), wantStopped) {
				t.Errorf("stderr %q, want it to end %q", p.stderr.String(), wantStopped)
			}
			for _, g := range goInternals {
				if strings.Contains(p.stderr.String(), g) {
					t.Errorf("stderr shows Go's %q:\n%s", g, p.stderr.String())
				}
			}
			if b, err := os.ReadFile(old); err != nil || string(b) != "yesterday's" {
				t.Errorf("the existing local file is now %q (%v)", b, err)
			}
			ents, _ := os.ReadDir(p.dir)
			if len(ents) != 1 {
				t.Errorf("the local directory holds %d entries, want only big (temporary file left?)", len(ents))
			}
		})
	}
}

// A server that never greets: a signal ends the wait for the greeting at
// once, and the status is the signal's, not a connection failure's.
func TestSignalBeforeGreeting(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{Silent: true})
	p := startGftp(t, "user u p\n", hostileArgs(h, append([]string{"-in"}, patient...)...)...)
	time.Sleep(300 * time.Millisecond)
	if code := p.signal(t, syscall.SIGINT); code != 130 || !strings.Contains(p.stderr.String(), "interrupted") {
		t.Errorf("exit %d, stderr %q; want 130 and interrupted", code, p.stderr.String())
	}
}

// The data has all come but the 226 does not: a signal ends that wait.
func TestSignalWaitingForFinalReply(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{Files: map[string][]byte{"f": []byte("data")}, NoFinal: true})
	p := startGftp(t, "user u p\nget f\n", hostileArgs(h, append([]string{"-in"}, patient...)...)...)
	waitFor(t, "RETR", received(h, "RETR f"))
	time.Sleep(200 * time.Millisecond)
	if code := p.signal(t, syscall.SIGTERM); code != 143 {
		t.Errorf("exit %d, want 143; stderr:\n%s", code, p.stderr.String())
	}
	if _, err := os.Stat(filepath.Join(p.dir, "f")); err == nil {
		t.Error("a file whose transfer never completed was saved")
	}
}

// --max-time bounds the whole run: a stuck transfer is stopped when it
// runs out, cleanly, exit 3 with a message naming the limit.
func TestMaxTime(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{Files: map[string][]byte{"big": []byte("x")}, DataHang: true})
	start := time.Now()
	p := startGftp(t, "user u p\nget big\n", hostileArgs(h, append([]string{"-in", "--max-time", "1s"}, patient...)...)...)
	code := p.waitExit(t, 10*time.Second)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s with --max-time 1s", d)
	}
	if code != exitConnect || !strings.Contains(p.stderr.String(), "stdin:2: get big: stopped: the run took longer than --max-time 1s") {
		t.Errorf("exit %d, stderr %q", code, p.stderr.String())
	}
	if ents, _ := os.ReadDir(p.dir); len(ents) != 0 {
		t.Errorf("left %d files behind", len(ents))
	}
}
