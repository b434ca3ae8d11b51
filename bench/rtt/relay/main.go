//go:build linux

// Command relay delays IP packets between two TUN devices, each usually in a
// network namespace of its own: a user-space stand-in for `tc qdisc ... netem
// delay` on kernels built without sch_netem. Every packet read from one
// device is written to the other once -delay has passed since it was read, so
// a ping between the namespaces takes twice -delay plus a few microseconds.
//
// Each direction is a reader goroutine and a writer goroutine joined by a
// FIFO of at most -queue packets; the writer sleeps on one timer until the
// head of the FIFO is due. The delay is the same for every packet, so FIFO
// order is due order: packets leave in the order they came, and a burst costs
// no goroutines and no allocation (the packet buffers are allocated once).
// When the FIFO is full, new packets are dropped, as a router's full queue
// would drop them; the counts are printed at exit.
//
// Usage:
//
//	relay -a gftp-rtt-c:rtt0 -b gftp-rtt-s:rtt0 -delay 20ms
//
// Each end is NETNS:DEVICE, where NETNS is a name from `ip netns` (a file in
// /run/netns), a path to a namespace file, or empty for the relay's own
// namespace. The devices must exist (`ip tuntap add mode tun name rtt0`,
// which makes them without packet information headers); the relay attaches to
// them, prints "ready" on stderr, and runs until SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("relay: ")
	a := flag.String("a", "", "first end, `NETNS:DEVICE`")
	b := flag.String("b", "", "second end, `NETNS:DEVICE`")
	delay := flag.Duration("delay", 20*time.Millisecond, "one-way delay, each direction (the round trip is twice this)")
	queue := flag.Int("queue", 4096, "packets each direction may hold; more are dropped")
	mtu := flag.Int("mtu", 1500, "largest packet, in bytes (the devices' MTU); larger ones are dropped")
	flag.Parse()
	if *a == "" || *b == "" || flag.NArg() > 0 || *delay < 0 || *queue < 1 || *mtu < 68 || *mtu > 65535 {
		flag.Usage()
		os.Exit(2)
	}
	ta, err := openEnd(*a)
	if err != nil {
		log.Fatal(err)
	}
	tb, err := openEnd(*b)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, fail := context.WithCancelCause(ctx)
	dirs := []*direction{
		newDirection(*a+" -> "+*b, ta, tb, *delay, *queue, *mtu),
		newDirection(*b+" -> "+*a, tb, ta, *delay, *queue, *mtu),
	}
	var wg sync.WaitGroup
	for _, d := range dirs {
		wg.Go(func() { d.read(ctx, fail) })
		wg.Go(func() { d.write(ctx) })
	}
	log.Printf("%s <-> %s, %v each way: ready", *a, *b, *delay)

	<-ctx.Done()
	// Closing the devices ends the readers' blocked reads; the writers
	// watch ctx. Packets still queued are dropped.
	ta.Close()
	tb.Close()
	wg.Wait()
	for _, d := range dirs {
		log.Print(d.stats())
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// openEnd opens the TUN device of spec ("NETNS:DEVICE") from inside its
// namespace. The returned file is non-blocking, so it is served by Go's
// poller and Close interrupts a pending Read.
func openEnd(spec string) (*os.File, error) {
	ns, dev, ok := strings.Cut(spec, ":")
	if !ok || dev == "" || len(dev) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("%q: want NETNS:DEVICE", spec)
	}
	if ns != "" && !strings.Contains(ns, "/") {
		ns = filepath.Join("/run/netns", ns)
	}
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	// A goroutine of its own, locked to its thread while that thread is in
	// the other namespace. If the thread cannot go back, the goroutine ends
	// still locked, and the runtime discards the thread.
	go func() {
		runtime.LockOSThread()
		f, restored, err := openIn(ns, dev)
		if restored {
			runtime.UnlockOSThread()
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", spec, err)
		}
		ch <- result{f, err}
	}()
	r := <-ch
	return r.f, r.err
}

// openIn runs on a locked thread: it enters the namespace at path ns (none
// if empty), attaches to the TUN device dev, and goes back. restored says
// whether the thread is in its first namespace again.
func openIn(ns, dev string) (f *os.File, restored bool, err error) {
	if ns != "" {
		self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, true, err
		}
		defer unix.Close(self)
		target, err := unix.Open(ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, true, err
		}
		err = unix.Setns(target, unix.CLONE_NEWNET)
		unix.Close(target)
		if err != nil {
			return nil, true, fmt.Errorf("setns %s: %w", ns, err)
		}
		defer func() { restored = unix.Setns(self, unix.CLONE_NEWNET) == nil }()
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, true, err
	}
	ifr, err := unix.NewIfreq(dev)
	if err == nil {
		ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
		err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
	}
	if err != nil {
		unix.Close(fd)
		return nil, true, fmt.Errorf("attach to TUN device %s: %w", dev, err)
	}
	return os.NewFile(uintptr(fd), dev), true, nil
}

