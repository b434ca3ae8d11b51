//go:build linux

package firewall

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
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
)

// The cut tests upload a file that vsftpd takes several seconds to receive
// and cut the connection while it travels.
const (
	cutRate = 1 << 20 // vsftpd's local_max_rate: 1 MiB/s
	cutSize = 8 << 20 // the upload: about 8s at cutRate
	cutAt   = 1 << 20 // the cut comes once the server holds this much

	cutStall     = 1 * time.Second // --stall-timeout
	cutRetryWait = 1 * time.Second // --retry-wait
	cutTimeout   = 3 * time.Second // --data-timeout; when cut for good, --connect-timeout and --reply-timeout too
	// cutLimit bounds any run of these tests.
	cutLimit = 30 * time.Second
)

// cutFlags are the flags of every run: active mode (the server's firewall
// blocks passive), short stall and data timeouts and retry waits, the
// commands and replies on stdout.
func cutFlags(retries int, extra ...string) []string {
	return append([]string{"-inv", "-d", "-A",
		"--stall-timeout", cutStall.String(), "--retry-wait", cutRetryWait.String(),
		"--retries", strconv.Itoa(retries), "--data-timeout", cutTimeout.String(),
	}, extra...)
}

// cutContent is the file to upload: pseudo-random, so that a piece sent
// twice or at the wrong offset cannot go unnoticed.
func cutContent() []byte {
	b := make([]byte, cutSize)
	rand.NewChaCha8([32]byte{'g', 'f', 't', 'p'}).Read(b)
	return b
}

