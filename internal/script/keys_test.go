package script

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Home and End sequences become Ctrl-A and Ctrl-E, also when a read ends
// in the middle of one (one byte a read here); other escapes pass.
func TestKeyReader(t *testing.T) {
	in := "a\x1b[1~b\x1b[4~c\x1bOHd\x1bOFe\x1b[Hf\x1b[Fg\x1b[7~\x1b[8~\x1b[A\x1b"
	want := "a\x01b\x05c\x01d\x05e\x01f\x05g\x01\x05\x1b[A\x1b"
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(in),
		"bytewise": iotest.OneByteReader(strings.NewReader(in)),
	} {
		got, err := io.ReadAll(newKeyReader(r))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
}
