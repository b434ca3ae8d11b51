package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/gftp/gftp/internal/ftp"
)

// The retry policy: which failures may pass when tried again.
func TestTransient(t *testing.T) {
	reply := func(code int) error {
		return &ftp.ReplyError{Command: "RETR", Reply: &ftp.Reply{Code: code, Lines: []string{fmt.Sprint(code, " x")}}}
	}
	netErr := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	localErr := &fs.PathError{Op: "open", Path: "/nonexistent/x", Err: syscall.ENOENT}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"450 busy", reply(450), true},
		{"421 closing", fmt.Errorf("get: %w", reply(421)), true},
		{"550 refused", reply(550), false},
		{"530 not logged in", reply(530), false},
		{"connection lost", fmt.Errorf("x: %w", ftp.ErrClosed), true},
		{"no reply in time", fmt.Errorf("no reply: %w: %w", ftp.ErrTimeout, ftp.ErrClosed), true},
		{"stalled", fmt.Errorf("copy: %w", ftp.ErrStalled), true},
		{"reset on the data connection", fmt.Errorf("download: %w", netErr), true},
		{"reconnect failed", &ConnectError{Err: errors.New("refused")}, true},
		{"interrupted", fmt.Errorf("x: %w", context.Canceled), false},
		{"stopped by the time limit", &Stopped{Reason: "stopped"}, false},
		{"interrupted while a reply was owed", fmt.Errorf("%w: %w", context.Canceled, ftp.ErrClosed), false},
		{"a data connection that cannot be made", &ftp.DataConnError{Mode: ftp.Passive, Err: errors.New("refused")}, false},
		{"a local file (ENOENT looks like a net.Error)", fmt.Errorf("local file: %w", localErr), false},
		{"a full local disk", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, false},
		{"local os.ErrNotExist", os.ErrNotExist, false},
		{"a broken upload the server then refused for good", ftp.BrokenBecause(netErr, reply(550)), false},
		{"a broken upload the server then aborted", ftp.BrokenBecause(netErr, reply(426)), true},
		{"a broken upload the server said nothing of", ftp.BrokenBecause(netErr, ftp.ErrClosed), true},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%s: %v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

// A data connection that fails after data connections worked in this
// session is a passing network fault, and tried again.
func TestTransientDataConnAfterWorked(t *testing.T) {
	de := &ftp.DataConnError{Mode: ftp.Passive, Err: errors.New("refused")}
	s := &Session{}
	if s.transient(de) {
		t.Error("a data connection failure counts as transient before any worked")
	}
	s.dataWorked = true
	if !s.transient(de) {
		t.Error("a data connection failure after one worked is not retried")
	}
	if s.transient(fmt.Errorf("%w: %w", de, context.Canceled)) {
		t.Error("an interrupted data connection is retried")
	}
}

// Timeouts that each come after some bytes moved are a network that drops
// out now and then, and are tried again, even when a try starts over from
// byte 0 (the count is of bytes moved, not the file's position). Two in a
// row with nothing moved between them are a stuck server.
func TestStuckServer(t *testing.T) {
	stall := fmt.Errorf("copy: %w", ftp.ErrStalled)
	noReply := fmt.Errorf("x: %w", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded})
	timeout := fmt.Errorf("no reply: %w", ftp.ErrTimeout)
	for _, tc := range []struct {
		name  string
		steps []struct {
			err   error
			moved int64
		}
		want []bool
	}{
		{"moving between stalls", []struct {
			err   error
			moved int64
		}{{stall, 1000}, {stall, 1800}, {stall, 2400}, {stall, 2401}}, []bool{false, false, false, false}},
		{"stuck", []struct {
			err   error
			moved int64
		}{{stall, 0}, {stall, 0}}, []bool{false, true}},
		{"no reply twice", []struct {
			err   error
			moved int64
		}{{timeout, 5}, {timeout, 5}}, []bool{false, true}},
		{"another failure between", []struct {
			err   error
			moved int64
		}{{timeout, 5}, {noReply, 5}, {timeout, 5}}, []bool{false, false, false}},
	} {
		k := stuckServer{last: -1}
		for i, st := range tc.steps {
			if got := k.after(st.err, st.moved); got != tc.want[i] {
				t.Errorf("%s: step %d (%v, %d moved): stuck = %v, want %v", tc.name, i, st.err, st.moved, got, tc.want[i])
			}
		}
	}
}
