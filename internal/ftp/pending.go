//go:build unix

package ftp

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// pending reports, without waiting, whether the peer has sent bytes that
// are not read yet. (A read with a deadline in the past fails before it
// looks at the socket, so Go offers no other way to ask.)
func pending(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var n int
	rc.Read(func(fd uintptr) bool {
		var buf [1]byte
		n, _, _ = unix.Recvfrom(int(fd), buf[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		return true // never wait
	})
	return n > 0
}
