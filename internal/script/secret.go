package script

import (
	"sync"
	"unicode"

	"github.com/chzyer/readline"
)

// secretInput collects a password from readline's input filter while on:
// the runes are kept here and readline gets a no-op key (cursor left on an
// empty line) in their place, so its line buffer, screen and history never
// hold them. Dropping runes instead would make readline kick its reader
// once too often and hang its Close. Enter, ^C and ^D still reach
// readline, to end the prompt.
type secretInput struct {
	mu  sync.Mutex // the filter runs on readline's input goroutine
	on  bool
	buf []rune
}

func (p *secretInput) start() {
	p.mu.Lock()
	p.on, p.buf = true, nil
	p.mu.Unlock()
}

// stop ends collection and returns what was typed.
func (p *secretInput) stop() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := string(p.buf)
	p.on, p.buf = false, nil
	return s
}

func (p *secretInput) filter(r rune) (rune, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.on {
		return r, true
	}
	switch r {
	case readline.CharEnter, readline.CharCtrlJ, readline.CharInterrupt, readline.CharDelete:
		return r, true
	case readline.CharBackspace, readline.CharCtrlH:
		if len(p.buf) > 0 {
			p.buf = p.buf[:len(p.buf)-1]
		}
	default:
		if !unicode.IsControl(r) {
			p.buf = append(p.buf, r)
		}
	}
	return readline.CharBackward, true
}
