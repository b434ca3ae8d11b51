//go:build linux

package firewall

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// The only addresses the tests use: a TEST-NET-style benchmarking range
// (RFC 2544) that no real network routes, plus loopback.
const (
	clientAddr = "198.18.0.1"
	serverAddr = "198.18.0.2"
	prefixLen  = "24"
	clientIf   = "fwc0" // the veth end in the client namespace
	serverIf   = "fws0" // its peer in the server namespace

	// nsPrefix starts every namespace name, followed by the test process's
	// pid, so a later run can tell its own namespaces from stale ones.
	nsPrefix = "gftpfw-"
	// testUser is the local account vsftpd logs the client in as.
	testUser = "gftpfw"
)

// serversDir is where testdata/servers/fetch.sh unpacks the FTP servers.
func serversDir() string {
	if d := os.Getenv("GFTP_SERVERS"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "gftp", "servers")
}

func vsftpdPath() string { return filepath.Join(serversDir(), "vsftpd", "usr", "sbin", "vsftpd") }

// prerequisites says why the suite cannot run here, or "" when it can.
func prerequisites() string {
	if os.Geteuid() != 0 {
		return "needs root (network namespaces, iptables, a local user for vsftpd)"
	}
	for _, tool := range []string{"ip", "iptables", "iptables-restore", "useradd", "usermod", "chpasswd", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Sprintf("needs %s in PATH (run testdata/servers/fetch.sh as root)", tool)
		}
	}
	if _, err := os.Stat(vsftpdPath()); err != nil {
		return fmt.Sprintf("needs vsftpd at %s (run testdata/servers/fetch.sh as root)", vsftpdPath())
	}
	// Root in a container may still be denied namespaces.
	probe := fmt.Sprintf("%s%d-probe", nsPrefix, os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		return fmt.Sprintf("cannot create network namespaces: ip netns add: %v: %s", err, bytes.TrimSpace(out))
	}
	exec.Command("ip", "netns", "del", probe).Run()
	return ""
}

// sh runs a command and fails the test with its output if it fails.
func sh(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// shIn runs a command with stdin, failing the test if it fails.
func shIn(t testing.TB, stdin string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// removeStaleNamespaces deletes namespaces left by earlier runs that were
// killed before their cleanup ran: ours, but named after a pid that is no
// longer a running test binary. Processes still inside them (a vsftpd)
// were started by that run and are killed first.
func removeStaleNamespaces(t *testing.T) {
	out := sh(t, "ip", "netns", "list")
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], nsPrefix) {
			continue
		}
		name := f[0]
		pid, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, nsPrefix), "-", 2)[0])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.HasSuffix(strings.TrimSpace(string(comm)), ".test") {
			continue // a run going on at the same time
		}
		t.Logf("removing stale namespace %s", name)
		deleteNamespace(name)
	}
}

// deleteNamespace kills what still runs inside the namespace (started by
// these tests) and deletes it, which also destroys its veth end.
func deleteNamespace(name string) {
	if out, err := exec.Command("ip", "netns", "pids", name).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	exec.Command("ip", "netns", "del", name).Run()
}

// account is the local user vsftpd authenticates (through PAM).
type account struct {
	name, pass string
	uid, gid   int
}

// ensureAccount creates the test user if absent and gives it a fresh random
// password: vsftpd only logs in real local users. Its home is "/" because
// vsftpd changes into the home folder before local_root and refuses the
// login when that fails; the shell is nologin.
func ensureAccount(t *testing.T) account {
	if _, err := user.Lookup(testUser); err != nil {
		sh(t, "useradd", "--no-create-home", "--home-dir", "/", "--shell", "/usr/sbin/nologin",
			"--comment", "gftp firewall tests", testUser)
	}
	u, err := user.Lookup(testUser)
	if err != nil {
		t.Fatalf("user %s: %v", testUser, err)
	}
	if fi, err := os.Stat(u.HomeDir); err != nil || !fi.IsDir() {
		sh(t, "usermod", "--home", "/", testUser)
	}
	b := make([]byte, 12)
	rand.Read(b)
	a := account{name: testUser, pass: hex.EncodeToString(b)}
	a.uid, _ = strconv.Atoi(u.Uid)
	a.gid, _ = strconv.Atoi(u.Gid)
	shIn(t, a.name+":"+a.pass+"\n", "chpasswd")
	return a
}

