//go:build windows

package main

import "os"

// openTTY opens the console, Windows' /dev/tty: its input buffer (read
// and written, as term.ReadPassword sets its mode) and its output buffer.
// A process with no console (a scheduled task) fails here.
func openTTY() (*tty, error) {
	in, err := os.OpenFile("CONIN$", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		in.Close()
		return nil, err
	}
	return &tty{in: in, out: out}, nil
}
