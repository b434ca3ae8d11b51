package session

import (
	"bufio"
	"io"
)

// ASCII type (TYPE A) sends lines ending in CR LF on the wire (RFC 959
// §3.1.1.1); these convert to and from the local LF convention.

// crlfToLF writes what it is given with each CR LF turned into LF. A CR at
// the end of one Write is held until the next byte shows what follows it.
type crlfToLF struct {
	w      *bufio.Writer
	pendCR bool
}

func newCRLFToLF(w io.Writer) *crlfToLF { return &crlfToLF{w: bufio.NewWriter(w)} }

func (c *crlfToLF) Write(p []byte) (int, error) {
	for _, b := range p {
		if c.pendCR {
			c.pendCR = false
			if b != '\n' {
				if err := c.w.WriteByte('\r'); err != nil {
					return 0, err
				}
			}
		}
		if b == '\r' {
			c.pendCR = true
			continue
		}
		if err := c.w.WriteByte(b); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes a held CR and everything buffered.
func (c *crlfToLF) Flush() error {
	if c.pendCR {
		c.pendCR = false
		if err := c.w.WriteByte('\r'); err != nil {
			return err
		}
	}
	return c.w.Flush()
}

// lfToCRLF reads with each bare LF turned into CR LF.
type lfToCRLF struct {
	r      *bufio.Reader
	prevCR bool
	pendLF bool
}

func newLFToCRLF(r io.Reader) *lfToCRLF { return &lfToCRLF{r: bufio.NewReader(r)} }

func (l *lfToCRLF) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if l.pendLF {
			p[n] = '\n'
			n++
			l.pendLF = false
			continue
		}
		b, err := l.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b == '\n' && !l.prevCR {
			p[n] = '\r'
			n++
			l.pendLF = true
			l.prevCR = false
			continue
		}
		l.prevCR = b == '\r'
		p[n] = b
		n++
	}
	return n, nil
}
