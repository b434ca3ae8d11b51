//go:build linux

package interop

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The fault tests: what a cron job meets on a bad night, against the real
// servers, in passive mode on 127.0.0.1. The server is killed in the
// middle of an upload (SIGKILL to it and all its processes, sessions
// included) and comes back, or does not; or it is busy for a moment. gftp must
// retry, resume where the server supports it, and end with the right exit
// status, within a bounded time, with the right files on the server's disk.
//
// The servers are throttled (vsftpd local_max_rate, pure-ftpd -T, proftpd
// TransferRate, pyftpdlib's ThrottledDTPHandler, which comes in bursts) so
// that an upload lasts a few seconds and can be cut midway.
const (
	faultRate = 2 << 20 // bytes per second the throttled servers move
	faultSize = 8 << 20 // the upload: four seconds at faultRate
	faultCut  = 1 << 20 // the server dies once this much is on its disk
)

// faultFlags are gftp's retry settings for the fault tests: short waits
// and timeouts, so that the tests are quick and their bounds tight.
var faultFlags = []string{"--retries", "5", "--retry-wait", "500ms", "--stall-timeout", "2s", "--connect-timeout", "2s"}

// TestFault runs the faults against each server, the servers in parallel.
func TestFault(t *testing.T) {
	requireServers(t)
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			t.Run("killed-and-restarted", func(t *testing.T) { killedAndRestarted(t, kind) })
			t.Run("killed-for-good", func(t *testing.T) { killedForGood(t, kind) })
			t.Run("busy", func(t *testing.T) { busy(t, kind) })
		})
	}
}

// killedAndRestarted: the server dies (SIGKILL) once part of an upload is
// on its disk, and is started again a second later on the same port and
// root. gftp reconnects, logs in again and resumes with REST from what
// the server kept, where the server has REST STREAM; the file ends up
// whole and the exit status is 0.
func killedAndRestarted(t *testing.T, kind serverKind) {
	c := startFaultServer(t, kind, throttled(faultRate))
	local := t.TempDir()
	data := randomBytes(faultSize)
	writeFile(t, filepath.Join(local, "big.bin"), data)
	run := startGftp(t, c, local, "binary\nput big.bin\n", faultFlags...)

	target := c.path("big.bin")
	run.waitFor(t, target, faultCut)
	c.inst.kill(t)
	kept := fileSize(target)
	t.Logf("%s killed with %d of %d bytes on its disk", kind.name, kept, faultSize)
	time.Sleep(time.Second)
	if err := c.inst.relaunch(t); err != nil {
		t.Fatalf("restart %s on the same port: %v", kind.name, err)
	}
	r := run.wait(t, time.Minute)

	if r.code != 0 {
		r.fail(t, "exit status %d, want 0: gftp should have reconnected and finished the upload", r.code)
	}
	if !wantSame(t, target, data) {
		r.fail(t, "the file on the server differs from the one sent")
	}
	for _, want := range []string{"trying again", "reconnecting to 127.0.0.1"} {
		if !strings.Contains(r.stderr, want) {
			r.fail(t, "stderr does not say %q", want)
		}
	}

	// Resume, not restart: the last STOR came after a REST from what
	// the server had kept.
	if !resumesUploads(kind.name) {
		t.Logf("%s lists REST STREAM but refuses REST before STOR (AllowStoreRestart is off by default): only the whole file is checked", kind.name)
		if n := len(refusedRestart.FindAllString(r.stdout, -1)); n > 1 {
			r.fail(t, "gftp sent REST and STOR %d times, refused each time with a 4xx, instead of starting over from byte 0 after the first refusal", n)
		}
		return
	}
	if !regexp.MustCompile(`(?m)^ REST STREAM\s*$`).MatchString(r.stdout) {
		r.fail(t, "%s lists REST STREAM in FEAT, but no FEAT reply in gftp's transcript shows it: gftp did not ask before retrying", kind.name)
	}
	switch rest, retried := lastRestBeforeStor(r.stdout, "big.bin"); {
	case !retried:
		r.fail(t, "only one STOR: the upload was not tried again")
	case rest == 0:
		r.fail(t, "the upload started over from byte 0 (no REST before the last STOR), although %s resumes uploads and kept %d bytes", kind.name, kept)
	case rest != kept:
		r.fail(t, "resumed at byte %d, but the server kept %d", rest, kept)
	default:
		t.Logf("resumed at byte %d of %d", rest, faultSize)
		if log := c.inst.protocolLog(); log != "" && !strings.Contains(log, "REST "+strconv.FormatInt(rest, 10)) {
			t.Errorf("%s's log has no REST %d", kind.name, rest)
		}
	}
}