// TestCut cuts the connection between client and server in the middle of
// an upload: once for a few seconds (gftp must notice the stall, reconnect
// and resume where the server's file stops) and once for good (gftp must
// give up within its timeouts and leave the file under the final name
// alone). One lab is enough: the cut is a rule of its own, the same
// whatever the firewalls do with refused connections.
func TestCut(t *testing.T) {
	requireLab(t)
	removeStaleNamespaces(t)
	acct := ensureAccount(t)
	l := newThrottledLab(t, "drop", acct, cutRate)
	data := cutContent()
	script := "open " + serverAddr + "\nuser " + l.acct.name + " " + l.acct.pass + "\nbinary\nput big.bin\n"

	t.Run("cut then restored", func(t *testing.T) {
		l.clearDisks(t)
		if err := os.WriteFile(filepath.Join(l.local, "big.bin"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		// The connect and reply timeouts keep their defaults: the cut ends
		// before gftp reconnects.
		logStart := len(readFile(l.log))
		g := l.start(t, script, cutFlags(5)...)
		at := l.waitForGrowth(t, g, filepath.Join(l.root, "big.bin"))
		restore := l.cut(t)
		cutTime := time.Now()
		// The cut lasts until gftp has noticed it (and at least 2s): restoring
		// it earlier would let the stalled transfer finish, and the test
		// would be one of luck.
		noticed := g.waitStderr(`trying again`, 15*time.Second)
		if d := time.Since(cutTime); d < 2*time.Second {
			time.Sleep(2*time.Second - d)
		}
		restore()
		t.Logf("cut at %d bytes on the server, restored after %.2fs", at, time.Since(cutTime).Seconds())
		r := g.wait(t)
		// What is still going on when gftp ends: TCP connections on the
		// client, file locks (vsftpd locks the file it uploads to).
		sockets, _ := exec.Command("ip", "netns", "exec", l.client, "ss", "-tn").CombinedOutput()
		locks := readFile("/proc/locks")
		vlog := readFile(l.log)[logStart:]
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("gftp stdout (-d):\n%s", r.stdout)
				t.Logf("vsftpd log of that run:\n%s", vlog)
				t.Logf("when gftp ended: the client's TCP connections:\n%s\n/proc/locks:\n%s", sockets, locks)
				time.Sleep(5 * time.Second) // for what the server does after gftp
				t.Logf("vsftpd log of the 5s after gftp ended:\n%s", readFile(l.log)[logStart+len(vlog):])
			}
		})
		if !noticed {
			t.Errorf("gftp did not say it was trying again within 15s of the cut")
		}
		wantExit(t, r, 0)
		if got, err := os.ReadFile(filepath.Join(l.root, "big.bin")); err != nil {
			t.Errorf("server: %v", err)
		} else if !bytes.Equal(got, data) {
			t.Errorf("server: big.bin has %d bytes that differ from the client's %d (first difference at byte %d)", len(got), len(data), firstDiff(got, data))
		}
		for _, want := range []string{`(?i)put big\.bin: .*trying again in 1s \(1 of 5\)`, `(?i)reconnecting to ` + regexp.QuoteMeta(serverAddr)} {
			if !regexp.MustCompile(want).MatchString(r.stderr) {
				t.Errorf("stderr lacks %s:\n%s", want, r.stderr)
			}
		}
		// Resumed, not started again: after the cut the STOR went on from
		// at least what the server held when the cut came.
		rests := regexp.MustCompile(`"REST (\d+)"`).FindAllStringSubmatch(vlog, -1)
		if len(rests) == 0 {
			t.Errorf("vsftpd's log has no REST: the upload was started again from byte 0 rather than resumed")
		}
		for _, m := range rests {
			if n, _ := strconv.ParseInt(m[1], 10, 64); n < at || n > int64(len(data)) {
				t.Errorf("REST %d, want an offset from %d (what the server held at the cut) to %d", n, at, len(data))
			} else {
				t.Logf("resumed with REST %d (%.1f%% of the file)", n, 100*float64(n)/float64(len(data)))
			}
		}
		// Every STOR after the first was a resumed one.
		if stors := strings.Count(vlog, `"STOR big.bin"`); stors < 2 || len(rests) != stors-1 {
			t.Errorf("vsftpd's log has %d STOR big.bin and %d REST, want the cut STOR and then only resumed ones", stors, len(rests))
		}
		wantElapsed(t, r, 0, cutLimit)
	})

	t.Run("cut for good", func(t *testing.T) {
		// Last night's file is on the server under the final name; the new
		// upload goes to a temporary name and would replace it by a rename.
		l.clearDisks(t)
		if err := os.WriteFile(filepath.Join(l.local, "big.bin"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		previous := bytes.Repeat([]byte("last night's big.bin\n"), 50000)
		final := filepath.Join(l.root, "big.bin")
		if err := os.WriteFile(final, previous, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chown(final, l.acct.uid, l.acct.gid)

		const retries = 1
		logStart := len(readFile(l.log))
		g := l.start(t, script, cutFlags(retries, "--temp-upload",
			"--connect-timeout", cutTimeout.String(), "--reply-timeout", cutTimeout.String())...)
		at := l.waitForGrowth(t, g, filepath.Join(l.root, ".big.bin.gftp-part"))
		l.cut(t) // restored only by the cleanup
		cutTime := time.Now()
		r := g.wait(t)
		afterCut := time.Since(cutTime)
		vlog := readFile(l.log)[logStart:]
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("gftp stdout (-d):\n%s", r.stdout)
				t.Logf("vsftpd log of that run:\n%s", vlog)
			}
		})
		t.Logf("cut at %d bytes on the server; gftp ended %.2fs later", at, afterCut.Seconds())

		wantExit(t, r, 3)
		if !regexp.MustCompile(`(?i)put big\.bin: .*trying again in 1s \(1 of 1\)`).MatchString(r.stderr) {
			t.Errorf("stderr does not say it tried again:\n%s", r.stderr)
		}
		// After the cut: the stall timeout, then at most a data timeout for
		// the stalled STOR's reply; then per retry its wait and a reconnect
		// (connect and greeting timeouts). One more timeout of slack.
		bound := cutStall + cutTimeout + retries*(cutRetryWait+2*cutTimeout) + cutTimeout
		if afterCut >= bound {
			t.Errorf("gftp ended %.2fs after the cut, want under %s (stall + data timeout + %d × (retry wait + connect and reply timeouts) + %s slack)", afterCut.Seconds(), bound, retries, cutTimeout)
		}
		wantElapsed(t, r, cutStall+cutTimeout+retries*cutRetryWait, cutLimit)

		entries, err := os.ReadDir(l.root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(l.root, e.Name()))
			switch e.Name() {
			case "big.bin":
				if !bytes.Equal(b, previous) {
					t.Errorf("server: big.bin has %d bytes, not last night's %d: the failed upload replaced it", len(b), len(previous))
				}
			case ".big.bin.gftp-part":
				// gftp cannot reach the server to delete it.
				t.Logf("server: the temporary .big.bin.gftp-part (%d bytes) remains; the server could not be reached to delete it", len(b))
			default:
				t.Errorf("server: unexpected %s (%d bytes)", e.Name(), len(b))
			}
		}
		if _, err := os.Stat(final); err != nil {
			t.Errorf("server: last night's big.bin is gone: %v", err)
		}
	})
}

