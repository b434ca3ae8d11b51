//go:build linux

package interop

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// instance is one running server: one server on one address, reused by the
// passive and the active cell of that address.
type instance struct {
	server     string // "vsftpd", ...
	host       string // "127.0.0.1" or "::1"
	port       int
	root       string // the served folder: what the server shows as "/"
	user, pass string
	uid, gid   int      // owner of the files the server writes; -1: root
	banner     []string // lines of the greeting as gftp prints them
	logs       []string // files shown when a test fails
	// With withTLS: implicit, the server speaks TLS from the first byte
	// (the greeting too); caFile is its certificate, for --tls-ca.
	implicit bool
	caFile   string

	// How launch started it, so that a test can kill it (its whole
	// process group) and start it again on the same port and root.
	pgid int
	argv []string // name, dir, binary, arguments...
}

// banner is the multi-line greeting every server is configured with. The
// first line is long because pyftpdlib sends a multi-line 220 only for
// banners longer than 75 characters.
var bannerLines = []string{
	"Welcome to the gftp interop tests: a real FTP server, run by go test.",
	"Unauthorized use is prohibited.",
}

// A server's port block: blockSize consecutive ports, the first for
// proftpd's active data connections (it connects from its port minus one),
// the second for control, the rest for passive data connections.
const blockSize = 24

var (
	portMu     sync.Mutex
	usedBlocks = map[int]bool{}
)

// portBlock reserves a block of ports that are free on host. Blocks lie
// below Linux's ephemeral range (32768 and up), so the client's own
// listeners and connections never take a server's passive ports.
func portBlock(host string) (int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	const lo, hi = 20000, 32000
next:
	for range 200 {
		base := lo + rand.IntN((hi-lo)/blockSize)*blockSize
		if usedBlocks[base] {
			continue
		}
		for p := base; p < base+blockSize; p++ {
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
			if err != nil {
				continue next
			}
			ln.Close()
		}
		usedBlocks[base] = true
		return base, nil
	}
	return 0, fmt.Errorf("no block of %d free ports on %s between %d and %d", blockSize, host, lo, hi)
}

// publicDir is a temporary folder that other users can traverse: proftpd
// resolves the home of its user, and reads its banner, after dropping root.
// The folder that t.TempDir makes for each test is 0700, so it is opened up
// too.
func publicDir(t *testing.T) string {
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// setup is what every server's start needs: a config folder, the served
// root owned by uid:gid, the banner file, and a port block.
type setup struct {
	Dir, Root, Banner, Log string
	Host                   string
	IPv6                   bool
	Port                   int
	PassiveLo, PassiveHi   int
	User                   string
	// Set by serverOptions; zero: the server's default.
	Rate     int // bytes per second each transfer may move
	MaxPerIP int // control connections from one address
	// pyftpdlib only: with the fix of its stale active-mode fd (see
	// pyftpdlibFdFix).
	FdFix bool
	// With withTLS: TLS required for the login and for data (and TLS
	// session reuse on data connections, where the server has the
	// knob), from the first byte when Implicit; Cert and Key are the PEM
	// files of the server's certificate (serverCert) in Dir.
	TLS, Implicit bool
	Cert, Key     string
	// proftpd only: the folder of its DSO modules (mod_tls.so, from
	// proftpd-mod-crypto).
	ModulePath string
	// iis-style only: the zone its LIST times are in (TZ syntax); ""
	// is UTC.
	Zone string
}

// RateKB is Rate in the KiB per second that pure-ftpd and proftpd take.
func (s *setup) RateKB() int { return max(1, s.Rate/1024) }

// serverOption changes a server's configuration, for the fault tests.
type serverOption func(*setup)

// throttled caps the rate of each transfer at bytesPerSec (pyftpdlib:
// uploads only).
func throttled(bytesPerSec int) serverOption { return func(s *setup) { s.Rate = bytesPerSec } }

// maxPerIP caps the control connections from one address (not proftpd,
// which refuses the extra ones at login, with a permanent 530).
func maxPerIP(n int) serverOption { return func(s *setup) { s.MaxPerIP = n } }

// pyftpdlibFdFix mends a bug of pyftpdlib 1.5.7 (Debian's) that several
// control connections doing active-mode transfers at once run into (the
// parallel tests): once an ActiveDTP has connected, it hands its socket
// over to the DTPHandler but keeps the fd number, and its close() later,
// at the session's next PORT or EPRT, unregisters that number from the
// IO loop, although by then it may be another session's new socket (an
// ActiveDTP still connecting, an accepted control connection). That
// socket's events are never seen again: its EPRT or its login gets no
// reply, and the client times out. The fix forgets the fd once the
// socket is handed over, as pyftpdlib pull request #657 does.
func pyftpdlibFdFix() serverOption { return func(s *setup) { s.FdFix = true } }

// listZone makes iis-style list times in the zone tz (a POSIX TZ
// string, which needs no zone database), as IIS lists in its machine's
// local time.
func listZone(tz string) serverOption { return func(s *setup) { s.Zone = tz } }

// withTLS makes the server require TLS (FTPS, RFC 4217) for the login and
// for data connections, and require data connections to resume the
// control connection's TLS session where it can (vsftpd's
// require_ssl_reuse, proftpd's default): explicit (AUTH TLS), or implicit
// (TLS from the first byte: vsftpd and proftpd only). Its certificate is
// instance.caFile.
func withTLS(implicit bool) serverOption {
	return func(s *setup) { s.TLS, s.Implicit = true, implicit }
}

var (
	certOnce        sync.Once
	certPEM, keyPEM []byte
	certErr         error
)

// serverCert is the certificate every TLS server of the run presents,
// made once: self-signed, ECDSA P-256, for 127.0.0.1, ::1 and localhost.
// gftp trusts it with --tls-ca.
func serverCert() (cert, key []byte, err error) {
	certOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
		if err != nil {
			certErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(time.Now().UnixNano()),
			Subject:               pkix.Name{CommonName: "gftp interop", Organization: []string{"gftp interop tests"}},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
			DNSNames:              []string{"localhost"},
		}
		der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			certErr = err
			return
		}
		pk, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			certErr = err
			return
		}
		certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})
	})
	return certPEM, keyPEM, certErr
}

