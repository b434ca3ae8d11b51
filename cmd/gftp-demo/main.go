// Command gftp-demo runs the classic nightly-backup heredoc through gftp in
// active mode against an embedded local FTP server, and prints the
// transcript and what the server holds before and after. `make demo` runs it.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/gftp/gftp/internal/testserver"
)

func main() {
	if err := run(os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "gftp-demo: %v\n", err)
		os.Exit(1)
	}
}

func run(out, errw io.Writer) error {
	bin := flag.String("gftp", "bin/gftp", "the gftp binary to run")
	serve := flag.String("serve", "", "only serve `DIR` on -listen until interrupted (for benchmarks)")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on with -serve")
	flag.Parse()
	if *serve != "" {
		return serveOnly(out, *serve, *listen)
	}
	gftp, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "gftp-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	root, local := filepath.Join(work, "server"), filepath.Join(work, "local")
	for _, d := range []string{filepath.Join(root, "bakdir"), local} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	// Last week's backup on the server; tonight's archives on the client.
	files := map[string]int{
		filepath.Join(root, "bakdir", "backup-2026-11-17.tgz"): 4096,
		filepath.Join(local, "backup-2026-11-24.tgz"):          3 << 20,
		filepath.Join(local, "backup-2026-11-24.sql.gz"):       1,
		filepath.Join(local, "backup-2026-11-24.empty"):        0,
	}
	for name, size := range files {
		if err := os.WriteFile(name, bytes.Repeat([]byte{0x5a}, size), 0o644); err != nil {
			return err
		}
	}
	srv, err := testserver.Start(testserver.Options{Root: root})
	if err != nil {
		return err
	}
	defer srv.Close()

	heredoc := fmt.Sprintf(`open %s %d
user ftpuser secret
passive
binary
cd bakdir
mput backup-2026-11-24*
mdelete backup-2026-11-17.tgz
`, srv.Host(), srv.Port())
	fmt.Fprintf(out, "== server bakdir before: %s\n", listing(filepath.Join(root, "bakdir")))
	fmt.Fprintf(out, "== gftp -inv <<EOF\n%sEOF\n\n", heredoc)
	cmd := exec.Command(gftp, "-inv")
	cmd.Dir = local
	cmd.Stdin = strings.NewReader(heredoc)
	cmd.Stdout, cmd.Stderr = out, errw
	runErr := cmd.Run()
	fmt.Fprintf(out, "\n== exit status: %d\n", cmd.ProcessState.ExitCode())
	fmt.Fprintf(out, "== server bakdir after: %s\n", listing(filepath.Join(root, "bakdir")))
	if runErr != nil {
		return fmt.Errorf("gftp failed: %w", runErr)
	}
	return nil
}

func listing(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var names []string
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		names = append(names, fmt.Sprintf("%s (%d B)", e.Name(), fi.Size()))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// serveOnly serves dir until SIGINT or SIGTERM, so that benchmarks can run
// several clients against the same server.
func serveOnly(out io.Writer, dir, listen string) error {
	srv, err := testserver.Start(testserver.Options{Root: dir, Listen: listen})
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Fprintf(out, "serving %s on %s (user %s, password %s)\n", dir, srv.Addr(), testserver.DefaultUser, testserver.DefaultPassword)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	return nil
}
