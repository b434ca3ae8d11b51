package ftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// tlsServer starts the embedded server as an FTPS server that requires
// TLS and session reuse, and returns it with a client configuration that
// trusts its certificate.
func tlsServer(t *testing.T, mode testserver.TLSMode, maxVersion uint16) (*testserver.Server, *tls.Config) {
	t.Helper()
	cert, certPEM, _, err := testserver.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := testserver.Start(testserver.Options{Root: t.TempDir(), TLS: testserver.TLSOptions{
		Mode: mode, Cert: cert, Required: true, RequireReuse: true, MaxVersion: maxVersion,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	return srv, &tls.Config{RootCAs: roots}
}

func tlsLogin(t *testing.T, srv *testserver.Server, cfg *tls.Config, implicit bool) *Conn {
	t.Helper()
	ctx := context.Background()
	c, _, err := Dial(ctx, srv.Addr(), Options{TLS: cfg, ImplicitTLS: implicit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if !implicit {
		if err := c.AuthTLS(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pass := func() (string, error) { return testserver.DefaultPassword, nil }
	if err := c.Login(ctx, testserver.DefaultUser, pass); err != nil {
		t.Fatal(err)
	}
	if err := c.Protect(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Type(ctx, TypeImage); err != nil {
		t.Fatal(err)
	}
	return c
}

// Explicit and implicit FTPS, TLS 1.2 and 1.3, passive and active: files
// of 0 B, 1 B and 1 MiB go up and come back whole, through a server that
// refuses a data connection that does not resume the control
// connection's TLS session.
func TestTLSTransfers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     testserver.TLSMode
		version  uint16
		implicit bool
	}{
		{"explicit/1.3", testserver.ExplicitTLS, 0, false},
		{"explicit/1.2", testserver.ExplicitTLS, tls.VersionTLS12, false},
		{"implicit/1.3", testserver.ImplicitTLS, 0, true},
		{"implicit/1.2", testserver.ImplicitTLS, tls.VersionTLS12, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, cfg := tlsServer(t, tc.mode, tc.version)
			c := tlsLogin(t, srv, cfg, tc.implicit)
			st, ok := c.TLS()
			want := uint16(tls.VersionTLS13)
			if tc.version != 0 {
				want = tc.version
			}
			if !ok || st.Version != want || !c.DataProtected() {
				t.Fatalf("TLS state %v (version %x, want %x), data protected %v", ok, st.Version, want, c.DataProtected())
			}
			ctx := context.Background()
			for _, mode := range []DataMode{Passive, Active} {
				for _, size := range []int{0, 1, 1 << 20} {
					data := make([]byte, size)
					rand.Read(data)
					name := mode.String() + strconv.Itoa(size)
					if n, err := c.Store(ctx, mode, name, bytes.NewReader(data)); err != nil || n != int64(size) {
						t.Fatalf("%s: store: %d bytes, %v", name, n, err)
					}
					if got, err := os.ReadFile(filepath.Join(srv.Root(), name)); err != nil || !bytes.Equal(got, data) {
						t.Fatalf("%s: the server has %d bytes (%v), want %d", name, len(got), err, size)
					}
					var back bytes.Buffer
					if n, err := c.Retrieve(ctx, mode, name, 0, &back); err != nil || n != int64(size) || !bytes.Equal(back.Bytes(), data) {
						t.Fatalf("%s: retrieve: %d bytes, %v", name, n, err)
					}
				}
			}
			var list bytes.Buffer
			if _, err := c.List(ctx, Passive, "LIST", "", &list); err != nil || !strings.Contains(list.String(), "passive1048576") {
				t.Fatalf("list: %v\n%s", err, list.String())
			}
		})
	}
}

// A data connection that starts a new TLS session, not the control
// connection's, is refused by such a server (what other Go clients do):
// the server's reason reaches the caller, and the control connection
// stays usable. In TLS 1.2 the handshake fails; in TLS 1.3 the client's
// side of it completes and the server refuses after.
func TestTLSDataWithoutReuse(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			srv, cfg := tlsServer(t, testserver.ExplicitTLS, version)
			c := tlsLogin(t, srv, cfg, false)
			c.tlsData.ClientSessionCache = nil
			_, err := c.Store(context.Background(), Passive, "x", strings.NewReader("data"))
			if err == nil || !strings.Contains(err.Error(), "TLS session of data connection not resumed") {
				t.Fatalf("store without session reuse: %v, want the server's reason", err)
			}
			if err := c.Noop(context.Background()); err != nil {
				t.Fatalf("the control connection after the refused data connection: %v", err)
			}
		})
	}
}

// AUTH TLS refused: the connection stays plaintext and in step, and the
// error is the refusal.
func TestAuthTLSRefused(t *testing.T) {
	srv, err := testserver.Start(testserver.Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, _, err := Dial(context.Background(), srv.Addr(), Options{TLS: &tls.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.AuthTLS(context.Background())
	var re *ReplyError
	if !errors.As(err, &re) || re.Reply.Code != 502 {
		t.Fatalf("AUTH TLS to a server without TLS: %v", err)
	}
	if _, ok := c.TLS(); ok {
		t.Error("TLS after a refused AUTH")
	}
	if err := c.Noop(context.Background()); err != nil {
		t.Fatalf("NOOP after the refusal: %v", err)
	}
}

// A certificate that is not trusted fails the handshake with a
// TLSError that says so.
func TestTLSUntrustedCertificate(t *testing.T) {
	srv, _ := tlsServer(t, testserver.ExplicitTLS, 0)
	c, _, err := Dial(context.Background(), srv.Addr(), Options{TLS: &tls.Config{RootCAs: x509.NewCertPool()}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.AuthTLS(context.Background())
	var te *TLSError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "certificate is not trusted") {
		t.Fatalf("untrusted certificate: %v", err)
	}
}

// slowAfterCancel yields n bytes, then cancels and goes on slowly: an upload
// interrupted midway.
type slowAfterCancel struct {
	n      int
	cancel context.CancelFunc
}

func (b *slowAfterCancel) Read(p []byte) (int, error) {
	if b.n <= 0 {
		b.cancel()
		time.Sleep(10 * time.Millisecond)
		return len(p), nil
	}
	k := min(len(p), b.n)
	b.n -= k
	return k, nil
}

// An interrupted TLS upload ends its data connection with a reset, not
// with close_notify: a server reading a clean end (what tls.Conn.Close
// sends) would take the truncated file for a whole one.
func TestTLSUploadAbortResets(t *testing.T) {
	cert, _, _, err := testserver.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		s.expect("STOR x")
		raw := s.accept(ln)
		s.send("150 Go ahead")
		dc := tls.Server(raw, &tls.Config{Certificates: []tls.Certificate{cert}})
		dc.SetDeadline(time.Now().Add(fakeWait))
		_, err := io.Copy(io.Discard, dc)
		ended <- err
		s.send("426 Transfer aborted")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	// Plaintext control, TLS data: enough to see how the data ends.
	_, c.tlsData = tlsConfigs(&tls.Config{InsecureSkipVerify: true}, "127.0.0.1")
	c.dataTLS = true
	ctx, cancel := context.WithCancel(context.Background())
	r := &slowAfterCancel{n: 100 << 10, cancel: cancel}
	if _, err := c.Store(ctx, Passive, "x", r); err == nil {
		t.Fatal("an interrupted upload succeeded")
	}
	select {
	case err := <-ended:
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("the server's read ended with %v, want a reset (connection reset by peer)", err)
		}
	case <-time.After(fakeWait):
		t.Fatal("the server's read did not end")
	}
	wantNOOP(t, c)
	c.Close()
	srv.wait()
}