// refusedRestart is a REST accepted, then the STOR after it refused.
var refusedRestart = regexp.MustCompile(`(?m)^---> REST [1-9]\d*\n350 .*\n(?:---> EPSV\n229 .*\n)?---> STOR .*\n4\d\d `)

// resumesUploads says whether the server, as the tests configure it,
// takes REST before STOR. proftpd answers it with "451 Append/Restart not
// permitted" unless AllowStoreRestart is on, which is off by default and
// left so here: that is what gftp meets in the field.
func resumesUploads(server string) bool { return server != "proftpd" }

// killedForGood: the server dies in the middle of a --temp-upload and
// does not come back. gftp gives up after its retries, within a bounded
// time, with exit status 3; last night's file under the final name is
// untouched.
func killedForGood(t *testing.T, kind serverKind) {
	c := startFaultServer(t, kind, throttled(faultRate))
	previous := randomBytes(100 << 10)
	c.serverFile(t, "backup.tgz", previous)
	local := t.TempDir()
	writeFile(t, filepath.Join(local, "backup.tgz"), randomBytes(faultSize))
	const retries, wait, timeout = 2, 500 * time.Millisecond, 2 * time.Second
	run := startGftp(t, c, local, "binary\nput backup.tgz\n", "--temp-upload",
		"--retries", strconv.Itoa(retries), "--retry-wait", wait.String(),
		"--stall-timeout", timeout.String(), "--connect-timeout", timeout.String())

	part := c.path(".backup.tgz.gftp-part")
	run.waitFor(t, part, faultCut)
	c.inst.kill(t)
	killed := time.Now()
	// Each try fails within one timeout: the first when its data stops
	// moving (at once, the connection being reset, or after the stall
	// timeout), each retry on connecting (refused at once on loopback,
	// or after the connect timeout); between them the doubling waits.
	// Five seconds more for the rest.
	bound := time.Duration(retries+1)*timeout + 5*time.Second
	for i := range retries {
		bound += wait << i
	}
	r := run.wait(t, bound+10*time.Second)
	took := time.Since(killed)
	t.Logf("gftp gave up %s after the server died (bound %s)", took.Round(time.Millisecond), bound)

	if r.code != 3 {
		r.fail(t, "exit status %d, want 3 (connection lost)", r.code)
	}
	if took > bound {
		r.fail(t, "gftp took %s to give up after the server died; bound %s", took.Round(time.Millisecond), bound)
	}
	if n := strings.Count(r.stderr, "trying again"); n != retries {
		r.fail(t, "stderr says %d times that it is trying again, want %d", n, retries)
	}
	if !wantSame(t, c.path("backup.tgz"), previous) {
		r.fail(t, "the previous file under the final name changed")
	}
	// Nothing else: the partial upload may stay under its temporary
	// name (the server is gone: gftp could not delete it).
	if n := fileSize(part); n >= 0 {
		t.Logf("left behind: %s, %d bytes", filepath.Base(part), n)
	}
	for _, name := range dirNames(t, c.inst.root) {
		if name != "backup.tgz" && name != ".backup.tgz.gftp-part" {
			r.fail(t, "the server's folder holds %q", name)
		}
	}
}

