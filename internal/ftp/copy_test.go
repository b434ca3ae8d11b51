package ftp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"
)

// sizeRecorder is a reader that records the size of each buffer it is
// given.
type sizeRecorder struct {
	r     io.Reader
	sizes []int
}

func (s *sizeRecorder) Read(p []byte) (int, error) {
	s.sizes = append(s.sizes, len(p))
	return s.r.Read(p)
}

func TestCopyGrowing(t *testing.T) {
	data := make([]byte, 3<<20)
	rand.Read(data)
	src := &sizeRecorder{r: bytes.NewReader(data)}
	var dst bytes.Buffer
	n, err := copyGrowing(&dst, src)
	if err != nil || n != int64(len(data)) || !bytes.Equal(dst.Bytes(), data) {
		t.Fatalf("copied %d bytes, err %v; equal %v", n, err, bytes.Equal(dst.Bytes(), data))
	}
	if src.sizes[0] != copyStart || src.sizes[len(src.sizes)-1] != copyBuffer {
		t.Errorf("buffer sizes %v: want %d first, growing to %d", src.sizes[:6], copyStart, copyBuffer)
	}

	// Reads that never fill the buffer keep it small: a listing.
	small := &sizeRecorder{r: io.LimitReader(bytes.NewReader(data), 1000)}
	if _, err := copyGrowing(io.Discard, small); err != nil {
		t.Fatal(err)
	}
	for _, sz := range small.sizes {
		if sz != copyStart {
			t.Fatalf("buffer sizes %v for a 1000-byte copy", small.sizes)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return len(p) / 2, errors.New("disk full") }

func TestCopyGrowingWriteError(t *testing.T) {
	n, err := copyGrowing(failingWriter{}, bytes.NewReader(make([]byte, 100)))
	if err == nil || err.Error() != "disk full" || n != 50 {
		t.Fatalf("got %d, %v; want 50, disk full", n, err)
	}
}

// copyPaced keeps to its rate: 60 KiB at 100 KiB a second takes at least
// half a second (a bucket of a tenth of a second's worth to start with),
// arrives whole, and a cancelled context stops it.
func TestCopyPaced(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 60<<10/16)
	var out bytes.Buffer
	start := time.Now()
	n, err := copyPaced(context.Background(), &out, bytes.NewReader(data), 100<<10)
	took := time.Since(start)
	if err != nil || n != int64(len(data)) || !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("copied %d bytes, %v", n, err)
	}
	if took < 450*time.Millisecond {
		t.Errorf("60 KiB at 100 KiB/s took %v, want at least about 0.5s", took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := copyPaced(ctx, io.Discard, bytes.NewReader(data), 1<<10); err == nil {
		t.Error("a cancelled copy went on")
	}
}
