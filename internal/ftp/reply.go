package ftp

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits on what ReadReply accepts, so that a hostile or broken server
// cannot make us buffer without bound. They are generous: real replies
// are a few lines, and even a STAT listing of a large directory fits.
const (
	maxReplyLineLen = 64 << 10 // bytes per line, without CR LF
	maxReplyLines   = 10000
	maxReplyBytes   = 4 << 20 // all lines together
)

// Reply is one complete server reply (RFC 959 §4.2).
type Reply struct {
	Code  int
	Lines []string // raw lines as received, without CR LF; Lines[0] starts with the code
}

// Message returns the text of the reply: all lines joined with "\n", with
// the "ddd-" or "ddd " prefix removed from the first and the last line and
// from middle lines that start with "ddd-" of the same code. Other middle
// lines are kept as they are, leading spaces included, because FEAT and
// STAT replies put meaning in them.
func (r *Reply) Message() string {
	if r == nil || len(r.Lines) == 0 {
		return ""
	}
	code := strconv.Itoa(r.Code)
	last := len(r.Lines) - 1
	parts := make([]string, len(r.Lines))
	for i, line := range r.Lines {
		switch {
		case i == 0 || i == last:
			parts[i] = replyStripCode(line, code, true)
		default:
			parts[i] = replyStripCode(line, code, false)
		}
	}
	return strings.Join(parts, "\n")
}

// replyStripCode removes the "ddd-" prefix (and, when edge is set, the
// "ddd " prefix or a bare "ddd") from line. Lines not carrying code are
// returned unchanged, which also keeps Message safe on hand-built replies.
func replyStripCode(line, code string, edge bool) string {
	if !strings.HasPrefix(line, code) {
		return line
	}
	rest := line[len(code):]
	switch {
	case rest == "" && edge:
		return ""
	case strings.HasPrefix(rest, "-"):
		return rest[1:]
	case strings.HasPrefix(rest, " ") && edge:
		return rest[1:]
	}
	return line
}

// String returns the raw lines joined with "\n", as the server sent them.
func (r *Reply) String() string {
	if r == nil {
		return ""
	}
	return strings.Join(r.Lines, "\n")
}

// Class returns the first digit of the code: 1 preliminary, 2 completion,
// 3 intermediate, 4 transient failure, 5 permanent failure.
func (r *Reply) Class() int {
	return r.Code / 100
}

// ReadReply reads one whole reply from br: either a single line "ddd text"
// or a multi-line reply from "ddd-text" up to a line starting with the same
// "ddd " (a bare "ddd" also ends it). Lines may end in CR LF or a bare LF.
//
// It returns io.EOF, unwrapped, when the stream ends before the first byte
// of a reply, and an error wrapping io.ErrUnexpectedEOF when it ends inside
// one (a last line without its line ending counts as inside). Read errors
// from br are wrapped, so errors.Is/As still see timeouts.
func ReadReply(br *bufio.Reader) (*Reply, error) { return readReply(br, nil) }

// readReply is ReadReply; with each set, the middle lines of a multi-line
// reply go to each as they arrive instead of into Lines (which then holds
// the first and the last line), and neither the line count nor the total
// is limited: one line at a time is held, however long the reply.
func readReply(br *bufio.Reader, each func(line string)) (*Reply, error) {
	total := 0
	first, err := replyReadLine(br, &total)
	if err != nil {
		if err == io.EOF && first == "" {
			return nil, io.EOF
		}
		return nil, replyReadError(err, 0)
	}
	code, multi, ok := replyParseFirst(first)
	if !ok {
		return nil, &malformedReplyError{line: first}
	}
	r := &Reply{Code: code, Lines: []string{first}}
	if !multi {
		return r, nil
	}
	prefix := first[:3]
	for n := 1; ; n++ {
		if each == nil && len(r.Lines) >= maxReplyLines {
			return nil, fmt.Errorf("reply %s has more than %d lines", prefix, maxReplyLines)
		}
		if each != nil {
			total = 0 // the limit is per line
		}
		line, err := replyReadLine(br, &total)
		if err != nil {
			return nil, replyReadError(err, n)
		}
		if line == prefix || (len(line) >= 4 && line[:3] == prefix && line[3] == ' ') {
			r.Lines = append(r.Lines, line)
			return r, nil
		}
		if each != nil {
			each(line)
		} else {
			r.Lines = append(r.Lines, line)
		}
	}
}

// malformedReplyError is a reply line without a code. It keeps the line
// whole so that the Conn can mask its secrets in it before it is cut to
// length (a cut could leave the start of a password); Error quotes it
// with %q, which writes every control character as an escape.
type malformedReplyError struct{ line string }

func (e *malformedReplyError) Error() string {
	return fmt.Sprintf("malformed reply line %q", replyTruncate(e.line, 80))
}

// replyReadError turns a read error into the error ReadReply returns,
// mapping EOF to io.ErrUnexpectedEOF because we are inside a reply.
func replyReadError(err error, lines int) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if lines == 0 {
		return fmt.Errorf("reading reply: %w", err)
	}
	return fmt.Errorf("reading reply after %d lines: %w", lines, err)
}

// replyReadLine reads one line with at most maxReplyLineLen bytes of
// content, stripping the LF and one CR before it. It never holds more
// than the limit (plus one bufio buffer) in memory. total counts the bytes
// of the whole reply so far; the line is returned on io.EOF so the caller
// can tell "nothing read" from "cut short".
func replyReadLine(br *bufio.Reader, total *int) (string, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxReplyLineLen+2 { // +2 for CR LF
			return "", replyLineTooLong()
		}
		*total += len(chunk)
		if *total > maxReplyBytes {
			return "", fmt.Errorf("reply longer than %d bytes", maxReplyBytes)
		}
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return string(buf), err
		}
		break
	}
	buf = buf[:len(buf)-1] // the LF ReadSlice stopped at
	if n := len(buf); n > 0 && buf[n-1] == '\r' {
		buf = buf[:n-1]
	}
	if len(buf) > maxReplyLineLen {
		return "", replyLineTooLong()
	}
	return string(buf), nil
}

func replyLineTooLong() error {
	return fmt.Errorf("reply line longer than %d bytes", maxReplyLineLen)
}

// replyParseFirst checks that line starts with a code 100-599 followed by
// a space, a '-' (multi-line) or nothing.
func replyParseFirst(line string) (code int, multi bool, ok bool) {
	if len(line) < 3 {
		return 0, false, false
	}
	for i := range 3 {
		if line[i] < '0' || line[i] > '9' {
			return 0, false, false
		}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if code < 100 || code > 599 {
		return 0, false, false
	}
	if len(line) == 3 {
		return code, false, true
	}
	switch line[3] {
	case ' ':
		return code, false, true
	case '-':
		return code, true, true
	}
	return 0, false, false
}

// replyTruncate shortens s to at most n bytes for quoting in errors, so a
// hostile line cannot make an error message huge.
func replyTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
