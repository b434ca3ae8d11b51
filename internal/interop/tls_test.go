//go:build linux

package interop

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The TLS tests: FTPS (RFC 4217) against the real servers, each set up to
// require TLS for the login and for data connections, and to require data
// connections to resume the control connection's TLS session where it can
// (vsftpd's require_ssl_reuse, proftpd's default; pure-ftpd and pyftpdlib,
// iis-style too, have no such requirement). See withTLS.

// tlsVersions are the versions the cells ask for, with --tls-max-version,
// and how status names them.
var tlsVersions = []struct{ name, flag, status string }{
	{"tls1.2", "1.2", "TLS 1.2"},
	{"tls1.3", "1.3", "TLS 1.3"},
}

// tlsVariant is explicit (AUTH TLS) or implicit TLS (from the first byte).
type tlsVariant struct {
	name     string
	implicit bool
}

// tlsVariants are the variants each server is run with: implicit where
// the server has it (vsftpd's implicit_ssl, proftpd's TLSOptions
// UseImplicitSSL; not pure-ftpd, where it is a build option Debian's
// lacks, nor pyftpdlib and iis-style).
func tlsVariants(server string) []tlsVariant {
	v := []tlsVariant{{"explicit", false}}
	if server == "vsftpd" || server == "proftpd" {
		v = append(v, tlsVariant{"implicit", true})
	}
	return v
}

// tlsCell is a cell over TLS: explicit cells pass --tls explicit, implicit
// ones open an ftps:// host (what a user writes; the instance is copied so
// that cell.gftp's open line names it). Both trust the server's
// certificate with --tls-ca and cap the version with --tls-max-version.
func tlsCell(inst *instance, mode struct{ name, flag string }, version string, extra ...string) *cell {
	args := []string{"--tls-ca", inst.caFile, "--tls-max-version", version}
	if inst.implicit {
		ic := *inst
		ic.host = "ftps://" + inst.host
		inst = &ic
	} else {
		args = append(args, "--tls", "explicit")
	}
	return &cell{inst: inst, mode: mode.name, flag: mode.flag, extra: append(args, extra...)}
}

// TestTLSInterop is the TLS matrix: server × explicit (and implicit, for
// vsftpd and proftpd) × mode × address × TLS version. Each (server,
// variant) runs in parallel with the others, on two instances (one per
// address) that its cells share one after the other, each cell from an
// empty served root. Where TLS is explicit, two checks first prove that
// the server really requires it: on the login, and on data connections.
func TestTLSInterop(t *testing.T) {
	requireServers(t)
	for _, kind := range serverKinds {
		for _, v := range tlsVariants(kind.name) {
			t.Run(kind.name+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				insts := map[string]*instance{}
				errs := map[string]error{}
				for _, af := range addrFamilies {
					if af.name == "ipv6" && !haveIPv6() {
						continue
					}
					insts[af.name], errs[af.name] = kind.start(t, af.host, withTLS(v.implicit))
				}
				get := func(t *testing.T, af string) *instance {
					t.Helper()
					if err := errs[af]; err != nil {
						t.Fatalf("%s with TLS on %s did not start: %v", kind.name, af, err)
					}
					inst := insts[af]
					if inst == nil {
						t.Skip("this host has no IPv6 loopback (::1)")
					}
					return inst
				}
				if !v.implicit {
					t.Run("plaintext-refused", func(t *testing.T) {
						for _, af := range addrFamilies {
							t.Run(af.name, func(t *testing.T) { plaintextRefused(t, get(t, af.name)) })
						}
					})
					t.Run("clear-data-refused", func(t *testing.T) { clearDataRefused(t, get(t, "ipv4")) })
				}
				for _, mode := range modes {
					t.Run(mode.name, func(t *testing.T) {
						for _, af := range addrFamilies {
							t.Run(af.name, func(t *testing.T) {
								inst := get(t, af.name)
								for _, version := range tlsVersions {
									t.Run(version.name, func(t *testing.T) {
										tlsCell(inst, mode, version.flag).tlsRoundTrip(t, version.status)
									})
								}
							})
						}
					})
				}
			})
		}
	}
}