// clearDisks empties the server's and the client's folders.
func (l *lab) clearDisks(t *testing.T) {
	t.Helper()
	for _, d := range []string{l.root, l.local} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(d, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// cut drops, in the client's namespace, everything that comes from the
// server's ports 20 and 21: the data connection (vsftpd connects back from
// port 20) and the control connection go silent, and no new connection to
// the server gets an answer. The returned function restores the rules; the
// test's cleanup does too.
func (l *lab) cut(t *testing.T) (restore func()) {
	t.Helper()
	rule := func(port string) []string {
		return []string{"-p", "tcp", "-s", serverAddr, "--sport", port, "-j", "DROP"}
	}
	for _, port := range []string{"20", "21"} {
		sh(t, "ip", append([]string{"netns", "exec", l.client, "iptables", "-I", "INPUT", "1"}, rule(port)...)...)
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			for _, port := range []string{"20", "21"} {
				sh(t, "ip", append([]string{"netns", "exec", l.client, "iptables", "-D", "INPUT"}, rule(port)...)...)
			}
		})
	}
	t.Cleanup(restore)
	return restore
}

// waitForGrowth waits until the server's file holds cutAt bytes, and
// returns its size then.
func (l *lab) waitForGrowth(t *testing.T, g *running, path string) int64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() >= cutAt {
			return fi.Size()
		}
		select {
		case <-g.done:
			r := g.wait(t)
			t.Fatalf("gftp ended (exit %d) before the server's %s reached %d bytes\nstderr:\n%s\nstdout:\n%s",
				r.code, filepath.Base(path), cutAt, r.stderr, r.stdout)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			fi, _ := os.Stat(path)
			t.Fatalf("the server's %s did not reach %d bytes within 15s (%v)", filepath.Base(path), cutAt, fi)
		}
	}
}

// running is a gftp started in the background by start.
type running struct {
	cmd            *exec.Cmd
	cancel         context.CancelFunc
	start          time.Time
	stdout, stderr *syncBuffer
	done           chan struct{} // closed when gftp has ended
	err            error         // cmd.Wait's, once done
	elapsed        time.Duration
	timedOut       bool
}

// start runs gftp as launch does (the client namespace, cron's clean
// environment, no terminal), but in the background, with its output
// readable while it runs. It is killed after cutLimit plus a margin.
func (l *lab) start(t *testing.T, script string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cutLimit+10*time.Second)
	cmd := l.gftpCommand(ctx, script, args)
	g := &running{cmd: cmd, cancel: cancel, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = g.stdout, g.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	g.start = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("run gftp: %v", err)
	}
	go func() {
		g.err = cmd.Wait()
		g.elapsed = time.Since(g.start)
		g.timedOut = ctx.Err() != nil
		close(g.done)
	}()
	t.Cleanup(func() { cancel(); <-g.done })
	return g
}

// waitStderr waits until gftp's stderr matches pattern (true), gftp ends
// or d passes (false).
func (g *running) waitStderr(pattern string, d time.Duration) bool {
	re := regexp.MustCompile(pattern)
	deadline := time.After(d)
	for {
		if re.MatchString(g.stderr.String()) {
			return true
		}
		select {
		case <-g.done:
			return re.MatchString(g.stderr.String())
		case <-deadline:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wait waits for gftp to end and returns its result; a run killed for
// taking too long fails the test.
func (g *running) wait(t *testing.T) result {
	t.Helper()
	<-g.done
	g.cancel()
	r := result{stdout: g.stdout.String(), stderr: g.stderr.String(), elapsed: g.elapsed}
	var ee *exec.ExitError
	switch {
	case g.timedOut:
		r.code, r.hung = -1, true
	case errors.As(g.err, &ee):
		r.code = ee.ExitCode()
	case g.err != nil:
		t.Fatalf("run gftp: %v", g.err)
	}
	t.Logf("gftp %s: exit %d in %.2fs; stderr: %q", strings.Join(g.cmd.Args[5:], " "), r.code, r.elapsed.Seconds(), r.stderr)
	if r.hung {
		t.Errorf("gftp hung: killed after %s\nstdout so far:\n%s", cutLimit+10*time.Second, r.stdout)
	}
	return r
}

// syncBuffer is a bytes.Buffer that the test may read while gftp writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// firstDiff is the offset of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
