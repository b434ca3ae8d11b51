package ftp

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
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
