package session

import (
	"io"
	"strings"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gftp/gftp/internal/safe"
)

// meter counts one transfer's local bytes: for the byte count and rate
// ftp(1) prints (local bytes, so ASCII mode's CR LF on the wire does not
// inflate it), for the progress bar, and for hash marks.
type meter struct {
	n     int64    // all bytes moved, over every try
	known bool     // the total was set
	bar   *mpb.Bar // nil: no bar
	p     *Printer
	t     transcript
	hash  int64 // bytes per hash mark; 0: none
	marks int64
}

// newMeter starts counting a transfer of name that begins at byte from of
// total bytes (total < 0: not known yet). A bar is drawn when the
// progress option is on and stderr is a terminal.
func (s *Session) newMeter(t transcript, name string, from, total int64) *meter {
	m := &meter{p: s.p, t: t, hash: int64(s.opts.Hash)}
	if s.opts.Progress && s.p.errTTY {
		m.bar = s.p.addBar(name, from, total)
	}
	return m
}

// add counts n more bytes.
func (m *meter) add(n int64) {
	m.n += n
	if m.bar != nil {
		m.bar.IncrInt64(n)
	}
	if m.hash > 0 {
		if marks := m.n / m.hash; marks > m.marks {
			m.t.Printf("%s", strings.Repeat("#", int(marks-m.marks)))
			m.marks = marks
		}
	}
}

// setTotal tells the bar how big the transfer is, once that is known.
func (m *meter) setTotal(total int64) {
	if m.bar != nil && total >= 0 {
		m.bar.SetTotal(total, false)
		m.known = true
	}
}

// restart shows a new try starting at byte from (0 after a restart, the
// resume offset after a resume).
func (m *meter) restart(from int64) {
	if m.bar != nil {
		m.bar.SetCurrent(from)
	}
}

// end ends the bar (removed, as the transcript's byte count line says the
// rest) and the line of hash marks.
func (m *meter) end() {
	if m.marks > 0 {
		m.t.Printf("\n")
		m.marks = 0
	}
	if m.bar != nil {
		m.p.endBar(m.bar)
		m.bar = nil
	}
}

// writer counts what goes through w.
func (m *meter) writer(w io.Writer) io.Writer { return meteredWriter{w, m} }

// reader counts what comes through r.
func (m *meter) reader(r io.Reader) io.Reader { return meteredReader{r, m} }

type meteredWriter struct {
	w io.Writer
	m *meter
}

func (w meteredWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.m.add(int64(n))
	return n, err
}

type meteredReader struct {
	r io.Reader
	m *meter
}

func (r meteredReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.m.add(int64(n))
	return n, err
}

// addBar adds a progress bar for name, starting the container (mpb) when
// it is the first: while bars show, the printer's lines go above them.
func (p *Printer) addBar(name string, from, total int64) *mpb.Bar {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prog == nil {
		p.prog = mpb.New(mpb.WithOutput(p.rawErr), mpb.WithAutoRefresh(), mpb.WithWidth(30))
	}
	p.bars++
	bar := p.prog.New(max(total, 0), mpb.BarStyle().Lbound("[").Rbound("]"),
		mpb.PrependDecorators(decor.Name(safe.Visible(name), decor.WCSyncSpaceR)),
		mpb.AppendDecorators(
			decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
			decor.Percentage(decor.WCSyncSpace),
			decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace),
			decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace),
		),
		mpb.BarRemoveOnComplete(),
	)
	if from > 0 {
		bar.SetCurrent(from)
	}
	return bar
}

// endBar removes a bar, and ends the container with the last one, so
// that the screen is the printer's alone again.
func (p *Printer) endBar(bar *mpb.Bar) {
	bar.Abort(true) // drop it now, complete or not
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bars--
	if p.bars == 0 {
		p.prog.Wait()
		p.prog = nil
	}
}
