package safe

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":                        "plain text",
		"two\nlines\tand a tab":             "two\nlines\tand a tab",
		"café 日本":                           "café 日本",
		"550 \x1b[2J\x1b[H\x1b]0;title\x07": `550 \x1b[2J\x1b[H\x1b]0;title\x07`,
		"back\bspace\rreturn\x00nul\x7f":    `back\x08space\x0dreturn\x00nul\x7f`,
		"latin-1 caf\xe9":                   `latin-1 caf\xe9`,
		"c1 csi \u009b2J":                   `c1 csi \u009b2J`,
		"raw c1 byte \x9b2J":                `raw c1 byte \x9b2J`,
		"bidi \u202eevil\u202c":             `bidi \u202eevil\u202c`,
		"line sep \u2028":                   `line sep \u2028`,
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

// A stream keeps a UTF-8 character that a Write boundary cut in two.
func TestStreamSplitCharacter(t *testing.T) {
	var buf bytes.Buffer
	w := NewStream(&buf)
	text := "日本 é\x1b!"
	for i := range len(text) {
		if _, err := w.Write([]byte{text[i]}); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if got, want := buf.String(), `日本 é\x1b!`; got != want {
		t.Errorf("byte by byte: %q, want %q", got, want)
	}
	buf.Reset()
	w.Write([]byte("end \xe6\x97")) // cut short for good
	w.Flush()
	if got, want := buf.String(), `end \xe6\x97`; got != want {
		t.Errorf("a sequence never completed: %q, want %q", got, want)
	}
}

func FuzzVisible(f *testing.F) {
	for _, s := range []string{"", "a\x1bb", "\xff\xfe", "日本\u202e", "\n\t\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := Visible(s)
		if !utf8.ValidString(v) {
			t.Fatalf("Visible(%q) = %q is not UTF-8", s, v)
		}
		for _, r := range v {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("Visible(%q) = %q holds control %U", s, v, r)
			}
		}
		// A stream fed in any two pieces writes the same.
		for cut := 0; cut <= len(s) && cut < 8; cut++ {
			var buf bytes.Buffer
			w := NewStream(&buf)
			w.Write([]byte(s[:cut]))
			w.Write([]byte(s[cut:]))
			w.Flush()
			if buf.String() != v {
				t.Fatalf("stream cut at %d: %q, want %q", cut, buf.String(), v)
			}
		}
		if strings.ContainsRune(v, '\x1b') {
			t.Fatal("ESC got through")
		}
	})
}
