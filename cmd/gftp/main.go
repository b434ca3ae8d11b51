// Command gftp is a scriptable command-line FTP client: pleasant at the
// prompt, a drop-in for ftp(1) in heredoc scripts, and safe under cron.
package main

import (
	"context"
	"os"
	"runtime/debug"
)

func main() {
	// gftp's live heap stays small (listings stream, files are copied by
	// the kernel), so the default GC target (twice the live heap, 4 MB at
	// least) is mostly garbage: half of it keeps the peak RSS of a
	// thousand-file mput 1.5 MB lower, for a few more collections of a
	// tiny heap. A GOGC of the user's wins.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(50)
	}
	// The only os.Exit: everything below returns an exit code, so tests can
	// run the whole program in-process.
	os.Exit(Main(context.Background(), os.Args[1:], StdStreams()))
}
