// Command gftp is a scriptable command-line FTP client: pleasant at the
// prompt, a drop-in for ftp(1) in heredoc scripts, and safe under cron.
package main

import (
	"context"
	"os"
	"runtime"
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
	// One processor: gftp waits on the network and lets the kernel move
	// plaintext data, and one core decrypts TLS faster than links run.
	// With more, idle processors spin looking for work each time a read
	// blocks, taking CPU from the rest of the machine (on a 2-core VM
	// against a local vsftpd, a TLS download took 1.78 s at the median
	// with two, 1.31 s with one). A GOMAXPROCS of the user's wins.
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(1)
	}
	// The only os.Exit: everything below returns an exit code, so tests can
	// run the whole program in-process.
	os.Exit(Main(context.Background(), os.Args[1:], StdStreams()))
}
