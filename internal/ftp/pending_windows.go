//go:build windows

package ftp

import (
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// fionread is Winsock's FIONREAD, _IOR('f', 127, u_long): the bytes
// waiting in a socket's receive buffer (x/sys/windows does not name it).
const fionread = 0x4004667f

// pending reports, without waiting, whether the peer has sent bytes that
// are not read yet. Windows has no MSG_DONTWAIT, and Go's sockets there
// are blocking ones driven by overlapped I/O, so a peeking recv could
// wait; FIONREAD only counts. Any failure says "nothing waiting", as on
// a connection that is not a socket.
func pending(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var n, got uint32
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		ioErr = windows.WSAIoctl(windows.Handle(fd), fionread, nil, 0,
			(*byte)(unsafe.Pointer(&n)), uint32(unsafe.Sizeof(n)), &got, nil, 0)
	})
	return err == nil && ioErr == nil && n > 0
}