// busy: the server refuses for a moment, with a 4xx, then accepts. With
// one control connection allowed per address, a second one gets "421 too
// many connections" for a greeting. The test holds the only one while gftp
// opens its connection, and lets go a second later. (No 450 could be had
// from these servers without patching them.)
//
// Not proftpd: its MaxTransfersPerHost answers a refused STOR with two
// replies ("451 Sorry, the maximum number of data transfers" and "451
// NAME: Too many transfers"), against RFC 959's one reply per command, and
// its MaxClientsPerHost refuses with a permanent 530.
func busy(t *testing.T, kind serverKind) {
	if kind.name == "proftpd" {
		t.Skip("proftpd has no one-off 4xx refusal that keeps to one reply per command (see busy's comment)")
	}
	c := startFaultServer(t, kind, maxPerIP(1))
	local := t.TempDir()
	data := randomBytes(64 << 10)
	writeFile(t, filepath.Join(local, "small.bin"), data)

	hold := c.inst.holdSlot(t)
	defer hold.Close()
	run := startGftp(t, c, local, "binary\nput small.bin\n", faultFlags...)
	time.Sleep(time.Second)
	hold.Close()
	r := run.wait(t, time.Minute)

	if !regexp.MustCompile(`(?m)^421 `).MatchString(r.stdout + r.stderr) {
		r.fail(t, "no 421: %s did not turn gftp away", kind.name)
	}
	retried := strings.Contains(r.stderr, "trying again")
	switch {
	case r.code != 0 && !retried:
		r.fail(t, "exit status %d, want 0: the 421 greeting of the first open was not retried, although the README "+
			"lists 4xx replies (421 included) among the transient failures retried; %s was free again a second later", r.code, kind.name)
	case r.code != 0:
		r.fail(t, "exit status %d, want 0: a 421 is transient, and %s was free again a second later", r.code, kind.name)
	case !retried:
		r.fail(t, "stderr does not say it is trying again")
	}
	if r.code != 0 {
		// Was the refusal transient? The same run again, now.
		again := startGftp(t, c, local, "binary\nput small.bin\n", faultFlags...).wait(t, time.Minute)
		t.Logf("the same gftp run again, after the test let go of its connection: exit status %d", again.code)
	}
	if !wantSame(t, c.path("small.bin"), data) {
		r.fail(t, "the file on the server differs from the one sent")
	}
}

// holdSlot opens a control connection and waits for its greeting, so that
// the server counts it. A 421 is tried again for up to five seconds: the
// server may not yet have seen the end of the connection that launch
// greeted it with.
func (inst *instance) holdSlot(t *testing.T) net.Conn {
	t.Helper()
	addr := net.JoinHostPort(inst.host, strconv.Itoa(inst.port))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err == nil && strings.HasPrefix(line, "220") {
			return c
		}
		c.Close()
		if time.Now().After(deadline) || !strings.HasPrefix(line, "421") {
			t.Fatalf("the connection that keeps %s busy: %q, %v", inst.server, line, err)
		}
	}
}

// startFaultServer starts a server of its own for one fault test, on
// 127.0.0.1, and shows its logs if the test fails.
func startFaultServer(t *testing.T, kind serverKind, opts ...serverOption) *cell {
	t.Helper()
	inst, err := kind.start(t, "127.0.0.1", opts...)
	if err != nil {
		t.Fatalf("%s did not start: %v", kind.name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s logs:\n%s", inst.server, inst.logTails())
		}
	})
	return &cell{inst: inst, mode: "passive", flag: "-p"}
}

// kill ends the server at once, sessions included, and waits until its
// port refuses connections. SIGKILL goes to its process group and to every
// process descended from it: vsftpd's sessions start sessions (setsid) of
// their own, out of the group.
func (inst *instance) kill(t *testing.T) {
	t.Helper()
	pids := descendants(inst.pgid)
	if err := syscall.Kill(-inst.pgid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s: %v", inst.server, err)
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	addr := net.JoinHostPort(inst.host, strconv.Itoa(inst.port))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections on %s after SIGKILL", inst.server, addr)
		}
	}
}

// descendants lists the processes below pid, from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		p, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], p)
	}
	var all []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		all = append(all, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return all
}

// relaunch starts the server again as launch first did: same port, same
// root, same configuration.
func (inst *instance) relaunch(t *testing.T) error {
	a := inst.argv
	return launch(t, inst, a[0], a[1], a[2], a[3:]...)
}