func newSetup(t *testing.T, host string, uid, gid int, log string, opts []serverOption) (*setup, error) {
	dir := publicDir(t)
	s := &setup{Dir: dir, Root: filepath.Join(dir, "root"), Banner: filepath.Join(dir, "banner"),
		Log: filepath.Join(dir, log), Host: host, IPv6: strings.Contains(host, ":")}
	for _, o := range opts {
		o(s)
	}
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		return nil, err
	}
	if uid >= 0 {
		if err := os.Chown(s.Root, uid, gid); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(s.Banner, []byte(strings.Join(bannerLines, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	if s.TLS {
		cert, key, err := serverCert()
		if err != nil {
			return nil, fmt.Errorf("the server's certificate: %w", err)
		}
		s.Cert, s.Key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		if err := os.WriteFile(s.Cert, cert, 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(s.Key, key, 0o600); err != nil {
			return nil, err
		}
	}
	base, err := portBlock(host)
	if err != nil {
		return nil, err
	}
	s.Port, s.PassiveLo, s.PassiveHi = base+1, base+2, base+blockSize-1
	return s, nil
}

func (s *setup) instance(server, user, pass string, uid, gid int, banner []string, logs ...string) *instance {
	return &instance{server: server, host: s.Host, port: s.Port, root: s.Root, user: user, pass: pass,
		uid: uid, gid: gid, banner: banner, logs: append([]string{s.Log}, logs...),
		implicit: s.Implicit, caFile: s.Cert}
}

// writeTemplate renders testdata/name into dir.
func writeTemplate(dir, name string, data any) (string, error) {
	tmpl, err := template.ParseFiles(filepath.Join("testdata", name+".tmpl"))
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, b.Bytes(), 0o600)
}

// startVsftpd runs vsftpd with our config file as its argument, logging in
// the system user (vsftpd only knows local users, through PAM).
func startVsftpd(t *testing.T, host string, opts ...serverOption) (*instance, error) {
	a, err := systemAccount()
	if err != nil {
		return nil, err
	}
	s, err := newSetup(t, host, a.uid, a.gid, "vsftpd.log", opts)
	if err != nil {
		return nil, err
	}
	s.User = a.name
	// The chroot vsftpd's unprivileged processes use: it must exist and
	// not be writable by the user.
	empty := filepath.Join(s.Dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		return nil, err
	}
	conf, err := writeTemplate(s.Dir, "vsftpd.conf", struct {
		*setup
		Empty string
	}{s, empty})
	if err != nil {
		return nil, err
	}
	// banner_file lines are all sent as 220- lines; a bare "220 " ends.
	banner := []string{"220-" + bannerLines[0], "220-" + bannerLines[1]}
	inst := s.instance("vsftpd", a.name, a.pass, a.uid, a.gid, banner, conf)
	return inst, launch(t, inst, "vsftpd", s.Dir, filepath.Join(serversDir, vsftpdBin), conf)
}

// virtualPass is the password of pure-ftpd's and proftpd's virtual user,
// and virtualHash its SHA-512 crypt (openssl passwd -6 -salt gftpinterop).
// The hash is written directly: `pure-pw useradd` stores argon2id with
// t=1023, which makes each login take about four seconds.
const (
	virtualUser = "gftp"
	virtualPass = "Gftp-test-pw1"
	virtualHash = "$6$gftpinterop$GA5STGC/CeAfIEryxY3uZyFXdO/xSbOPsQwE3Aszrg592Fjb37uWYGdui4LU.0kPlvL.ZR3rLjpuBiXaW6iFn0"
)

// startPureFTPd runs pure-ftpd (standalone and in the foreground unless -B
// is given) with a virtual user in a puredb file built by pure-pw.
func startPureFTPd(t *testing.T, host string, opts ...serverOption) (*instance, error) {
	a, err := systemAccount()
	if err != nil {
		return nil, err
	}
	s, err := newSetup(t, host, a.uid, a.gid, "pure-ftpd.out", opts)
	if err != nil {
		return nil, err
	}
	// A home ending in "/./" chroots the user there.
	passwd := filepath.Join(s.Dir, "pureftpd.passwd")
	line := fmt.Sprintf("%s:%s:%d:%d::%s/./::::::::::::\n", virtualUser, virtualHash, a.uid, a.gid, s.Root)
	if err := os.WriteFile(passwd, []byte(line), 0o600); err != nil {
		return nil, err
	}
	pdb := filepath.Join(s.Dir, "pureftpd.pdb")
	if out, err := exec.Command(filepath.Join(serversDir, purePw), "mkdb", pdb, "-f", passwd).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pure-pw mkdb: %v: %s", err, out)
	}
	// pure-ftpd logs only to syslog, which is absent here; the transfer
	// log (-O) and its stdout and stderr are what there is to show.
	xfer := filepath.Join(s.Dir, "transfers.log")
	args := []string{
		"-S", s.Host + "," + strconv.Itoa(s.Port), // only this address
		"-l", "puredb:" + pdb,
		"-p", fmt.Sprintf("%d:%d", s.PassiveLo, s.PassiveHi),
		"-F", s.Banner, // the "fortunes" file: shown as the greeting
		"-E",                                        // no anonymous logins
		"-A",                                        // chroot everyone
		"-H",                                        // no reverse DNS
		"-g", filepath.Join(s.Dir, "pure-ftpd.pid"), // not /var/run
		"-O", "clf:" + xfer,
	}
	if s.Rate > 0 {
		args = append(args, "-T", strconv.Itoa(s.RateKB())) // KiB/s, both ways
	}
	if s.MaxPerIP > 0 {
		args = append(args, "-C", strconv.Itoa(s.MaxPerIP))
	}
	if s.TLS {
		if s.Implicit {
			// Implicit TLS is a build option of pure-ftpd
			// (--with-implicittls), which Debian's lacks.
			return nil, fmt.Errorf("pure-ftpd: no implicit TLS in this build")
		}
		// -Y 3: TLS required on the control connection and on data
		// connections (a PROT C is refused). pure-ftpd has no knob
		// for requiring TLS session reuse.
		args = append(args, "-Y", "3", "-2", s.Cert+","+s.Key)
	}
	banner := []string{"220-" + bannerLines[0], "220-" + bannerLines[1]}
	inst := s.instance("pure-ftpd", virtualUser, virtualPass, a.uid, a.gid, banner, xfer)
	return inst, launch(t, inst, "pure-ftpd", s.Dir, filepath.Join(serversDir, pureFTPd), args...)
}

// startProFTPD runs proftpd -n (no daemon) -c our config, with a virtual
// user from AuthUserFile.
func startProFTPD(t *testing.T, host string, opts ...serverOption) (*instance, error) {
	a, err := systemAccount()
	if err != nil {
		return nil, err
	}
	s, err := newSetup(t, host, a.uid, a.gid, "proftpd.log", opts)
	if err != nil {
		return nil, err
	}
	files := map[string]string{
		"passwd": fmt.Sprintf("%s:%s:%d:%d::%s:/usr/sbin/nologin\n", virtualUser, virtualHash, a.uid, a.gid, s.Root),
		"group":  fmt.Sprintf("%s:x:%d:\n", virtualUser, a.gid),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(content), 0o600); err != nil {
			return nil, err
		}
	}
	var logs []string
	if s.TLS {
		// mod_tls is a DSO, from proftpd-mod-crypto, which fetch.sh
		// unpacks into proftpd-core's folder.
		s.ModulePath = filepath.Join(serversDir, filepath.Dir(filepath.Dir(proftpdBin)), "lib", "proftpd")
		logs = append(logs, filepath.Join(s.Dir, "tls.log"))
	}
	conf, err := writeTemplate(s.Dir, "proftpd.conf", s)
	if err != nil {
		return nil, err
	}
	// DisplayConnect: the first line is a 220- line, the others are
	// continuation lines that proftpd starts with a space.
	banner := []string{"220-" + bannerLines[0], " " + bannerLines[1]}
	logs = append(logs, filepath.Join(s.Dir, "commands.log"), conf)
	inst := s.instance("proftpd", virtualUser, virtualPass, a.uid, a.gid, banner, logs...)
	return inst, launch(t, inst, "proftpd", s.Dir, filepath.Join(serversDir, proftpdBin), "-n", "-c", conf)
}

// pyftpdlibServer is the whole pyftpdlib server: one DummyAuthorizer user.
// With a style file (the iis-style server: testdata/iisstyle.py), the
// handler class is the one that file's iis_handler makes of it.
const pyftpdlibServer = `
import logging, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, ThrottledDTPHandler
from pyftpdlib.servers import FTPServer

host, port, root, user, password, lo, hi, log, banner, rate, per_ip, fd_fix, certfile, keyfile, style, tz = sys.argv[1:]
logging.basicConfig(filename=log, level=logging.DEBUG, format="%(asctime)s %(message)s")
auth = DummyAuthorizer()
auth.add_user(user, password, root, perm="elradfmwMT")
handler = FTPHandler
if certfile:
    # FTPS (python3-openssl): TLS required for the login and for data.
    # TLS_FTPHandler has its own dtp_handler (TLS_DTPHandler).
    if int(rate):
        sys.exit("a throttled TLS server is not supported")
    from pyftpdlib.handlers import TLS_FTPHandler
    handler = TLS_FTPHandler
    handler.certfile, handler.keyfile = certfile, keyfile
    handler.tls_control_required = True
    handler.tls_data_required = True
if style:
    # Loaded from its path; no __pycache__ left in testdata.
    import importlib.util
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("style", style)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    handler = mod.iis_handler(handler, tz)
handler.authorizer = auth
handler.passive_ports = range(int(lo), int(hi) + 1)
handler.banner = banner
if int(rate):
    ThrottledDTPHandler.read_limit = int(rate)
    FTPHandler.dtp_handler = ThrottledDTPHandler
if int(per_ip):
    FTPServer.max_cons_per_ip = int(per_ip)
if fd_fix == "true":
    from pyftpdlib.handlers import ActiveDTP
    connected = ActiveDTP.handle_connect
    def handle_connect(self):
        connected(self)
        self._fileno = None
    ActiveDTP.handle_connect = handle_connect
FTPServer((host, int(port)), handler).serve_forever()
`

// startPyftpdlib runs the script above with Debian's python3. It runs as
// root, so the files it writes belong to root.
func startPyftpdlib(t *testing.T, host string, opts ...serverOption) (*instance, error) {
	return startPyftpdlibAs(t, "pyftpdlib", "", host, opts)
}

// startIISStyle runs pyftpdlib as a Windows server: IIS 7+ in its default
// MS-DOS listing style, with no MLSD or MLST (testdata/iisstyle.py says
// what else), the server gftp meets on Windows hosts, where it has only
// LIST's MS-DOS lines to walk trees and compare times by. The server's
// local time, which IIS lists in, is UTC, as gftp takes LIST dates to be.
func startIISStyle(t *testing.T, host string, opts ...serverOption) (*instance, error) {
	style, err := filepath.Abs(filepath.Join("testdata", "iisstyle.py"))
	if err != nil {
		return nil, fmt.Errorf("iis-style: %w", err)
	}
	return startPyftpdlibAs(t, "iis-style", style, host, opts)
}

// pyftpdlibBased says whether the server is pyftpdlib underneath
// (pyftpdlib itself or iis-style), with its quirks and its log.
func pyftpdlibBased(server string) bool { return server == "pyftpdlib" || server == "iis-style" }

// startPyftpdlibAs runs the script above as the server name, with its
// handler made by the style file when there is one.
func startPyftpdlibAs(t *testing.T, name, style, host string, opts []serverOption) (*instance, error) {
	s, err := newSetup(t, host, -1, -1, name+".log", opts)
	if err != nil {
		return nil, err
	}
	if s.Implicit {
		return nil, fmt.Errorf("%s: no implicit TLS", name)
	}
	// A banner longer than 75 characters is sent as "220-" + banner (whose
	// own CR LF make the other lines) and a bare "220 ".
	banner := []string{"220-" + bannerLines[0], bannerLines[1]}
	inst := s.instance(name, virtualUser, virtualPass, -1, -1, banner)
	return inst, launch(t, inst, name, s.Dir, python, "-c", pyftpdlibServer,
		s.Host, strconv.Itoa(s.Port), s.Root, virtualUser, virtualPass,
		strconv.Itoa(s.PassiveLo), strconv.Itoa(s.PassiveHi), s.Log, strings.Join(bannerLines, "\r\n"),
		strconv.Itoa(s.Rate), strconv.Itoa(s.MaxPerIP), strconv.FormatBool(s.FdFix), s.Cert, s.Key,
		style, cmp.Or(s.Zone, "UTC"))
}

// launch starts a server from its folder with stdout and stderr in
// dir/NAME.out, stops it (and its session processes) when t ends, and waits
// until it greets with a 220.
func launch(t *testing.T, inst *instance, name, dir, bin string, args ...string) error {
	outPath := filepath.Join(dir, name+".out")
	// Appended to: a restarted server (relaunch) keeps the first one's.
	out, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	if !slices.Contains(inst.logs, outPath) {
		inst.logs = append(inst.logs, outPath)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = serverFolder(bin)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + dir, "LANG=C.UTF-8"}
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so the cleanup reaches the per-session
	// processes that vsftpd, pure-ftpd and proftpd fork.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); out.Close() }()
	pgid := cmd.Process.Pid
	inst.pgid, inst.argv = pgid, append([]string{name, dir, bin}, args...)
	t.Cleanup(func() {
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-done
		}
	})
	addr := net.JoinHostPort(inst.host, strconv.Itoa(inst.port))
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("%s exited before it listened on %s: %v\n%s", name, addr, err, inst.logTails())
		default:
		}
		err := greet(addr, inst.implicit)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s never greeted on %s: %v\n%s", name, addr, err, inst.logTails())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverFolder is the folder fetch.sh unpacked a server binary into
