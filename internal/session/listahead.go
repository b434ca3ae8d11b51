package session

import (
	"context"
	"sync"

	"github.com/gftp/gftp/internal/ftp"
)

// listAhead lists the directories of a remote walk ahead of it, on a
// parallel command's extra links. A listing costs a few round trips
// (EPSV, the data connection, LIST and its 226), so over a slow link a
// tree of many directories listed one after the other spends most of its
// time waiting; listed several at once, siblings cost about one listing.
//
// The walk (walkRemote) still takes each directory's entries in its own
// order, parents before children: it says which subdirectories it will
// go into (want), and when it gets to one, it takes the listing an extra
// link made (claim), or lists the directory on its own link if no extra
// link has started on it. The extra links come from the command's ahead
// (use) as they log in, and go back to it when the walk ends (close), for
// the transfers.
type listAhead struct {
	s    *Session
	ctx  context.Context
	stop context.CancelFunc // of the waits for links still logging in

	mu     sync.Mutex
	cond   *sync.Cond // a listing queued, or closed
	queue  []*dirListing
	byDir  map[string]*dirListing
	closed bool
	back   []opened // links (and failed opens) for the ahead, at close

	wg sync.WaitGroup
}

// dirListing is one directory's listing by an extra link: the raw
// entries, in the server's order, or the failure.
type dirListing struct {
	dir     string
	taken   bool // by an extra link, or left to the walk
	done    chan struct{}
	entries []ftp.Entry
	err     error
	l       *link // the link that listed it
}

func newListAhead(ctx context.Context, s *Session) *listAhead {
	p := &listAhead{s: s, ctx: ctx, byDir: map[string]*dirListing{}}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// use takes the links a (opening n-1 of them) opens, each as it is ready,
// and lists queued directories on it until close.
func (p *listAhead) use(a *ahead, n int) {
	if p == nil || a == nil {
		return
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return // the walk is over: the links are the transfers'
	}
	ctx, stop := context.WithCancel(p.ctx)
	p.stop = stop
	for range n - 1 {
		p.wg.Go(func() {
			l, err := a.next(ctx)
			if err != nil {
				if ctx.Err() == nil {
					p.giveBack(opened{nil, err}) // the transfers report it
				}
				return
			}
			p.work(l)
			p.giveBack(opened{l, nil})
		})
	}
}

func (p *listAhead) giveBack(o opened) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.back = append(p.back, o)
}

// work lists queued directories on l until close.
func (p *listAhead) work(l *link) {
	l.walking = true
	defer l.endWalk()
	for {
		d := p.take()
		if d == nil {
			return
		}
		sec := p.s.p.Section() // its replies shown whole, at -v
		d.l = l
		d.err = l.scanEntries(p.s.shownTo(p.ctx, sec), d.dir, func(e ftp.Entry) {
			d.entries = append(d.entries, e)
		})
		sec.End()
		close(d.done)
	}
}

// take waits for a directory nobody has taken; nil once closed.
func (p *listAhead) take() *dirListing {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.closed {
			return nil // what is still queued, the walk no longer wants
		}
		for len(p.queue) > 0 {
			d := p.queue[0]
			p.queue = p.queue[1:]
			if !d.taken {
				d.taken = true
				return d
			}
		}
		p.cond.Wait()
	}
}

// want queues the listings of dirs, which the walk will go into.
func (p *listAhead) want(dirs []string) {
	if p == nil || len(dirs) < 2 {
		return // one directory: the walk lists it at once itself
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	for _, dir := range dirs {
		d := &dirListing{dir: dir, done: make(chan struct{})}
		p.queue = append(p.queue, d)
		p.byDir[dir] = d
	}
	p.cond.Broadcast()
}

// claim returns the listing of dir an extra link has made or is making,
// or nil when none has started on it: then the walk lists it itself.
func (p *listAhead) claim(dir string) *dirListing {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	d := p.byDir[dir]
	delete(p.byDir, dir)
	if d == nil || !d.taken {
		if d != nil {
			d.taken = true // no extra link starts on it now
		}
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	<-d.done
	return d
}

// close ends the listing ahead: it waits for the listings under way and
// gives the links back to a, for the transfers.
func (p *listAhead) close(a *ahead) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	if p.stop != nil {
		p.stop()
	}
	p.wg.Wait()
	for _, o := range p.back {
		a.put(o)
	}
	p.back = nil
}