// lab is one copy of the seed's network: client and server namespaces, a
// firewall in each that refuses in one way ("reject" or "drop"), and
// vsftpd serving root from the server namespace.
type lab struct {
	refusal        string // "reject" or "drop"
	client, server string // namespace names
	acct           account
	dir            string // everything on disk for this lab
	root           string // vsftpd's local_root: the server's disk
	local          string // gftp's working directory: the client's disk
	home           string // gftp's HOME: empty, so no config file applies
	log            string // vsftpd's log
	vsftpdErr      string // vsftpd's stderr (its "500 OOPS" messages)
	maxRate        int    // vsftpd's local_max_rate in bytes per second (0: unlimited)
}

func newLab(t *testing.T, refusal string, acct account) *lab {
	return newThrottledLab(t, refusal, acct, 0)
}

// newThrottledLab is newLab with vsftpd moving each transfer's data at
// most maxRate bytes per second (0: unlimited), so a transfer lasts long
// enough to be cut.
func newThrottledLab(t *testing.T, refusal string, acct account, maxRate int) *lab {
	tag := fmt.Sprintf("%s%d-%s", nsPrefix, os.Getpid(), refusal)
	l := &lab{refusal: refusal, client: tag + "-client", server: tag + "-server", acct: acct, maxRate: maxRate}

	// Not t.TempDir: vsftpd's session runs as the test user, who must be
	// able to reach local_root, and t.TempDir's folders are private.
	dir, err := os.MkdirTemp("", "gftp-firewall-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l.dir = dir
	l.root = filepath.Join(dir, "srv")
	l.local = filepath.Join(dir, "client")
	l.home = filepath.Join(dir, "home")
	l.log = filepath.Join(dir, "vsftpd.log")
	l.vsftpdErr = filepath.Join(dir, "vsftpd.stderr")
	empty := filepath.Join(dir, "empty")
	for _, d := range []string{l.root, l.local, l.home, empty} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	os.Chmod(empty, 0o555) // vsftpd wants secure_chroot_dir not writable
	if err := os.Chown(l.root, acct.uid, acct.gid); err != nil {
		t.Fatal(err)
	}

	l.network(t)
	l.startVsftpd(t)
	return l
}

// network makes the two namespaces, the veth pair between them and loads
// each side's firewall. The namespaces are deleted in cleanup whatever
// happens after they exist.
func (l *lab) network(t *testing.T) {
	for _, ns := range []string{l.client, l.server} {
		sh(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { deleteNamespace(ns) })
		sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	// Made inside the client namespace with the peer created straight in
	// the server's, so no interface ever appears in the host's namespace.
	sh(t, "ip", "-n", l.client, "link", "add", clientIf, "type", "veth", "peer", "name", serverIf, "netns", l.server)
	for _, side := range []struct{ ns, ifname, addr string }{
		{l.client, clientIf, clientAddr},
		{l.server, serverIf, serverAddr},
	} {
		// No IPv6 link-local address on the veth: the tests use only
		// 198.18.0.0/24 and loopback.
		sh(t, "ip", "netns", "exec", side.ns, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/"+side.ifname+"/disable_ipv6")
		sh(t, "ip", "-n", side.ns, "addr", "add", side.addr+"/"+prefixLen, "dev", side.ifname)
		sh(t, "ip", "-n", side.ns, "link", "set", side.ifname, "up")
	}
	l.loadRules(t, l.server, "server")
	l.loadRules(t, l.client, "client")

	// Guard: nothing but our range and loopback is configured.
	for _, side := range []struct{ ns, addr string }{{l.client, clientAddr}, {l.server, serverAddr}} {
		out := sh(t, "ip", "-n", side.ns, "-o", "addr", "show")
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 4 {
				continue
			}
			switch f[3] {
			case "127.0.0.1/8", "::1/128", side.addr + "/" + prefixLen:
			default:
				t.Fatalf("namespace %s has an unexpected address %s:\n%s", side.ns, f[3], out)
			}
		}
	}
}

// loadRules replaces the namespace's filter table with
// testdata/SIDE-REFUSAL.rules.
func (l *lab) loadRules(t testing.TB, ns, side string) {
	t.Helper()
	rules, err := os.ReadFile(filepath.Join("testdata", side+"-"+l.refusal+".rules"))
	if err != nil {
		t.Fatal(err)
	}
	shIn(t, string(rules), "ip", "netns", "exec", ns, "iptables-restore")
}

// startVsftpd runs vsftpd in the server namespace until the lab's cleanup
// and waits until it listens on serverAddr port 21.
func (l *lab) startVsftpd(t *testing.T) {
	tmpl, err := template.ParseFiles(filepath.Join("testdata", "vsftpd.conf.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var conf bytes.Buffer
	if err := tmpl.Execute(&conf, map[string]any{
		"Addr": serverAddr, "Root": l.root, "Empty": filepath.Join(l.dir, "empty"), "Log": l.log,
		"MaxRate": l.maxRate,
	}); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(l.dir, "vsftpd.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	errf, err := os.Create(l.vsftpdErr)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()

	// ip netns exec execs vsftpd in place, so cmd's pid is vsftpd's. Its
	// own process group lets cleanup kill the per-session children too;
	// Pdeathsig stops it if the test binary dies without cleanup.
	cmd := exec.Command("ip", "netns", "exec", l.server, vsftpdPath(), confPath)
	cmd.Stdout, cmd.Stderr = errf, errf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start vsftpd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("vsftpd stderr:\n%s", readFile(l.vsftpdErr))
		}
	})

	// 198.18.0.2:21 in /proc/net/tcp's little-endian hex, state 0A: LISTEN.
	const listening = " 020012C6:0015 00000000:0000 0A "
	deadline := time.Now().Add(10 * time.Second)
	for {
		tcp, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", cmd.Process.Pid))
		if bytes.Contains(tcp, []byte(listening)) {
			return
		}
		select {
		case <-exited:
			t.Fatalf("vsftpd exited at start: %v\nstderr: %s\nlog: %s", cmd.ProcessState, readFile(l.vsftpdErr), readFile(l.log))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("vsftpd does not listen on %s:21 after 10s\nstderr: %s\nlog: %s", serverAddr, readFile(l.vsftpdErr), readFile(l.log))
		}
	}
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}

// The backup files of the story: the client uploads today's, the script
// deletes last week's, and older ones stay.
const (
	newBackupGlob = "backup-2026-11-24*"
	oldBackup     = "backup-2026-11-17.tgz" // mdelete's target
	olderBackup   = "backup-2026-11-10.tgz" // must survive
)

var newBackups = []string{"backup-2026-11-24.tgz", "backup-2026-11-24.sql.gz"}

// content is what each file holds: distinct, and large enough that an
// upload takes more than one segment.
func content(name string) []byte {
	return bytes.Repeat([]byte(name+" backup data\n"), 20000)
}

// reset puts both disks back to the state before the nightly job: today's
// backups (and an unrelated file mput must not match) on the client, last
// week's and an older backup in bakdir on the server.
func (l *lab) reset(t *testing.T) {
	t.Helper()
	for _, d := range []string{l.root, l.local} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(d, e.Name()))
		}
	}
	for _, name := range append(newBackups, "notes.txt") {
		if err := os.WriteFile(filepath.Join(l.local, name), content(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bak := filepath.Join(l.root, "bakdir")
	if err := os.Mkdir(bak, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chown(bak, l.acct.uid, l.acct.gid)
	for _, name := range []string{oldBackup, olderBackup} {
		p := filepath.Join(bak, name)
		if err := os.WriteFile(p, content(name), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chown(p, l.acct.uid, l.acct.gid)
	}
}

// serverFiles lists bakdir on the server's disk with each file's content.
func (l *lab) serverFiles(t *testing.T) map[string][]byte {
	t.Helper()
	bak := filepath.Join(l.root, "bakdir")
	entries, err := os.ReadDir(bak)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(bak, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

func names(files map[string][]byte) []string {
	var n []string
	for name, b := range files {
		n = append(n, fmt.Sprintf("%s (%d bytes)", name, len(b)))
	}
	return n
}

// assertBackedUp checks the script's full effect: today's backups uploaded
// intact, last week's deleted, the older one and nothing else left.
func (l *lab) assertBackedUp(t *testing.T) {
	t.Helper()
	files := l.serverFiles(t)
	for _, name := range append(newBackups, olderBackup) {
		if b, ok := files[name]; !ok {
			t.Errorf("server: %s missing; bakdir holds %v", name, names(files))
		} else if !bytes.Equal(b, content(name)) {
			t.Errorf("server: %s has %d bytes, want the client's %d", name, len(b), len(content(name)))
		}
		delete(files, name)
	}
	if len(files) != 0 {
		t.Errorf("server: bakdir also holds %v; want %s deleted and nothing else", names(files), oldBackup)
	}
}

// assertUntouched checks that a failed run uploaded nothing and, above
// all, did not go on to delete last week's backup.
func (l *lab) assertUntouched(t *testing.T) {
	t.Helper()
	files := l.serverFiles(t)
	for _, name := range []string{oldBackup, olderBackup} {
		if !bytes.Equal(files[name], content(name)) {
			t.Errorf("server: %s was deleted or changed; bakdir holds %v", name, names(files))
		}
		delete(files, name)
	}
	for name, b := range files {
		if len(b) > 0 {
			t.Errorf("server: %s was uploaded (%d bytes) although the data connection failed", name, len(b))
		} else {
			// vsftpd creates the file before it connects back in active
			// mode, and leaves it empty when that fails: its doing, not
			// gftp's.
			t.Logf("server: vsftpd left an empty %s after the failed active connection", name)
		}
	}
}

// sport20Accepted is how many packets the client firewall's "new TCP from
// source port 20" rule has admitted: proof that the server's active data
// connections came from port 20.
func (l *lab) sport20Accepted(t *testing.T) int {
	t.Helper()
	out := sh(t, "ip", "netns", "exec", l.client, "iptables", "-L", "INPUT", "-n", "-v", "-x")
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[2] == "ACCEPT" && strings.Contains(line, "spt:20") {
			n, _ := strconv.Atoi(f[0])
			return n
		}
	}
	return -1 // the rule was removed
}

// blockPort20 deletes the client firewall's rule for new TCP from source
// port 20, until the end of the calling test.
func (l *lab) blockPort20(t *testing.T) {
	sh(t, "ip", "netns", "exec", l.client, "iptables", "-D", "INPUT",
		"-m", "state", "--state", "NEW", "-m", "tcp", "-p", "tcp", "--sport", "20", "-j", "ACCEPT")
	t.Cleanup(func() { l.loadRules(t, l.client, "client") })
}

// result is one run of the gftp binary.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	hung           bool // killed after gftpRunLimit
}

// script is the seed's heredoc; modeLine replaces its "passive" line ("" to
// leave it out).
func (l *lab) script(modeLine string) string {
	lines := []string{"open " + serverAddr, "user " + l.acct.name + " " + l.acct.pass}
	if modeLine != "" {
		lines = append(lines, modeLine)
	}
	lines = append(lines, "binary", "cd bakdir", "mput "+newBackupGlob, "mdelete "+oldBackup)
	return strings.Join(lines, "\n") + "\n"
}

// gftpRunLimit stops a hung gftp, so a hang fails its case instead of the
// whole suite. The slowest run expected takes one default data timeout
// (boundedByDefault), so anything longer is a hang.
const gftpRunLimit = 45 * time.Second

// launch runs the gftp binary in the client namespace with script on stdin,
// as cron would: no terminal, a clean environment.
func (l *lab) launch(t *testing.T, script string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gftpRunLimit)
	defer cancel()
	cmd := l.gftpCommand(ctx, script, args)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A new session has no controlling terminal: gftp cannot prompt.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.code, r.hung = -1, true
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run gftp: %v", err)
	}
	return r
}

// run is launch plus the reporting every case wants: it logs the run, and if
// the case fails, the stdout, the new part of vsftpd's log (every command
// and reply) and, when the run was quick, a second run with -d (after
// resetting the disks) for gftp's side of the transcript. A slow run is not
// repeated, to keep the suite's time down; vsftpd's log stands in for it.
func (l *lab) run(t *testing.T, script string, args ...string) result {
	t.Helper()
	logStart := len(readFile(l.log))
	r := l.launch(t, script, args...)
	t.Logf("gftp %s: exit %d in %.2fs; stderr: %q", strings.Join(args, " "), r.code, r.elapsed.Seconds(), r.stderr)
	logEnd := len(readFile(l.log))
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		t.Logf("gftp stdout:\n%s", r.stdout)
		if log := readFile(l.log); logEnd <= len(log) && logStart <= logEnd {
			t.Logf("vsftpd log of that run:\n%s", log[logStart:logEnd])
		}
		if r.elapsed >= boundedByTimeout {
			t.Logf("not repeated with -d: the run took %.0fs", r.elapsed.Seconds())
			return
		}
		l.reset(t)
		d := l.launch(t, script, append(args, "-d")...)
		t.Logf("again with -d: exit %d in %.2fs\nstdout:\n%s\nstderr:\n%s", d.code, d.elapsed.Seconds(), d.stdout, d.stderr)
	})
	if r.hung {
		t.Fatalf("gftp %s hung: killed after %s (stderr so far: %q)", strings.Join(args, " "), gftpRunLimit, r.stderr)
	}
	return r
}

// gftpCommand is the gftp binary in the client namespace with script on
// stdin, as cron would run it: a clean environment (callers add no
// terminal).
func (l *lab) gftpCommand(ctx context.Context, script string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.client, gftpBin}, args...)...)
	cmd.Dir = l.local
	cmd.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + l.home,
		"XDG_CONFIG_HOME=" + filepath.Join(l.home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(l.home, ".state"),
		"LC_ALL=C",
	}
	cmd.Stdin = strings.NewReader(script)
	return cmd
}
