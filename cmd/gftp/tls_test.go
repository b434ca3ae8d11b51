package main

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/session"
	"github.com/gftp/gftp/internal/testserver"
)

// FTPS against the embedded server set up as a strict one: TLS required
// for the login and for data, and data connections must resume the
// control connection's TLS session (vsftpd's require_ssl_reuse).

type tlsSrv struct {
	*testserver.Server
	caFile      string // the server's certificate, PEM
	fingerprint string // as gftp prints it
}

func startTLSServer(t *testing.T, mode testserver.TLSMode, maxVersion uint16) tlsSrv {
	t.Helper()
	cert, pem, sum, err := testserver.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, testserver.Options{TLS: testserver.TLSOptions{
		Mode: mode, Cert: cert, Required: true, RequireReuse: true, MaxVersion: maxVersion,
	}})
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return tlsSrv{srv, ca, session.Fingerprint(sum[:])}
}

// The whole job over explicit TLS, in each data mode and TLS version: put,
// ls, get, mget -P 3; the server saw AUTH TLS first, the password only
// after it, and PBSZ 0 and PROT P before the first transfer; status says
// what is protected.
func TestTLSExplicit(t *testing.T) {
	for _, version := range []string{"1.2", "1.3"} {
		for _, mode := range []string{"passive", "active"} {
			t.Run(version+"/"+mode, func(t *testing.T) {
				max := map[string]uint16{"1.2": tls.VersionTLS12, "1.3": 0}[version]
				srv := startTLSServer(t, testserver.ExplicitTLS, max)
				local := t.TempDir()
				files := someFiles(t, local, 5, 100<<10)
				if err := os.WriteFile(filepath.Join(local, "empty"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
				down := t.TempDir()
				script := login(srv.Server) + "lcd " + local + "\nput f00.bin\nput empty\nmput f0*.bin\nls\nstatus\nlcd " + down + "\nget empty\nmget -P 3 f*.bin\n"
				code, stdout, stderr := runGftp(t, script, "-inv", "--mode", mode, "--tls", "explicit", "--tls-ca", srv.caFile, "--tls-max-version", version)
				if code != 0 {
					t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
				}
				sameFiles(t, down, files)
				if fi, err := os.Stat(filepath.Join(down, "empty")); err != nil || fi.Size() != 0 {
					t.Errorf("the empty file: %v", err)
				}
				want := regexp.MustCompile(`TLS: TLS ` + regexp.QuoteMeta(version) + `, TLS_\w+; data connections protected \(PROT P\)\.`)
				if !want.MatchString(stdout) {
					t.Errorf("status does not show TLS %s with protected data:\n%s", version, stdout)
				}
				cmds := srv.Commands()
				auth, user := slices.Index(cmds, "AUTH TLS"), slices.Index(cmds, "USER ftpuser")
				prot, stor := slices.Index(cmds, "PROT P"), slices.Index(cmds, "STOR f00.bin")
				if auth != 0 || user < auth || prot < user || stor < prot {
					t.Errorf("commands in the wrong order (AUTH %d, USER %d, PROT %d, STOR %d): %q", auth, user, prot, stor, cmds)
				}
				if n := count(cmds, "AUTH TLS"); n != 3 {
					t.Errorf("%d AUTH TLS, want 3 (the main link and two more for mget -P 3)", n)
				}
			})
		}
	}
}

// Implicit TLS, named by an ftps:// host.
func TestTLSImplicit(t *testing.T) {
	srv := startTLSServer(t, testserver.ImplicitTLS, 0)
	os.WriteFile(filepath.Join(srv.Root(), "a.txt"), []byte("over implicit TLS\n"), 0o644)
	down := t.TempDir()
	script := fmt.Sprintf("open ftps://%s %d\nuser ftpuser secret\nlcd %s\nget a.txt\nstatus\n", srv.Host(), srv.Port(), down)
	code, stdout, stderr := runGftp(t, script, "-inv", "--tls-ca", srv.caFile)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(down, "a.txt")); string(b) != "over implicit TLS\n" {
		t.Errorf("a.txt: %q", b)
	}
	if !strings.Contains(stdout, "data connections protected (PROT P)") {
		t.Errorf("status:\n%s", stdout)
	}
	if cmds := srv.Commands(); slices.Contains(cmds, "AUTH TLS") {
		t.Errorf("AUTH TLS on an implicit connection: %q", cmds)
	}
}

// --tls explicit against a server that refuses AUTH: exit 4, a clear
// message, and neither the user name nor the password was sent.
func TestTLSRefusedSendsNoPassword(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	code, _, stderr := runGftp(t, login(srv)+"ls\n", "-in", "--tls", "explicit")
	if code != exitLogin {
		t.Errorf("exit %d, want %d", code, exitLogin)
	}
	if !strings.Contains(stderr, "login failed: the server refused TLS (502 TLS is not configured.); the password was not sent") {
		t.Errorf("stderr:\n%s", stderr)
	}
	for _, c := range srv.Commands() {
		if strings.HasPrefix(c, "USER") || strings.HasPrefix(c, "PASS") {
			t.Errorf("%q sent after the refusal: %q", c, srv.Commands())
		}
	}
}

// A self-signed certificate in a script: the run fails (exit 4) naming
// the fingerprint and how to trust it; trusting that fingerprint works;
// another fingerprint fails loudly.
func TestTLSUntrustedCertificate(t *testing.T) {
	srv := startTLSServer(t, testserver.ExplicitTLS, 0)
	code, _, stderr := runGftp(t, login(srv.Server)+"ls\n", "-in", "--tls", "explicit")
	if code != exitLogin {
		t.Errorf("exit %d, want %d", code, exitLogin)
	}
	want := "is not trusted (it is signed by an unknown authority, or by itself); its fingerprint is " + srv.fingerprint +
		"; if you trust it, pass --tls-fingerprint " + srv.fingerprint
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
	if slices.Contains(srv.Commands(), "USER ftpuser") {
		t.Error("logged in over an untrusted connection")
	}

	code, _, stderr = runGftp(t, login(srv.Server)+"ls\n", "-in", "--tls", "explicit", "--tls-fingerprint", srv.fingerprint)
	if code != 0 {
		t.Errorf("with the fingerprint: exit %d; stderr:\n%s", code, stderr)
	}

	other := session.Fingerprint(make([]byte, 32))
	code, _, stderr = runGftp(t, login(srv.Server)+"ls\n", "-in", "--tls", "explicit", "--tls-fingerprint", other)
	if code != exitLogin || !strings.Contains(stderr, "is NOT the one you trust: its fingerprint is "+srv.fingerprint) {
		t.Errorf("another fingerprint: exit %d; stderr:\n%s", code, stderr)
	}
}

// --tls auto: TLS where the server offers it, plaintext with a warning
// where it does not.
func TestTLSAuto(t *testing.T) {
	srv := startTLSServer(t, testserver.ExplicitTLS, 0)
	someFiles(t, srv.Root(), 3, 10)
	code, stdout, stderr := runGftp(t, login(srv.Server)+"status\nlcd "+t.TempDir()+"\nmget -P 3 f*\n", "-inv", "--tls", "auto", "--tls-ca", srv.caFile)
	if code != 0 || !strings.Contains(stdout, "data connections protected") {
		t.Errorf("auto with a TLS server: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n, m := count(srv.Commands(), "FEAT"), count(srv.Commands(), "AUTH TLS"); m != 3 || n > 2 {
		t.Errorf("%d FEAT and %d AUTH TLS for three links: only the main link asks whether TLS is offered", n, m)
	}
	plain := startServer(t, testserver.Options{})
	someFiles(t, plain.Root(), 3, 10)
	code, stdout, stderr = runGftp(t, login(plain)+"status\nlcd "+t.TempDir()+"\nmget -P 3 f*\n", "-inv", "--tls", "auto")
	if code != 0 || strings.Count(stderr, "does not offer TLS (no AUTH TLS in its FEAT); going on in plaintext") != 1 ||
		!strings.Contains(stdout, "TLS: none; the connection, password included, is in plaintext.") {
		t.Errorf("auto with a plaintext server: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// The extra links follow the main link's finding: no FEAT of their
	// own to ask, no AUTH TLS.
	if n, m := count(plain.Commands(), "FEAT"), count(plain.Commands(), "AUTH TLS"); m != 0 || n > 2 {
		t.Errorf("%d FEAT and %d AUTH TLS for three links on a plaintext server; want the main link's FEAT alone", n, m)
	}
}

// PROT C on request: the login is protected, the data is not (a server
// that requires TLS for data refuses the transfer, which shows it).
func TestTLSClearData(t *testing.T) {
	srv := startTLSServer(t, testserver.ExplicitTLS, 0)
	code, _, stderr := runGftp(t, login(srv.Server)+"ls\n", "-in", "--tls", "explicit", "--tls-ca", srv.caFile, "--tls-data", "clear")
	if code != exitRefused || !strings.Contains(stderr, "521 Data connections must be protected") {
		t.Errorf("exit %d; stderr:\n%s", code, stderr)
	}
	if !slices.Contains(srv.Commands(), "PROT C") {
		t.Errorf("no PROT C: %q", srv.Commands())
	}
}

func TestTLSFlagsChecked(t *testing.T) {
	for _, tc := range []struct{ args, msg string }{
		{"--tls maybe", `tls: unknown TLS mode "maybe"`},
		{"--tls-data secret", `tls-data: "secret": want private or clear`},
		{"--tls-max-version 1.1", `tls-max-version: "1.1": want 1.2 or 1.3`},
		{"--tls-fingerprint abc", `tls-fingerprint: "abc" is not a SHA-256 fingerprint`},
	} {
		code, _, stderr := runGftp(t, "", append([]string{"-in"}, strings.Fields(tc.args)...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%s: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}

// gftp trust stores the certificate's fingerprint for host and port (a
// 0600 file in the state directory); scripts then connect without a
// flag; a certificate that changes later fails loudly, naming both.
func TestTLSTrustSubcommand(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	srv := startTLSServer(t, testserver.ExplicitTLS, 0)
	port := fmt.Sprint(srv.Port())
	code, stdout, stderr := runGftp(t, "", "trust", srv.Host(), port)
	if code != 0 || !strings.Contains(stdout, "Fingerprint: "+srv.fingerprint) || !strings.Contains(stdout, "Subject: CN=gftp test server") {
		t.Fatalf("trust: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	file := filepath.Join(state, "gftp", "known_hosts")
	b, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(b), srv.Host()+":"+port+" "+srv.fingerprint+"\n") {
		t.Fatalf("%s: %v\n%s", file, err, b)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", file, fi.Mode().Perm())
	}
	if slices.Contains(srv.Commands(), "USER ftpuser") {
		t.Error("trust logged in")
	}

	code, _, stderr = runGftp(t, login(srv.Server)+"ls\n", "-in", "--tls", "explicit")
	if code != 0 {
		t.Fatalf("a script after trust: exit %d; stderr:\n%s", code, stderr)
	}

	other := session.Fingerprint(make([]byte, 32))
	if err := os.WriteFile(file, []byte(srv.Host()+":"+port+" "+other+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runGftp(t, login(srv.Server)+"ls\n", "-in", "--tls", "explicit")
	want := "has CHANGED since you trusted it (it was " + other + ", it is " + srv.fingerprint + ")"
	if code != exitLogin || !strings.Contains(stderr, want) {
		t.Errorf("a changed certificate: exit %d; stderr:\n%s", code, stderr)
	}
}

// probe over TLS: every way of opening a data connection is tried with
// TLS on it, and the report says the connection is protected.
func TestTLSProbe(t *testing.T) {
	srv := startTLSServer(t, testserver.ExplicitTLS, 0)
	t.Setenv("GFTP_PASSWORD", "secret")
	code, stdout, stderr := runGftp(t, "", "probe", "--tls", "explicit", "--tls-ca", srv.caFile, "--user", "ftpuser", srv.Host(), fmt.Sprint(srv.Port()))
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s\nstdout:\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"data connections protected (PROT P)", "EPSV (passive)", "EPRT (active)", "Recommended: passive mode"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "works"); n != 4 {
		t.Errorf("%d of 4 ways work:\n%s", n, stdout)
	}
}

// A bookmark's tls and tls-fingerprint apply to its connection only; a
// bad value in one is a clear config error.
func TestTLSBookmark(t *testing.T) {
	srv := startTLSServer(t, testserver.ExplicitTLS, 0)
	cfgDir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgDir)
	write := func(body string) {
		os.MkdirAll(filepath.Join(cfgDir, "gftp"), 0o755)
		if err := os.WriteFile(filepath.Join(cfgDir, "gftp", "config.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf("hosts:\n  safe: {host: %s, port: %d, tls: explicit, tls-fingerprint: %q}\n", srv.Host(), srv.Port(), srv.fingerprint))
	code, stdout, stderr := runGftp(t, "open safe\nuser ftpuser secret\nstatus\nclose\n"+login(srv.Server)+"status\n", "-inv")
	if code != exitLogin || !strings.Contains(stdout, "data connections protected (PROT P)") {
		t.Errorf("exit %d (want %d: the second open, without the bookmark, is plaintext and refused)\nstdout:\n%s\nstderr:\n%s", code, exitLogin, stdout, stderr)
	}
	if n := count(srv.Commands(), "AUTH TLS"); n != 1 {
		t.Errorf("%d AUTH TLS, want 1: the bookmark's TLS leaked into the next open", n)
	}
	write("hosts:\n  bad: {host: h, tls: sometimes}\n")
	if code, _, stderr := runGftp(t, "", "-in"); code != exitUsage || !strings.Contains(stderr, `hosts.bad: unknown TLS mode "sometimes"`) {
		t.Errorf("bad tls in a bookmark: exit %d, stderr %q", code, stderr)
	}
}
