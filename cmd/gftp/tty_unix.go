//go:build !windows

package main

import "os"

// openTTY opens the controlling terminal, which is there even when stdin
// and stdout are a heredoc and a pipe; under cron there is none, and the
// open fails.
func openTTY() (*tty, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &tty{in: f, out: f}, nil
}
