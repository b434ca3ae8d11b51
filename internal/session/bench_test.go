package session

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gftp/gftp/internal/testserver"
)

// BenchmarkTransfer measures put and get through the whole session (type,
// data connection, copy, final reply) against the embedded server, in both
// data modes. Compare runs with benchstat; see bench/compare.sh for the
// side-by-side with tnftp and lftp.
func BenchmarkTransfer(b *testing.B) {
	const size = 16 << 20
	for _, mode := range []Mode{ModePassive, ModeActive} {
		for _, op := range []string{"put", "get"} {
			b.Run(mode.String()+"/"+op, func(b *testing.B) {
				root, local := b.TempDir(), b.TempDir()
				data := make([]byte, size)
				rand.Read(data)
				for _, p := range []string{filepath.Join(root, "f.bin"), filepath.Join(local, "f.bin")} {
					if err := os.WriteFile(p, data, 0o644); err != nil {
						b.Fatal(err)
					}
				}
				s := benchSession(b, root, local, mode)
				ctx := context.Background()
				var err error
				b.SetBytes(size)
				b.ResetTimer()
				for b.Loop() {
					if op == "put" {
						err = s.Put(ctx, "f.bin", "up.bin")
					} else {
						err = s.Get(ctx, "f.bin", "down.bin")
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				got, want := filepath.Join(root, "up.bin"), data
				if op == "get" {
					got = filepath.Join(local, "down.bin")
				}
				if b2, err := os.ReadFile(got); err != nil || !bytes.Equal(b2, want) {
					b.Fatalf("transferred file differs (err %v)", err)
				}
			})
		}
	}
}

// BenchmarkManySmallFiles measures mput and mget of 100 files of 4 KiB over
// four links against the embedded server: the per-file cost of the
// protocol and of gftp's bookkeeping (allocations per file matter: they
// set how soon the garbage collector grows the heap, and so the peak
// RSS). bench/loopback compares the same against peers on vsftpd.
func BenchmarkManySmallFiles(b *testing.B) {
	const files = 100
	for _, op := range []string{"mput", "mget"} {
		b.Run(op, func(b *testing.B) {
			root, local := b.TempDir(), b.TempDir()
			data := make([]byte, 4096)
			rand.Read(data)
			for i := range files {
				for _, dir := range []string{root, local} {
					if err := os.WriteFile(filepath.Join(dir, "f"+strconv.Itoa(1000+i)), data, 0o644); err != nil {
						b.Fatal(err)
					}
				}
			}
			s := benchSession(b, root, local, ModePassive)
			ctx := context.Background()
			var err error
			b.ResetTimer()
			for b.Loop() {
				if op == "mput" {
					err = s.Mput(ctx, 4, []string{"f*"})
				} else {
					err = s.Mget(ctx, 4, []string{"f*"})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*files), "ns/file")
		})
	}
}

// benchSession is a session logged in to the embedded server serving
// root, in mode, closed with the benchmark.
func benchSession(b *testing.B, root, local string, mode Mode) *Session {
	b.Helper()
	srv, err := testserver.Start(testserver.Options{Root: root})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	s := New(Config{Options: Options{Mode: mode}, LocalDir: local})
	ctx := context.Background()
	if err := s.Open(ctx, srv.Host(), strconv.Itoa(srv.Port())); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	if err := s.Login(ctx, testserver.DefaultUser, testserver.DefaultPassword); err != nil {
		b.Fatal(err)
	}
	return s
}