// protocolLog is the server's log of the commands it got, where it keeps
// one (vsftpd, proftpd, pyftpdlib, iis-style); "" for pure-ftpd, which
// logs them to syslog only.
func (inst *instance) protocolLog() string {
	var name string
	switch {
	case inst.server == "vsftpd":
		name = "vsftpd.log"
	case inst.server == "proftpd":
		name = "commands.log"
	case pyftpdlibBased(inst.server):
		name = inst.server + ".log"
	default:
		return ""
	}
	for _, p := range inst.logs {
		if filepath.Base(p) == name {
			b, _ := os.ReadFile(p)
			return string(b)
		}
	}
	return ""
}

// lastRestBeforeStor finds, in gftp's -d transcript, the REST offset sent
// for the last STOR of name (0 when none was), and whether name was
// stored more than once.
func lastRestBeforeStor(stdout, name string) (rest int64, retried bool) {
	var stors int
	var pending int64 // the REST sent, until a command other than EPSV or PASV
	for line := range strings.SplitSeq(stdout, "\n") {
		cmd, ok := strings.CutPrefix(line, "---> ")
		if !ok {
			continue
		}
		verb, arg, _ := strings.Cut(cmd, " ")
		switch {
		case verb == "REST":
			pending, _ = strconv.ParseInt(arg, 10, 64)
		case cmd == "STOR "+name:
			stors++
			rest, pending = pending, 0
		case verb != "EPSV" && verb != "PASV":
			pending = 0
		}
	}
	return rest, stors > 1
}

// gftpAsync is a gftp run going on in the background.
type gftpAsync struct {
	r      *gftpRun
	done   chan struct{}
	cancel context.CancelFunc
}

// startGftp starts gftp -i -n -v -d -p with the flags, in local, with the
// script after open and user lines on stdin, as cell.gftp does, but
// without waiting for it. It is killed when the test ends.
func startGftp(t *testing.T, c *cell, local, script string, flags ...string) *gftpAsync {
	t.Helper()
	home := t.TempDir()
	r := &gftpRun{
		mode: c.mode,
		args: append([]string{"-i", "-n", "-v", "-d", c.flag}, flags...),
		script: fmt.Sprintf("open %s %d\nuser %s %s\n", c.inst.host, c.inst.port, c.inst.user, c.inst.pass) +
			script,
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := gftpCommand(ctx, local, home, r.script, r.args)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	a := &gftpAsync{r: r, done: make(chan struct{}), cancel: cancel}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("running gftp: %v", err)
	}
	go func() {
		defer close(a.done)
		err := cmd.Wait()
		r.elapsed = time.Since(start)
		r.stdout, r.stderr = stdout.String(), stderr.String()
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			r.stderr += fmt.Sprintf("\n(test: waiting for gftp: %v)", err)
		}
		r.code = cmd.ProcessState.ExitCode() // -1: killed
	}()
	t.Cleanup(func() { cancel(); <-a.done })
	return a
}

// wait waits for gftp to end, at most limit; after that it is killed and
// the test fails: gftp hung.
func (a *gftpAsync) wait(t *testing.T, limit time.Duration) *gftpRun {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(limit):
		a.cancel()
		<-a.done
		a.r.fail(t, "gftp still running after %s: killed", limit)
	}
	return a.r
}

// waitFor waits until the file p on the server's disk holds at least n
// bytes; the test fails if gftp ends first, or after 15 seconds.
func (a *gftpAsync) waitFor(t *testing.T, p string, n int64) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); fileSize(p) < n; time.Sleep(5 * time.Millisecond) {
		select {
		case <-a.done:
			a.r.fail(t, "gftp ended before %s held %d bytes", p, n)
			t.FailNow()
		default:
		}
		if time.Now().After(deadline) {
			a.cancel()
			<-a.done
			a.r.fail(t, "after 15s %s holds %d bytes, not %d: the upload never got going", p, fileSize(p), n)
			t.FailNow()
		}
	}
}

// fileSize is the size of the file at p; -1 if there is none.
func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// wantSame is wantFile that reports whether the file matched.
func wantSame(t *testing.T, p string, data []byte) bool {
	t.Helper()
	before := t.Failed()
	wantFile(t, p, data)
	return before || !t.Failed()
}
