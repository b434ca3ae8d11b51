//go:build unix

package ftp

import (
	"testing"

	"golang.org/x/sys/unix"
)

// refusingPort is a port on 127.0.0.1 that refuses connections for the
// whole test: a socket bound to it and never listening holds it, so that
// no other listener (this test's own next data port, another package's
// test) can take it between the test's choice and the client's dial.
func refusingPort(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return sa.(*unix.SockaddrInet4).Port
}
