package ftp

import (
	"bytes"
	"time"
)

// maxListingLine bounds one line of a listing that ListingWriter parses:
// far longer than any real entry (a name is at most a few KiB), so a
// longer line is a broken or hostile server's, and is skipped.
const maxListingLine = 64 << 10

// ListingWriter parses a listing as it streams in, for a data connection
// to be copied into: each entry goes to fn as soon as its line is whole,
// and no more than one line is held. A listing of millions of lines costs
// no more memory than one of ten, so a client can look for a few names in
// it without keeping it.
type ListingWriter struct {
	parse func(line string) (Entry, bool)
	fn    func(Entry)
	line  []byte
	long  bool // the current line passed maxListingLine: skip it
}

// NewListingWriter parses MLSD lines (mlsd) or LIST lines (Unix or
// Windows form, dated against now), skipping the same lines as ParseMLSD
// and ParseList.
func NewListingWriter(mlsd bool, now time.Time, fn func(Entry)) *ListingWriter {
	parse := func(line string) (Entry, bool) { return listLine(line, now) }
	if mlsd {
		parse = mlsdLine
	}
	return &ListingWriter{parse: parse, fn: fn}
}

// Write takes the next bytes of the listing.
func (w *ListingWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if !w.long && len(w.line)+len(chunk) > maxListingLine {
			w.long, w.line = true, w.line[:0]
		}
		if !w.long {
			w.line = append(w.line, chunk...)
		}
		if i < 0 {
			break
		}
		w.endLine()
		p = p[i+1:]
	}
	return n, nil
}

// Close parses a last line that had no line end.
func (w *ListingWriter) Close() error {
	if len(w.line) > 0 || w.long {
		w.endLine()
	}
	return nil
}

func (w *ListingWriter) endLine() {
	if !w.long {
		if e, ok := w.parse(string(w.line)); ok {
			w.fn(e)
		}
	}
	w.line, w.long = w.line[:0], false
}
