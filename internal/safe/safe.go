// Package safe makes text that came from a server safe to show on a
// terminal: every byte that a terminal would act on rather than print (C0
// and C1 controls, DEL, bytes that are not UTF-8, bidirectional-text
// controls) is written as a visible escape such as \x1b, so a reply or a
// file name cannot clear the screen, retitle the window or fake a line.
// Line feeds and tabs pass, since messages and listings are made of lines.
package safe

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Visible returns s with every control character made visible.
func Visible(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	appendVisible(&b, s)
	return b.String()
}

// clean reports, cheaply for the common case, that s needs no escapes.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func appendVisible(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
}

// Writer writes through Visible. Each Write is taken as whole text: a
// message printed with one Fprintf. For a stream cut at arbitrary points
// (a listing copied to a terminal), use NewStream.
type Writer struct {
	w      io.Writer
	stream bool
	held   []byte // a stream's incomplete UTF-8 sequence at the end of a Write
}

// NewWriter returns a Writer for whole messages.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// NewStream returns a Writer for a byte stream: a UTF-8 sequence split
// between two Writes is held until its end arrives. Flush at the end.
func NewStream(w io.Writer) *Writer { return &Writer{w: w, stream: true} }

// Write writes p with its control characters made visible. It reports
// len(p) on success, as a filter must.
func (w *Writer) Write(p []byte) (int, error) {
	s := string(w.held) + string(p)
	w.held = w.held[:0]
	if w.stream {
		s, w.held = splitIncomplete(s, w.held)
	}
	if _, err := io.WriteString(w.w, Visible(s)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held incomplete sequence, made visible.
func (w *Writer) Flush() error {
	if len(w.held) == 0 {
		return nil
	}
	s := string(w.held)
	w.held = w.held[:0]
	_, err := io.WriteString(w.w, Visible(s))
	return err
}

// splitIncomplete moves a trailing incomplete (but so far valid) UTF-8
// sequence of s into held.
func splitIncomplete(s string, held []byte) (string, []byte) {
	for k := 1; k < utf8.UTFMax && k <= len(s); k++ {
		c := s[len(s)-k]
		if c < utf8.RuneSelf {
			break // ASCII: nothing after it can be a partial sequence
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRuneInString(s[len(s)-k:]) {
				return s[:len(s)-k], append(held, s[len(s)-k:]...)
			}
			break
		}
	}
	return s, held
}