// (SERVERS/pkg for SERVERS/pkg/usr/sbin/x); "/" for python.
func serverFolder(bin string) string {
	if rel, err := filepath.Rel(serversDir, bin); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.Join(serversDir, strings.SplitN(rel, string(filepath.Separator), 2)[0])
	}
	return "/"
}

// greet reads the server's greeting and says QUIT; over TLS when the
// server is implicit (its certificate is not checked: this only waits for
// the server to be up).
func greet(addr string, implicit bool) error {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	c := nc
	if implicit {
		c = tls.Client(nc, &tls.Config{InsecureSkipVerify: true})
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if len(line) >= 4 && line[3] == ' ' && line[0] >= '1' && line[0] <= '5' {
			if !strings.HasPrefix(line, "220 ") {
				return fmt.Errorf("greeting: %q", strings.TrimSpace(line))
			}
			fmt.Fprintf(c, "QUIT\r\n")
			return nil
		}
	}
}

// logTails is the end of each of the server's logs (and config files).
func (inst *instance) logTails() string {
	var b strings.Builder
	for _, path := range inst.logs {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(&b, "--- %s: %v\n", path, err)
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		const keep = 150
		if len(lines) > keep {
			fmt.Fprintf(&b, "--- %s (last %d of %d lines)\n", path, keep, len(lines))
			lines = lines[len(lines)-keep:]
		} else {
			fmt.Fprintf(&b, "--- %s\n", path)
		}
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return b.String()
}
