package session

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// toLF runs in through crlfToLF, cut into Writes at the given offsets.
func toLF(t *testing.T, in string, cuts ...int) string {
	t.Helper()
	var out bytes.Buffer
	c := newCRLFToLF(&out)
	prev := 0
	for _, cut := range append(cuts, len(in)) {
		n, err := c.Write([]byte(in[prev:cut]))
		if err != nil || n != cut-prev {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", in[prev:cut], n, err, cut-prev)
		}
		prev = cut
	}
	if err := c.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return out.String()
}

// byteCuts cuts after every byte.
func byteCuts(s string) []int {
	cuts := make([]int, 0, len(s))
	for i := 1; i < len(s); i++ {
		cuts = append(cuts, i)
	}
	return cuts
}

var crlfToLFTests = []struct {
	name, in, want string
}{
	{"empty", "", ""},
	{"no line ends", "abc", "abc"},
	{"CRLF lines", "a\r\nb\r\n", "a\nb\n"},
	{"only CRLF", "\r\n", "\n"},
	{"CRLF CRLF", "\r\n\r\n", "\n\n"},
	{"bare LF kept", "a\nb\n", "a\nb\n"},
	{"lone CR kept", "a\rb", "a\rb"},
	{"CR at the end kept", "a\r", "a\r"},
	{"only CR", "\r", "\r"},
	{"CR CR LF", "\r\r\n", "\r\n"},
	{"CR CR", "a\r\rb", "a\r\rb"},
	{"LF CR", "a\n\rb", "a\n\rb"},
	{"CR LF LF", "a\r\n\nb", "a\n\nb"},
	{"CR then CRLF at end", "x\r\r\n", "x\r\n"},
	{"non-ASCII", "été\r\n日本\r\n", "été\n日本\n"},
	{"binary bytes", "\x00\xff\r\n\x00", "\x00\xff\n\x00"},
}

func TestCRLFToLF(t *testing.T) {
	for _, tt := range crlfToLFTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toLF(t, tt.in); got != tt.want {
				t.Errorf("one Write: %q -> %q, want %q", tt.in, got, tt.want)
			}
			if got := toLF(t, tt.in, byteCuts(tt.in)...); got != tt.want {
				t.Errorf("byte by byte: %q -> %q, want %q", tt.in, got, tt.want)
			}
			for i := 0; i <= len(tt.in); i++ {
				if got := toLF(t, tt.in, i); got != tt.want {
					t.Errorf("cut at %d: %q -> %q, want %q", i, tt.in, got, tt.want)
				}
			}
		})
	}
}

// A CR that ends a Write is held, not written, until the next byte or
// Flush tells what it is.
func TestCRLFToLFHoldsCR(t *testing.T) {
	var out bytes.Buffer
	c := newCRLFToLF(&out)
	write := func(s string) {
		t.Helper()
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatalf("Write(%q): %v", s, err)
		}
		if err := c.w.Flush(); err != nil { // the inner buffer only
			t.Fatal(err)
		}
	}
	write("a\r")
	if got := out.String(); got != "a" {
		t.Fatalf("after %q: wrote %q, want %q (the CR held)", "a\r", got, "a")
	}
	write("\nb\r")
	if got := out.String(); got != "a\nb" {
		t.Fatalf("after %q: wrote %q, want %q", "\nb\r", got, "a\nb")
	}
	write("c")
	if got := out.String(); got != "a\nb\rc" {
		t.Fatalf("after %q: wrote %q, want %q", "c", got, "a\nb\rc")
	}
	write("\r")
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "a\nb\rc\r" {
		t.Fatalf("after Flush: wrote %q, want %q", got, "a\nb\rc\r")
	}
	// Flushing again writes nothing more.
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "a\nb\rc\r" {
		t.Fatalf("after a second Flush: wrote %q", got)
	}
}

// errWriter fails every Write.
type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestCRLFToLFWriteError(t *testing.T) {
	boom := errors.New("disk full")
	c := newCRLFToLF(errWriter{boom})
	// The inner bufio.Writer is 4096 bytes: more than that must fail.
	data := bytes.Repeat([]byte("line\r\n"), 2000)
	_, werr := c.Write(data)
	ferr := c.Flush()
	if !errors.Is(werr, boom) && !errors.Is(ferr, boom) {
		t.Errorf("Write = %v, Flush = %v; want %v from one of them", werr, ferr, boom)
	}
	if !errors.Is(ferr, boom) {
		t.Errorf("Flush after a failed write = %v, want %v", ferr, boom)
	}
}

// toCRLF reads in through lfToCRLF with reads of size bufSize; the source
// gives one byte at a time when oneByte is set.
func toCRLF(t *testing.T, in string, bufSize int, oneByte bool) string {
	t.Helper()
	var src io.Reader = strings.NewReader(in)
	if oneByte {
		src = iotest.OneByteReader(src)
	}
	l := newLFToCRLF(src)
	var out []byte
	buf := make([]byte, bufSize)
	for range 10*len(in) + 10 {
		n, err := l.Read(buf)
		if n < 0 || n > len(buf) {
			t.Fatalf("Read returned n = %d for a buffer of %d", n, len(buf))
		}
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return string(out)
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if n == 0 {
			t.Fatalf("Read returned 0, nil")
		}
	}
	t.Fatalf("no EOF after reading %q", out)
	return ""
}

