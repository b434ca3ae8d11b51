// Command hostile serves testserver.Hostile on 127.0.0.1 for benchmarks:
// a listing of -lines generated files (LIST, no MLSD), so that a client's
// memory while it globs a huge listing can be measured from outside
// (bench/listing.sh). It prints "port N" and serves until killed.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/gftp/gftp/internal/testserver"
)

func main() {
	lines := flag.Int("lines", 3_000_000, "entries in the listing")
	flag.Parse()
	h, err := testserver.StartHostile(testserver.HostileOptions{
		NoSize: true,
		Listing: func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 64<<10)
			for i := range *lines {
				fmt.Fprintf(bw, "-rw-r--r--   1 ftp      ftp          1234 Jan 01 12:00 file%08d.dat\r\n", i)
			}
			return bw.Flush()
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("port %d\n", h.Port())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	h.Close()
}