// tlsRoundTrip puts files of 0 B, 1 B and 10 MiB, lists them, shows
// status, and gets them back into another folder, in one gftp run; the
// files must be whole on the server's disk and back here, and status must
// show the TLS version wanted with protected data connections.
func (c *cell) tlsRoundTrip(t *testing.T, version string) {
	c.clearRoot(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s logs:\n%s", c.inst.server, c.inst.logTails())
		}
	})
	c.serverDir(t, "tls")
	local, back := t.TempDir(), t.TempDir()
	files := []struct {
		name string
		data []byte
	}{
		{"empty.bin", nil},
		{"one.bin", randomBytes(1)},
		{"big.bin", randomBytes(10 << 20)},
	}
	var script strings.Builder
	script.WriteString("binary\ncd tls\n")
	for _, f := range files {
		writeFile(t, filepath.Join(local, f.name), f.data)
		fmt.Fprintf(&script, "put %s\n", f.name)
	}
	fmt.Fprintf(&script, "ls\nstatus\nlcd %s\n", quote(back))
	for _, f := range files {
		fmt.Fprintf(&script, "get %s\n", f.name)
	}
	r := c.gftp(t, local, script.String())
	r.ok(t, true)
	r.stdoutHas(t, `^TLS: `+regexp.QuoteMeta(version)+`, TLS_\w+; data connections protected \(PROT P\)\.$`)
	for _, f := range files {
		r.stdoutHas(t, fmt.Sprintf(`^%d bytes sent in `, len(f.data)))
		r.stdoutHas(t, fmt.Sprintf(`^%d bytes received in `, len(f.data)))
		r.stdoutHas(t, listLine(c.inst.server, f.name, int64(len(f.data)))) // its ls line
		c.wantServerFile(t, "tls/"+f.name, f.data)
		wantFile(t, filepath.Join(back, f.name), f.data)
	}
	auth := regexp.MustCompile(`(?m)^---> AUTH TLS$`).FindStringIndex(r.stdout)
	user := regexp.MustCompile(`(?m)^---> USER `).FindStringIndex(r.stdout)
	prot := regexp.MustCompile(`(?m)^---> PROT P$`).FindStringIndex(r.stdout)
	switch {
	case user == nil || prot == nil || prot[0] < user[0]:
		r.fail(t, "want USER, then PROT P")
	case c.inst.implicit && auth != nil:
		r.fail(t, "AUTH TLS sent on an implicit TLS connection")
	case !c.inst.implicit && (auth == nil || auth[0] > user[0]):
		r.fail(t, "want AUTH TLS before USER")
	}
}

// plaintextRefused: gftp --tls off is refused at login (exit status 4;
// pure-ftpd: 3, see below), so the server really requires TLS on the
// control connection.
func plaintextRefused(t *testing.T, inst *instance) {
	c := &cell{inst: inst, mode: "passive", flag: "-p", extra: []string{"--tls", "off"}}
	r := c.gftp(t, t.TempDir(), "ls\n")
	want, refusal := 4, `^5\d\d `
	if inst.server == "pure-ftpd" {
		// pure-ftpd -Y 2 or 3 answers a cleartext USER with "421 Sorry,
		// cleartext sessions and weak ciphers are not accepted on this
		// server." and closes the connection. A 421 is "service not
		// available, closing control connection" (RFC 959), which gftp
		// takes, as it does everywhere, for a lost connection (exit
		// status 3), not for a login refused.
		want, refusal = 3, `^421[- ].*cleartext sessions .* not accepted`
	}
	if r.code != want {
		r.fail(t, "exit status %d, want %d (login refused): %s does not require TLS?", r.code, want, inst.server)
	}
	r.stdoutHas(t, `^---> USER `)
	r.stdoutHas(t, refusal)
	if regexp.MustCompile(`(?m)^---> (PASS|LIST)`).MatchString(r.stdout) {
		r.fail(t, "the plaintext login went on: want it refused at USER")
	}
	if m := regexp.MustCompile(`(?m)^[45]\d\d .*`).FindAllString(r.stdout, -1); len(m) > 0 {
		t.Logf("%s refused the plaintext login with %q", inst.server, m[len(m)-1])
	}
}

