// Command gftp is a scriptable command-line FTP client: pleasant at the
// prompt, a drop-in for ftp(1) in heredoc scripts, and safe under cron.
package main

import (
	"context"
	"os"
)

func main() {
	// The only os.Exit: everything below returns an exit code, so tests can
	// run the whole program in-process.
	os.Exit(Main(context.Background(), os.Args[1:], StdStreams()))
}