var lfToCRLFTests = []struct {
	name, in, want string
}{
	{"empty", "", ""},
	{"no line ends", "abc", "abc"},
	{"LF lines", "a\nb\n", "a\r\nb\r\n"},
	{"only LF", "\n", "\r\n"},
	{"LF LF", "\n\n", "\r\n\r\n"},
	{"leading LF", "\na", "\r\na"},
	{"CRLF not doubled", "a\r\nb\r\n", "a\r\nb\r\n"},
	{"mixed", "a\r\nb\nc\r\n\n", "a\r\nb\r\nc\r\n\r\n"},
	{"lone CR kept", "a\rb", "a\rb"},
	{"CR at the end", "a\r", "a\r"},
	{"CR CR LF", "\r\r\n", "\r\r\n"},
	{"LF CR", "\n\r", "\r\n\r"},
	{"CR LF LF", "\r\n\n", "\r\n\r\n"},
	{"non-ASCII", "été\n日本\n", "été\r\n日本\r\n"},
	{"binary bytes", "\x00\xff\n", "\x00\xff\r\n"},
}

func TestLFToCRLF(t *testing.T) {
	for _, tt := range lfToCRLFTests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 2, 3, 4096} {
				for _, oneByte := range []bool{false, true} {
					if got := toCRLF(t, tt.in, size, oneByte); got != tt.want {
						t.Errorf("buffer %d, one-byte source %v: %q -> %q, want %q", size, oneByte, tt.in, got, tt.want)
					}
				}
			}
		})
	}
}

func TestLFToCRLFEmptyBuffer(t *testing.T) {
	l := newLFToCRLF(strings.NewReader("\n"))
	if n, err := l.Read(nil); n != 0 || err != nil {
		t.Errorf("Read(nil) = %d, %v; want 0, nil", n, err)
	}
	if got := toCRLFFrom(t, l); got != "\r\n" {
		t.Errorf("after Read(nil): read %q, want %q", got, "\r\n")
	}
}

func toCRLFFrom(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return string(b)
}

func TestLFToCRLFReadError(t *testing.T) {
	boom := errors.New("read failed")
	l := newLFToCRLF(iotest.ErrReader(boom))
	if _, err := io.ReadAll(l); !errors.Is(err, boom) {
		t.Errorf("ReadAll = %v, want %v", err, boom)
	}
}

// refCRLFToLF and refLFToCRLF say what the converters must do to any data.
func refCRLFToLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

func refLFToCRLF(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && (i == 0 || s[i-1] != '\r') {
			b.WriteByte('\r')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// randomText is made mostly of CRs and LFs, so that every neighbourhood
// of them turns up.
func randomText(r *rand.Rand) string {
	alphabet := []byte{'\r', '\n', '\r', '\n', 'a', 'b', 0, 0xff}
	n := r.IntN(40)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// randomCuts cuts s at random sorted offsets.
func randomCuts(r *rand.Rand, s string) []int {
	var cuts []int
	for i := 1; i < len(s); i++ {
		if r.IntN(3) == 0 {
			cuts = append(cuts, i)
		}
	}
	return cuts
}

func TestASCIIConversionProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		in := randomText(r)

		lf := toLF(t, in, randomCuts(r, in)...)
		if want := refCRLFToLF(in); lf != want {
			t.Fatalf("crlfToLF(%q) = %q, want %q", in, lf, want)
		}
		crlf := toCRLF(t, in, 1+r.IntN(5), r.IntN(2) == 0)
		if want := refLFToCRLF(in); crlf != want {
			t.Fatalf("lfToCRLF(%q) = %q, want %q", in, crlf, want)
		}
		// On the wire every LF follows a CR.
		if strings.Count(crlf, "\n") != strings.Count(crlf, "\r\n") {
			t.Fatalf("lfToCRLF(%q) = %q has a bare LF", in, crlf)
		}

		// Round trip: local text that has no CR LF of its own comes back
		// unchanged from the wire form.
		if !strings.Contains(in, "\r\n") {
			back := toLF(t, crlf, randomCuts(r, crlf)...)
			if back != in {
				t.Fatalf("round trip of %q: wire %q, back %q", in, crlf, back)
			}
		}
		// Wire text comes back unchanged through the local form when no
		// CR stands before a CR LF.
		if !strings.Contains(in, "\r\r\n") && strings.Count(in, "\n") == strings.Count(in, "\r\n") {
			back := toCRLF(t, lf, 1+r.IntN(5), r.IntN(2) == 0)
			if back != in {
				t.Fatalf("round trip of wire text %q: local %q, back %q", in, lf, back)
			}
		}
	}
}

func FuzzASCIIRoundTrip(f *testing.F) {
	f.Add("a\nb\n", 1)
	f.Add("a\rb\r", 2)
	f.Add("\n\n\r", 3)
	f.Fuzz(func(t *testing.T, in string, size int) {
		if size < 1 || size > 64 {
			size = 1 + (size%64+64)%64
		}
		crlf := toCRLF(t, in, size, size%2 == 0)
		if want := refLFToCRLF(in); crlf != want {
			t.Fatalf("lfToCRLF(%q) = %q, want %q", in, crlf, want)
		}
		cuts := make([]int, 0, len(crlf)/size)
		for i := size; i < len(crlf); i += size {
			cuts = append(cuts, i)
		}
		back := toLF(t, crlf, cuts...)
		if want := refCRLFToLF(crlf); back != want {
			t.Fatalf("crlfToLF(%q) = %q, want %q", crlf, back, want)
		}
		if !strings.Contains(in, "\r\n") && back != in {
			t.Fatalf("round trip of %q: wire %q, back %q", in, crlf, back)
		}
	})
}
