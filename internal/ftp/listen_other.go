//go:build !linux

package ftp

import (
	"net"
	"net/netip"
)

// listenAnyPort listens on local at a port the system picks.
func listenAnyPort(local netip.Addr) (*net.TCPListener, error) {
	return net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
}
