package session

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"

	"github.com/gftp/gftp/internal/safe"
)

// Printer owns the session's stdout and stderr (and the log): transcript
// lines, warnings and log lines all go through it, each written whole
// under one lock, so that lines from parallel transfers never interleave
// mid-line. Text that may quote the server is made safe (package safe) on
// the way out. Whether stdout and stderr are terminals is known to it, and
// tests claim either, as gh's iostreams lets them.
type Printer struct {
	mu     sync.Mutex
	out    io.Writer // stdout, through safe
	err    io.Writer // stderr, through safe
	raw    io.Writer // stdout itself, for listings the user pipes on
	log    io.Writer // the log, through safe; nil when there is none
	rawErr io.Writer // stderr itself, for the progress bars
	outTTY bool
	errTTY bool
	now    func() time.Time
	// prog draws the progress bars on stderr, while bars > 0 of them show;
	// lines printed meanwhile go through it, above the bars.
	prog *mpb.Progress
	bars int
}

// Streams are where a Printer writes.
type Streams struct {
	Out, Err       io.Writer // nil: discarded
	OutTTY, ErrTTY bool      // whether Out and Err are terminals
	Log            io.Writer // --log, or nil
}

// NewPrinter makes a Printer over st.
func NewPrinter(st Streams) *Printer {
	if st.Out == nil {
		st.Out = io.Discard
	}
	if st.Err == nil {
		st.Err = io.Discard
	}
	p := &Printer{
		out: safe.NewWriter(st.Out), err: safe.NewWriter(st.Err), raw: st.Out, rawErr: st.Err,
		outTTY: st.OutTTY, errTTY: st.ErrTTY, now: time.Now,
	}
	if st.Log != nil {
		p.log = safe.NewWriter(st.Log)
	}
	return p
}

// Printf writes to the transcript (stdout).
func (p *Printer) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.outNow(), format, args...)
}

// Warnf writes a one-line notice to stderr: "gftp: ...".
func (p *Printer) Warnf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.errNow(), "gftp: "+format+"\n", args...)
}

// outNow is where transcript text goes now: above the progress bars when
// they show on the same terminal, else stdout. (Under mu.)
func (p *Printer) outNow() io.Writer {
	if p.prog != nil && p.outTTY {
		return safe.NewWriter(p.prog)
	}
	return p.out
}

// errNow is where a notice goes now: above the progress bars when they
// show, else stderr. (Under mu.)
func (p *Printer) errNow() io.Writer {
	if p.prog != nil {
		return safe.NewWriter(p.prog)
	}
	return p.err
}

// Logf appends a timestamped line to the log, if there is one.
func (p *Printer) Logf(format string, args ...any) {
	if p.log == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.log, "%s %s\n", p.now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

// Stderr is a writer of whole lines to stderr, for the runners' error
// lines.
func (p *Printer) Stderr() io.Writer { return lockedWriter{p, p.err} }

// Stdout is a writer to the transcript.
func (p *Printer) Stdout() io.Writer { return lockedWriter{p, p.out} }

// OutTTY reports whether stdout is a terminal.
func (p *Printer) OutTTY() bool { return p.outTTY }

// ErrTTY reports whether stderr is a terminal.
func (p *Printer) ErrTTY() bool { return p.errTTY }

// Bell rings the terminal's bell (tnftp's bell), when stdout is one.
func (p *Printer) Bell() {
	if p.outTTY {
		p.mu.Lock()
		defer p.mu.Unlock()
		io.WriteString(p.raw, "\a")
	}
}

// Listing returns where a listing shown on stdout goes, and what to call
// at its end. It is the server's text: at a terminal its control
// characters are made visible (as ls(1) does with -q), while a pipe gets
// it byte for byte.
func (p *Printer) Listing() (io.Writer, func() error) {
	if !p.outTTY {
		return lockedWriter{p, p.raw}, func() error { return nil }
	}
	stream := safe.NewStream(lockedWriter{p, p.raw})
	return stream, stream.Flush
}

type lockedWriter struct {
	p *Printer
	w io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	// (Listings and the runners' lines; no bar shows while they print.)
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	return l.w.Write(b)
}

// transcript is where an operation's transcript lines go: the Printer, or
// a Section that holds one file's lines of a parallel command.
type transcript interface {
	Printf(format string, args ...any)
}

// Section holds the transcript lines of one part of a parallel command
// (one file) and prints them together when it ends, so that each file's
// lines appear whole, in the order the files finish.
type Section struct {
	p   *Printer
	buf bytes.Buffer
}

// Section starts a Section.
func (p *Printer) Section() *Section { return &Section{p: p} }

// Printf adds to the section.
func (s *Section) Printf(format string, args ...any) { fmt.Fprintf(&s.buf, format, args...) }

// End prints the section's lines.
func (s *Section) End() {
	if s.buf.Len() == 0 {
		return
	}
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.outNow().Write(s.buf.Bytes())
	s.buf.Reset()
}