type packet struct {
	buf []byte // mtu+1 bytes: a read that fills it was a larger packet
	n   int
	due time.Time
}

// direction moves packets from in to out, each one delay after it was read.
type direction struct {
	name    string
	in, out *os.File
	delay   time.Duration
	fifo    chan *packet // queued, oldest first
	free    chan *packet // unused buffers; fifo and free hold them all

	forwarded, full, oversize, writeErrs atomic.Uint64
	maxDepth                             atomic.Int64
	lateSum, lateMax                     atomic.Int64  // nanoseconds past due, at the end of each write
	lateMs                               atomic.Uint64 // packets written over a millisecond late
}

func newDirection(name string, in, out *os.File, delay time.Duration, queue, mtu int) *direction {
	d := &direction{name: name, in: in, out: out, delay: delay,
		fifo: make(chan *packet, queue), free: make(chan *packet, queue)}
	bufs := make([]byte, queue*(mtu+1))
	for i := range queue {
		d.free <- &packet{buf: bufs[i*(mtu+1) : (i+1)*(mtu+1) : (i+1)*(mtu+1)]}
	}
	return d
}

// read queues each packet from in; a packet read with no free buffer (the
// FIFO is full) is dropped. An error other than the device's closing stops
// the relay.
func (d *direction) read(ctx context.Context, fail context.CancelCauseFunc) {
	p := <-d.free // the loop below starts with this buffer
	scratch := make([]byte, len(p.buf))
	for {
		if p == nil {
			select {
			case p = <-d.free:
			default:
			}
		}
		buf := scratch
		if p != nil {
			buf = p.buf
		}
		n, err := d.in.Read(buf)
		if err != nil {
			if ctx.Err() == nil {
				fail(fmt.Errorf("%s: read: %w", d.name, err))
			}
			return
		}
		switch {
		case p == nil:
			d.full.Add(1)
		case n == len(buf):
			d.oversize.Add(1)
		default:
			p.n, p.due = n, time.Now().Add(d.delay)
			d.fifo <- p // never blocks: there are only cap(d.fifo) packets
			p = nil
			if depth := int64(len(d.fifo)); depth > d.maxDepth.Load() {
				d.maxDepth.Store(depth)
			}
		}
	}
}

// write sends each queued packet to out when it is due. A write error (the
// other device is down, say) loses that packet only.
//
// Go's timers can fire up to a millisecond late (the runtime's poller
// sleeps in whole milliseconds), which would add up to 2 ms to a round
// trip. So the timer only brings the writer to within slack of the due
// time, and nanosleep(2), which the kernel's high-resolution timers serve to
// tens of microseconds, covers the rest: it holds this goroutine's thread
// for at most slack.
func (d *direction) write(ctx context.Context) {
	const slack = 2 * time.Millisecond
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var p *packet
		select {
		case p = <-d.fifo:
		case <-ctx.Done():
			return
		}
		if wait := time.Until(p.due); wait > slack {
			timer.Reset(wait - slack)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		if wait := time.Until(p.due); wait > 0 {
			ts := unix.NsecToTimespec(int64(wait))
			for unix.Nanosleep(&ts, &ts) == unix.EINTR {
			}
		}
		if _, err := d.out.Write(p.buf[:p.n]); err != nil {
			d.writeErrs.Add(1)
		} else {
			d.forwarded.Add(1)
			late := int64(time.Since(p.due))
			d.lateSum.Add(late)
			if late > int64(time.Millisecond) {
				d.lateMs.Add(1)
			}
			if late > d.lateMax.Load() {
				d.lateMax.Store(late)
			}
		}
		d.free <- p
	}
}

func (d *direction) stats() string {
	return fmt.Sprintf("%s: %d packets forwarded, %d dropped (queue full), %d dropped (over MTU), %d write errors, at most %d queued, written %v late on average (at most %v; %d over 1ms late)",
		d.name, d.forwarded.Load(), d.full.Load(), d.oversize.Load(), d.writeErrs.Load(), d.maxDepth.Load(),
		time.Duration(d.lateSum.Load()/max(1, int64(d.forwarded.Load()))).Round(time.Microsecond), time.Duration(d.lateMax.Load()).Round(time.Microsecond), d.lateMs.Load())
}
