package session

import (
	"context"
	"fmt"
	"path"
	"slices"
)

// where is a link's remote directory as gftp knows it without asking:
// the last directory the server named, and the cd commands since. A cd
// costs one round trip, not two (no PWD after each CWD, as lftp); the
// server is asked only when the name is shown, and a reconnect or another
// link gets there by the same steps, which the server resolves as it did
// the first time (symbolic links, "..").
type where struct {
	dir   string   // from PWD; "": the login directory
	moves []string // CWD arguments since, in order; cdup for CDUP
}

// cdup stands for a CDUP among the moves: no CWD argument is empty.
const cdup = ""

// maxMoves bounds the steps kept: past it, the next cd asks PWD.
const maxMoves = 16

func (w where) same(o where) bool { return w.dir == o.dir && slices.Equal(w.moves, o.moves) }

// clone is w with its own moves, for another link.
func (w where) clone() where { return where{dir: w.dir, moves: slices.Clone(w.moves)} }

// known is the directory's name when no step is pending ("" also when it
// is the login directory).
func (w where) known() (string, bool) { return w.dir, len(w.moves) == 0 }

// key names the place for caches: the same for the same steps.
func (w where) key() string {
	k := w.dir
	for _, m := range w.moves {
		switch {
		case m == cdup:
			k = path.Join(k, "..")
		case path.IsAbs(m):
			k = path.Clean(m) // not under k, as path.Join would put it
		default:
			k = path.Join(k, m)
		}
	}
	return k
}

// moved records a successful CWD (or CDUP, cdup). Past maxMoves the link
// asks where it is, so that the steps stay few.
func (l *link) moved(ctx context.Context, arg string) {
	l.cwd.moves = append(l.cwd.moves, arg)
	if len(l.cwd.moves) > maxMoves {
		l.resolve(ctx)
	}
}

// resolve asks the server where the link is (PWD), if a step is pending.
// A failure leaves the steps as they are.
func (l *link) resolve(ctx context.Context) {
	if len(l.cwd.moves) == 0 || l.conn == nil {
		return
	}
	dir, err := l.conn.Pwd(l.s.own(ctx))
	if err != nil {
		l.lost(err)
		return
	}
	l.cwd = where{dir: dir}
}

// after returns the steps that lead from p to w, when w is p and then
// more steps.
func (w where) after(p where) ([]string, bool) {
	if w.dir != p.dir || len(p.moves) > len(w.moves) || !slices.Equal(w.moves[:len(p.moves)], p.moves) {
		return nil, false
	}
	return w.moves[len(p.moves):], true
}

// goTo takes the link from where it is (from) to w: by the steps that
// lead on from there; else by CWD to the named directory, then the steps;
// either way from w's last cd to an absolute directory, when that is
// fewer steps (it gets there from anywhere).
// An idle link's place is always an earlier one of the main link's (steps
// are only added until a PWD names the place), so steps from the login
// directory are only ever asked of a link that is there or on the way.
//
// A link that does not get there is closed: no command may run in another
// directory than the one the user chose. Either way l.cwd is w after, the
// place to reach (again, on the next reconnect).
func (l *link) goTo(ctx context.Context, from, w where) error {
	err := l.walkTo(ctx, from, w)
	if err != nil {
		err = &wayError{err}
		if l.conn != nil {
			l.conn.Close()
		}
		l.conn, l.loggedIn = nil, false
	}
	if !l.cwd.same(w) {
		l.cwd = w.clone()
	}
	return err
}

func (l *link) walkTo(ctx context.Context, from, w where) error {
	moves, ok := w.after(from)
	switch i := lastAbsolute(w.moves); {
	case i >= 0 && (!ok || len(moves) > len(w.moves)-i):
		// A cd to an absolute directory gets there from anywhere: the
		// steps before it need not be taken again.
		moves = w.moves[i:]
	case ok:
	case w.dir == "":
		return fmt.Errorf("lost the way to %s", w.key())
	default:
		if err := l.conn.Cwd(l.s.own(ctx), w.dir); err != nil {
			return fmt.Errorf("back to %s: %w", w.dir, l.check(err))
		}
		moves = w.moves
	}
	for _, m := range moves {
		var err error
		if m == cdup {
			err = l.conn.Cdup(l.s.own(ctx))
		} else {
			err = l.conn.Cwd(l.s.own(ctx), m)
		}
		if err != nil {
			return fmt.Errorf("back to %s: %w", w.key(), l.check(err))
		}
	}
	return nil
}

// lastAbsolute is the index of the last move to an absolute directory;
// -1 for none.
func lastAbsolute(moves []string) int {
	for i := len(moves) - 1; i >= 0; i-- {
		if path.IsAbs(moves[i]) {
			return i
		}
	}
	return -1
}

// wayError is goTo's: the link did not get to its directory.
type wayError struct{ err error }

func (e *wayError) Error() string { return e.err.Error() }
func (e *wayError) Unwrap() error { return e.err }
