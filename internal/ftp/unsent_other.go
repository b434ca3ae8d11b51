//go:build !linux

package ftp

import "net"

// unsent cannot read the send queue here: the reply timeout alone bounds
// the end of an upload.
func unsent(*net.TCPConn) (int, bool) { return 0, false }
