package script

import (
	"bytes"
	"io"
)

// The line editor (chzyer/readline) knows Ctrl-A and Ctrl-E but not all
// the ways terminals send Home and End: xterm's \e[H and \e[F in one
// mode and \eOH and \eOF in the other, and the \e[1~ \e[4~ (and rxvt's
// \e[7~ \e[8~) of the Linux console, screen and tmux. keyReader turns
// them into Ctrl-A and Ctrl-E before it sees them.

var homeEnd = []struct {
	seq string
	key byte
}{
	{"\x1b[1~", 0x01}, {"\x1b[7~", 0x01}, {"\x1bOH", 0x01}, {"\x1b[H", 0x01},
	{"\x1b[4~", 0x05}, {"\x1b[8~", 0x05}, {"\x1bOF", 0x05}, {"\x1b[F", 0x05},
}

// keyReader rewrites Home and End sequences in what r reads. A read that
// ends inside one keeps that part for the next: a key's bytes may come in
// two reads.
type keyReader struct {
	r    io.Reader
	held []byte // the start of a sequence, from the last read
	out  []byte // rewritten, not yet read
}

func newKeyReader(r io.Reader) *keyReader { return &keyReader{r: r} }

func (k *keyReader) Read(p []byte) (int, error) {
	for len(k.out) == 0 {
		buf := make([]byte, max(len(p), 64))
		n, err := k.r.Read(buf)
		data := append(k.held, buf[:n]...)
		k.held = nil
		if err == nil {
			data, k.held = splitHeld(data)
		}
		k.out = rewriteKeys(data)
		if err != nil {
			if len(k.out) == 0 {
				return 0, err
			}
			break
		}
	}
	n := copy(p, k.out)
	k.out = k.out[n:]
	return n, nil
}

// rewriteKeys replaces each Home and End sequence in b by its control key.
func rewriteKeys(b []byte) []byte {
	if bytes.IndexByte(b, 0x1b) < 0 {
		return b
	}
	var out []byte
	for i := 0; i < len(b); {
		matched := false
		for _, h := range homeEnd {
			if bytes.HasPrefix(b[i:], []byte(h.seq)) {
				out = append(out, h.key)
				i += len(h.seq)
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, b[i])
			i++
		}
	}
	return out
}

// splitHeld cuts off a tail of b that is the start of a Home or End
// sequence (but not the whole of one), to wait for the rest.
func splitHeld(b []byte) (rest, held []byte) {
	i := bytes.LastIndexByte(b, 0x1b)
	if i < 0 || len(b)-i >= 4 {
		return b, nil
	}
	tail := b[i:]
	for _, h := range homeEnd {
		if len(tail) < len(h.seq) && h.seq[:len(tail)] == string(tail) {
			return b[:i], append([]byte(nil), tail...)
		}
	}
	return b, nil
}
