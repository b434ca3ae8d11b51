package testserver

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Root == "" {
		opts.Root = t.TempDir()
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	return s
}

func dialClient(t *testing.T, s *Server, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	c, err := ftp.Dial(s.Addr(), append([]ftp.DialOption{ftp.DialWithTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("dial %s: %v", s.Addr(), err)
	}
	t.Cleanup(func() { _ = c.Quit() })

	return c
}

func loginClient(t *testing.T, s *Server, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	c := dialClient(t, s, opts...)
	if err := c.Login(DefaultUser, DefaultPassword); err != nil {
		t.Fatalf("login: %v", err)
	}

	return c
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random data: %v", err)
	}

	return b
}

// storRetrList uploads, downloads and lists one file through c.
func storRetrList(t *testing.T, s *Server, c *ftp.ServerConn) {
	t.Helper()
	// CR and LF bytes must survive: the client switches to binary mode.
	data := append([]byte("line1\r\nline2\n"), randomBytes(t, 100_000)...)
	if err := c.Stor("data.bin", bytes.NewReader(data)); err != nil {
		t.Fatalf("Stor: %v", err)
	}

	onDisk, err := os.ReadFile(filepath.Join(s.Root(), "data.bin"))
	if err != nil {
		t.Fatalf("read uploaded file: %v", err)
	}
	if !bytes.Equal(onDisk, data) {
		t.Fatalf("uploaded file differs: %d bytes on disk, %d sent", len(onDisk), len(data))
	}

	resp, err := c.Retr("data.bin")
	if err != nil {
		t.Fatalf("Retr: %v", err)
	}
	got, err := io.ReadAll(resp)
	if err != nil {
		t.Fatalf("read Retr data: %v", err)
	}
	if err := resp.Close(); err != nil {
		t.Fatalf("close Retr: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs: got %d bytes, want %d", len(got), len(data))
	}

	entries, err := c.List("/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	idx := slices.IndexFunc(entries, func(e *ftp.Entry) bool { return e.Name == "data.bin" })
	if idx < 0 {
		t.Fatalf("List has no data.bin: %+v", entries)
	}
	if entries[idx].Size != uint64(len(data)) || entries[idx].Type != ftp.EntryTypeFile {
		t.Fatalf("List entry: %+v", entries[idx])
	}
}

func TestLogin(t *testing.T) {
	s := startServer(t, Options{})
	c := loginClient(t, s)
	if err := c.NoOp(); err != nil {
		t.Fatalf("NOOP: %v", err)
	}
}

func TestCustomCredentials(t *testing.T) {
	s := startServer(t, Options{User: "alice", Password: "pw"})
	c := dialClient(t, s)
	if err := c.Login("alice", "pw"); err != nil {
		t.Fatalf("login: %v", err)
	}
}

func TestBadLogin(t *testing.T) {
	s := startServer(t, Options{})
	for _, tc := range []struct{ user, pass string }{
		{DefaultUser, "wrong"},
		{"nobody", DefaultPassword},
		{DefaultUser, ""},
	} {
		c := dialClient(t, s)
		err := c.Login(tc.user, tc.pass)
		var perr *textproto.Error
		if !errors.As(err, &perr) || perr.Code != 530 {
			t.Errorf("login %q/%q: got %v, want a 530 error", tc.user, tc.pass, err)
		}
	}
}

func TestStorRetrList(t *testing.T) {
	s := startServer(t, Options{})
	c := loginClient(t, s)
	storRetrList(t, s, c)

	info, err := os.Stat(filepath.Join(s.Root(), "data.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o111 != 0 {
		t.Errorf("uploaded file mode %v has execute bits", info.Mode())
	}
}

func TestRefuseEPSVFallsBackToPASV(t *testing.T) {
	s := startServer(t, Options{Refuse: []string{"epsv"}})
	c := loginClient(t, s)
	storRetrList(t, s, c)

	cmds := s.Commands()
	epsv := slices.Index(cmds, "EPSV")
	if epsv < 0 || !slices.Contains(cmds[epsv+1:], "PASV") {
		t.Fatalf("want EPSV followed by PASV in %q", cmds)
	}

	raw := dialRaw(t, s.Addr())
	raw.login(DefaultUser, DefaultPassword)
	if got := raw.expect("epsv", 502); got[0] != "502 Command not implemented." {
		t.Errorf("refusal: %q", got)
	}
	// The refused command never reached the backend, so replies stay in step.
	raw.expect("NOOP", 200)
}

func TestPasswordMasked(t *testing.T) {
	s := startServer(t, Options{Password: "hunter2"})
	c := dialClient(t, s)
	if err := c.Login(DefaultUser, "hunter2"); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := c.NoOp(); err != nil {
		t.Fatalf("NOOP: %v", err)
	}

	cmds := s.Commands()
	if !slices.Contains(cmds, "USER "+DefaultUser) || !slices.Contains(cmds, "PASS ****") {
		t.Errorf("commands %q lack USER or masked PASS", cmds)
	}
	for _, cmd := range cmds {
		if strings.Contains(cmd, "hunter2") {
			t.Errorf("password recorded in %q", cmd)
		}
	}
}

func TestCommandsAcrossConnections(t *testing.T) {
	s := startServer(t, Options{})
	for i := range 2 {
		raw := dialRaw(t, s.Addr())
		raw.login(DefaultUser, DefaultPassword)
		raw.expect("NOOP "+strconv.Itoa(i), 200)
		raw.expect("QUIT", 221)
	}
	want := []string{
		"USER ftpuser", "PASS ****", "NOOP 0", "QUIT",
		"USER ftpuser", "PASS ****", "NOOP 1", "QUIT",
	}
	if got := s.Commands(); !slices.Equal(got, want) {
		t.Errorf("Commands() = %q, want %q", got, want)
	}
}

func TestMultiLineBanner(t *testing.T) {
	s := startServer(t, Options{Banner: []string{"Welcome", "to the gftp", "test server"}})
	raw := dialRaw(t, s.Addr())
	want := []string{"220-Welcome", "220-to the gftp", "220 test server"}
	for _, w := range want {
		if got := raw.readLine(); got != w {
			t.Fatalf("banner line %q, want %q", got, w)
		}
	}
}

func TestPASVHost(t *testing.T) {
	s := startServer(t, Options{PASVHost: "127.0.0.2"})
	if err := os.WriteFile(filepath.Join(s.Root(), "hello.txt"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	raw := dialRaw(t, s.Addr())
	raw.login(DefaultUser, DefaultPassword)
	reply := raw.expect("PASV", 227)[0]
	if !strings.Contains(reply, "(127,0,0,2,") {
		t.Fatalf("PASV reply %q does not advertise 127.0.0.2", reply)
	}

	// The advertised address is bogus; the real listener is on the server's host.
	port := pasvPort(t, reply)
	data, err := net.DialTimeout("tcp", net.JoinHostPort(s.Host(), strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		t.Fatalf("dial data port: %v", err)
	}
	defer data.Close()
	raw.expect("NLST", 150)
	listing, err := io.ReadAll(data)
	if err != nil {
		t.Fatalf("read NLST: %v", err)
	}
	if !strings.Contains(string(listing), "hello.txt") {
		t.Errorf("NLST = %q", listing)
	}
	if code, lines := raw.readReply(); code != 226 {
		t.Errorf("after NLST: %q", lines)
	}
}

func pasvPort(t *testing.T, reply string) int {
	t.Helper()
	open, end := strings.IndexByte(reply, '('), strings.IndexByte(reply, ')')
	if open < 0 || end < open {
		t.Fatalf("bad PASV reply %q", reply)
	}
	fields := strings.Split(reply[open+1:end], ",")
	if len(fields) != 6 {
		t.Fatalf("bad PASV reply %q", reply)
	}
	hi, err1 := strconv.Atoi(fields[4])
	lo, err2 := strconv.Atoi(fields[5])
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("bad PASV reply %q: %v", reply, err)
	}

	return hi<<8 | lo
}

// activeTransfer sends cmd after portCmd(addr) and returns what the server
// sent on the data connection it opened to us.
func activeTransfer(t *testing.T, raw *rawClient, portCmd func(*net.TCPAddr) string, cmd string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	if err := ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}

	raw.expect(portCmd(ln.Addr().(*net.TCPAddr)), 200)
	raw.send(cmd)
	data, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept active data connection: %v", err)
	}
	defer data.Close()
	if code, lines := raw.readReply(); code != 150 {
		t.Fatalf("%s: %q, want 150", cmd, lines)
	}
	out, err := io.ReadAll(data)
	if err != nil {
		t.Fatalf("read %s data: %v", cmd, err)
	}
	if code, lines := raw.readReply(); code != 226 {
		t.Fatalf("%s end: %q, want 226", cmd, lines)
	}

	return string(out)
}

func portArg(a *net.TCPAddr) string {
	ip := a.IP.To4()
	return fmt.Sprintf("PORT %d,%d,%d,%d,%d,%d", ip[0], ip[1], ip[2], ip[3], a.Port>>8, a.Port&0xff)
}

func eprtArg(a *net.TCPAddr) string {
	return fmt.Sprintf("EPRT |1|%s|%d|", a.IP, a.Port)
}

func TestActiveMode(t *testing.T) {
	s := startServer(t, Options{})
	if err := os.WriteFile(filepath.Join(s.Root(), "hello.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(s.Root(), "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	raw := dialRaw(t, s.Addr())
	raw.login(DefaultUser, DefaultPassword)
	raw.expect("TYPE I", 200)

	list := activeTransfer(t, raw, portArg, "LIST")
	t.Logf("LIST output:\n%s", list)
	if !strings.Contains(list, " hello.txt\r\n") || !strings.Contains(list, " sub\r\n") {
		t.Errorf("LIST = %q", list)
	}

	mlsd := activeTransfer(t, raw, eprtArg, "MLSD")
	t.Logf("MLSD output:\n%s", mlsd)
	if !strings.Contains(mlsd, "Type=file;Size=6;") || !strings.Contains(mlsd, "Type=dir;") {
		t.Errorf("MLSD = %q", mlsd)
	}

	if got := activeTransfer(t, raw, portArg, "RETR hello.txt"); got != "hello\n" {
		t.Errorf("RETR = %q", got)
	}
}

func TestIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("IPv6 loopback unavailable: %v", err)
	}
	_ = ln.Close()

	s := startServer(t, Options{Listen: "[::1]:0"})
	if s.Host() != "::1" || !strings.HasPrefix(s.Addr(), "[::1]:") {
		t.Fatalf("Host %q, Addr %q", s.Host(), s.Addr())
	}
	c := loginClient(t, s)
	storRetrList(t, s, c)
}

func TestStartErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]Options{
		"no root":       {},
		"missing root":  {Root: filepath.Join(t.TempDir(), "missing")},
		"root is file":  {Root: file},
		"bad PASVHost":  {Root: t.TempDir(), PASVHost: "::1"},
		"bad listen":    {Root: t.TempDir(), Listen: "not an address"},
		"banner break":  {Root: t.TempDir(), Banner: []string{"a\r\nb"}},
		"bad PASV name": {Root: t.TempDir(), PASVHost: "example.com"},
	} {
		if s, err := Start(opts); err == nil {
			_ = s.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
}

func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()

	s, err := Start(Options{Root: t.TempDir(), ConnectionTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ftp.Dial(s.Addr(), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(DefaultUser, DefaultPassword); err != nil {
		t.Fatal(err)
	}
	// A session waiting for a passive connection that never comes must not
	// hold Close up for ConnectionTimeout.
	raw := dialRaw(t, s.Addr())
	raw.login(DefaultUser, DefaultPassword)
	raw.expect("EPSV", 229)
	raw.send("LIST")
	time.Sleep(50 * time.Millisecond)

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := c.NoOp(); err == nil {
		t.Error("client still served after Close")
	}
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		t.Error("proxy still accepting after Close")
	}
	_ = raw.conn.Close()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after Close\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func TestListenAllInterfaces(t *testing.T) {
	s := startServer(t, Options{Listen: "0.0.0.0:0"})
	if s.Host() != "127.0.0.1" {
		t.Fatalf("Host() = %q, want loopback", s.Host())
	}
	raw := dialRaw(t, s.Addr())
	raw.login(DefaultUser, DefaultPassword)
	// PASV names the address the client reached, not the proxy's own link to the backend.
	if reply := raw.expect("PASV", 227)[0]; !strings.Contains(reply, "(127,0,0,1,") {
		t.Errorf("PASV reply %q", reply)
	}
	storRetrList(t, s, loginClient(t, s))
}