// clearDataRefused: with --tls-data clear (PROT C) the login is over TLS
// but data connections would be plaintext; the server must refuse them
// (or the PROT C), so it really requires TLS on data connections. Each
// refuses at its own step, so the exit status differs: vsftpd the LIST
// (522, exit status 5), pure-ftpd the LIST (521, 5), pyftpdlib the EPSV
// and PASV (550, 3: a passive-mode failure), proftpd the PROT C (534,
// 4: the login is not complete without it).
func clearDataRefused(t *testing.T, inst *instance) {
	c := tlsCell(inst, modes[0], "1.3", "--tls-data", "clear", "--retries", "0")
	r := c.gftp(t, t.TempDir(), "ls\n")
	r.stdoutHas(t, `^---> PROT C$`)
	if r.code == 0 {
		r.fail(t, "exit status 0: %s took plaintext data connections (PROT C)", inst.server)
	}
	if regexp.MustCompile(`(?m)^1\d\d `).MatchString(r.stdout) {
		r.fail(t, "%s opened a plaintext data connection (a 1xx reply)", inst.server)
	}
	i := strings.Index(r.stdout, "---> PROT C\n")
	if m := regexp.MustCompile(`(?m)^5\d\d .*`).FindString(r.stdout[max(i, 0):]); m == "" {
		r.fail(t, "no 5xx refusal after PROT C")
	} else {
		t.Logf("%s refused plaintext data with %q (exit status %d)", inst.server, m, r.code)
	}
}

// TestTLS13UploadsNotTruncated puts 30 files of 300 kB, in one mput, over
// TLS 1.3 to vsftpd and pyftpdlib, in passive and active mode, and checks
// that each one is whole on the server's disk. A TLS 1.3 server sends
// its session tickets after the handshake; a client that closes an
// upload's data connection with them unread makes its kernel reset the
// connection, and the server loses the end of the file: vsftpd says 426,
// pyftpdlib 226 for a truncated file. (gftp reads them: serverDone in
// internal/ftp/uploadend.go.) --retries 0, so that no retry hides a
// truncation.
func TestTLS13UploadsNotTruncated(t *testing.T) {
	requireServers(t)
	const n, size = 30, 300_000
	for _, kind := range serverKinds {
		if kind.name != "vsftpd" && kind.name != "pyftpdlib" {
			continue
		}
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			inst, err := kind.start(t, "127.0.0.1", withTLS(false))
			if err != nil {
				t.Fatalf("%s with TLS did not start: %v", kind.name, err)
			}
			for _, mode := range modes {
				t.Run(mode.name, func(t *testing.T) {
					c := tlsCell(inst, mode, "1.3", "--retries", "0")
					c.clearRoot(t)
					t.Cleanup(func() {
						if t.Failed() {
							t.Logf("%s logs:\n%s", inst.server, inst.logTails())
						}
					})
					c.serverDir(t, "up")
					local := t.TempDir()
					files := map[string][]byte{}
					var names []string
					for i := range n {
						name := fmt.Sprintf("u%02d.bin", i)
						names = append(names, name)
						files[name] = randomBytes(size)
						writeFile(t, filepath.Join(local, name), files[name])
					}
					r := c.gftp(t, local, "binary\ncd up\nmput u*.bin\nstatus\n")
					r.ok(t, true)
					r.stdoutHas(t, `^TLS: TLS 1\.3, TLS_\w+; data connections protected \(PROT P\)\.$`)
					if got := len(regexp.MustCompile(fmt.Sprintf(`(?m)^%d bytes sent in `, size)).FindAllString(r.stdout, -1)); got != n {
						r.fail(t, "%d of the %d files sent whole", got, n)
					}
					c.wantServerNames(t, "up", names...)
					truncated := 0
					for _, name := range names {
						if got, err := os.ReadFile(c.path("up/" + name)); err != nil || !bytes.Equal(got, files[name]) {
							truncated++
							c.wantServerFile(t, "up/"+name, files[name]) // says how
						}
					}
					if truncated > 0 {
						r.fail(t, "%d of %d files are not whole on %s's disk", truncated, n, inst.server)
					}
				})
			}
		})
	}
}
