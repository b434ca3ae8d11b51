//go:build linux

package interop

import (
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
	"sync"
	"syscall"
	"testing"
)

var (
	// serversDir is where fetch.sh unpacked the servers.
	serversDir string
	// unavailable says why the matrix cannot run here; "" when it can.
	unavailable string
	// gftpBin is the gftp binary under test, built once in TestMain.
	gftpBin string
)

// python is Debian's python3, which has python3-pyftpdlib: the python3
// first on PATH may be another one (pyenv) without it.
const python = "/usr/bin/python3"

func TestMain(m *testing.M) {
	serversDir = defaultServersDir()
	unavailable = checkPrerequisites()
	if unavailable != "" && os.Getenv("CI") != "true" {
		// One line for the whole package; each test then skips.
		fmt.Printf("interop: skipped: %s; these tests need root and the servers testdata/servers/fetch.sh unpacks (CI=true runs them)\n", unavailable)
	}
	var binDir string
	if unavailable == "" {
		var err error
		if binDir, err = os.MkdirTemp("", "gftp-interop-bin-"); err != nil {
			fmt.Fprintln(os.Stderr, "interop:", err)
			os.Exit(1)
		}
		gftpBin = filepath.Join(binDir, "gftp")
		build := exec.Command("go", "build", "-o", gftpBin, "github.com/gftp/gftp/cmd/gftp")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "interop: building gftp: %v\n%s", err, out)
			os.RemoveAll(binDir)
			os.Exit(1)
		}
	}
	code := m.Run()
	lockAccount()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// requireServers skips the test when the servers cannot run here, or fails
// it under CI=true, where the matrix must never be skipped.
func requireServers(t *testing.T) {
	t.Helper()
	if unavailable == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("interop: %s; under CI=true these tests must run: run them as root after testdata/servers/fetch.sh (make test runs it under CI=true)", unavailable)
	}
	t.Skipf("interop: skipped: %s", unavailable)
}

// defaultServersDir mirrors fetch.sh:
// ${GFTP_SERVERS:-${XDG_CACHE_HOME:-$HOME/.cache}/gftp/servers}.
func defaultServersDir() string {
	if d := os.Getenv("GFTP_SERVERS"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	return filepath.Join(cache, "gftp", "servers")
}

// Paths of the unpacked servers, relative to serversDir.
var (
	vsftpdBin  = filepath.Join("vsftpd", "usr", "sbin", "vsftpd")
	pureFTPd   = filepath.Join("pure-ftpd", "usr", "sbin", "pure-ftpd")
	purePw     = filepath.Join("pure-ftpd", "usr", "bin", "pure-pw")
	proftpdBin = filepath.Join("proftpd-core", "usr", "sbin", "proftpd")
)

// checkPrerequisites returns why the servers cannot run here, or "".
func checkPrerequisites() string {
	if os.Geteuid() != 0 {
		return "not root (the servers start as root, and vsftpd logs in a system user the tests create)"
	}
	var missing []string
	for _, p := range []string{vsftpdBin, pureFTPd, purePw, proftpdBin} {
		if fi, err := os.Stat(filepath.Join(serversDir, p)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		missing = []string{fmt.Sprintf("%s in %s", strings.Join(missing, ", "), serversDir)}
	}
	if err := exec.Command(python, "-c", "import pyftpdlib").Run(); err != nil {
		missing = append(missing, python+" with pyftpdlib")
	}
	for _, tool := range []string{"useradd", "usermod", "chpasswd"} {
		if _, err := sbin(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return "missing " + strings.Join(missing, ", ")
	}
	return ""
}

// sbin finds an administration tool even when /usr/sbin is not on PATH.
func sbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// sysUser is the local system user vsftpd logs in (through PAM, which is how
// vsftpd authenticates). pure-ftpd and proftpd use virtual users of their
// own but run their sessions under its uid, so the served files have one
// unprivileged owner everywhere.
const sysUser = "gftptest"

type account struct {
	name, pass string
	uid, gid   int
}

var (
	acctOnce sync.Once
	acct     account
	acctErr  error
	// acctLock is held for the life of the test binary: two concurrent
	// runs would otherwise overwrite each other's password.
	acctLock *os.File
)

// systemAccount creates sysUser if absent (idempotent) and gives it a fresh
// random password for this run; TestMain locks the password again at the
// end, so the account can log in only while the tests run.
func systemAccount() (account, error) {
	acctOnce.Do(func() { acct, acctErr = setupAccount() })
	return acct, acctErr
}

func setupAccount() (account, error) {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "gftp-interop-"+sysUser+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return account{}, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return account{}, fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	acctLock = lock
	u, err := user.Lookup(sysUser)
	if errors.As(err, new(user.UnknownUserError)) {
		// No home folder: vsftpd chroots to its local_root. The home must
		// exist, though (vsftpd changes into it first), so it is "/".
		if err := admin("", "useradd", "--no-create-home", "--home-dir", "/", "--shell", "/usr/sbin/nologin",
			"--comment", "gftp interop tests", sysUser); err != nil {
			return account{}, err
		}
		u, err = user.Lookup(sysUser)
	}
	if err != nil {
		return account{}, fmt.Errorf("user %s: %w", sysUser, err)
	}
	if _, err := os.Stat(u.HomeDir); err != nil {
		// An older account whose home is gone: vsftpd would answer
		// "500 OOPS: cannot change directory".
		if err := admin("", "usermod", "--home", "/", sysUser); err != nil {
			return account{}, err
		}
	}
	b := make([]byte, 12)
	rand.Read(b)
	a := account{name: sysUser, pass: hex.EncodeToString(b)}
	a.uid, _ = strconv.Atoi(u.Uid)
	a.gid, _ = strconv.Atoi(u.Gid)
	if err := admin(a.name+":"+a.pass+"\n", "chpasswd"); err != nil {
		return account{}, err
	}
	return a, nil
}

// lockAccount disables the password systemAccount set, if it set one.
func lockAccount() {
	if acctLock == nil {
		return
	}
	if acctErr == nil {
		if err := admin("", "usermod", "--lock", sysUser); err != nil {
			fmt.Fprintln(os.Stderr, "interop:", err)
		}
	}
	acctLock.Close()
}

// admin runs an administration tool with stdin.
func admin(stdin, name string, args ...string) error {
	p, err := sbin(name)
	if err != nil {
		return err
	}
	cmd := exec.Command(p, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
