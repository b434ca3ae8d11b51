package ftp

import (
	"net"

	"golang.org/x/sys/unix"
)

// unsent returns the bytes of tc's send queue the peer has not yet
// acknowledged (SIOCOUTQ), and whether it could tell.
func unsent(tc *net.TCPConn) (int, bool) {
	rc, err := tc.SyscallConn()
	if err != nil {
		return 0, false
	}
	n, ierr := 0, error(nil)
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) }); err != nil || ierr != nil {
		return 0, false
	}
	return n, true
}
