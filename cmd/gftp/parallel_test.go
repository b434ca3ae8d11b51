package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// Parallel transfers: mget -P N and mput -P N move files over N control
// connections at once.

// someFiles writes n files of size bytes of seeded random data into dir
// and returns their contents by name.
func someFiles(t *testing.T, dir string, n, size int) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for i := range n {
		name := fmt.Sprintf("f%02d.bin", i)
		b := make([]byte, size+i) // sizes differ, so a mix-up shows
		rand.NewChaCha8([32]byte{byte(i), 'p'}).Read(b)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	return files
}

func sameFiles(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%s: %d bytes (%v), want %d equal ones", name, len(got), err, len(b))
		}
	}
}

// wholeBlocks checks that each file's transcript lines (local:/remote:,
// the replies, the byte count) come together, not mixed with another
// file's.
func wholeBlocks(t *testing.T, stdout, verb string, n int) {
	t.Helper()
	var open string
	blocks := 0
	for _, line := range strings.Split(stdout, "\n") {
		if m := regexp.MustCompile(`^local: (\S+) remote: `).FindStringSubmatch(line); m != nil {
			if open != "" {
				t.Errorf("%s's lines began before %s's ended:\n%s", m[1], open, stdout)
				return
			}
			open = m[1]
		}
		if strings.Contains(line, " bytes "+verb+" in ") {
			if open == "" {
				t.Errorf("a byte count outside any file's block:\n%s", stdout)
				return
			}
			open = ""
			blocks++
		}
	}
	if blocks != n {
		t.Errorf("%d whole blocks, want %d:\n%s", blocks, n, stdout)
	}
}

func count(cmds []string, re string) int {
	n := 0
	for _, c := range cmds {
		if regexp.MustCompile("^(?:" + re + ")$").MatchString(c) {
			n++
		}
	}
	return n
}

// mget -P 4 and mput -P 4 in each data mode: every file arrives whole, the
// server sees four control connections, and each file's lines are whole.
func TestParallelTransfers(t *testing.T) {
	for _, mode := range []string{"passive", "active", "auto"} {
		t.Run(mode, func(t *testing.T) {
			srv := startServer(t, testserver.Options{})
			remote := someFiles(t, srv.Root(), 12, 64<<10)
			down := t.TempDir()
			code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmget -P 4 f*.bin\n", "-iv", "--mode", mode)
			if code != 0 {
				t.Fatalf("mget: exit %d; stderr:\n%s", code, stderr)
			}
			sameFiles(t, down, remote)
			wholeBlocks(t, stdout, "received", len(remote))
			if n := count(srv.Commands(), "USER ftpuser"); n != 4 {
				t.Errorf("mget -P 4 logged in %d times, want 4 control connections", n)
			}
			data := map[string]string{"passive": "EPSV", "active": "EPRT .*", "auto": "EPSV"}[mode]
			if n := count(srv.Commands(), data); n < len(remote) {
				t.Errorf("%d %s commands for %d files", n, data, len(remote))
			}

			up := t.TempDir()
			local := someFiles(t, up, 12, 48<<10)
			code, stdout, stderr = runGftp(t, login(srv)+"lcd "+up+"\nmkdir up\ncd up\nmput -P 4 f*.bin\n", "-iv", "--mode", mode)
			if code != 0 {
				t.Fatalf("mput: exit %d; stderr:\n%s", code, stderr)
			}
			sameFiles(t, filepath.Join(srv.Root(), "up"), local)
			wholeBlocks(t, stdout, "sent", len(local))
		})
	}
}

// --parallel (and the config's parallel:) sets N for every mget and mput.
func TestParallelFlag(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	remote := someFiles(t, srv.Root(), 6, 1<<10)
	down := t.TempDir()
	code, _, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmget f*.bin\n", "-in", "--parallel", "3")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	sameFiles(t, down, remote)
	if n := count(srv.Commands(), "USER ftpuser"); n != 3 {
		t.Errorf("--parallel 3 logged in %d times, want 3", n)
	}
	code, _, stderr = runGftp(t, "", "-in", "--parallel", "0")
	if code != exitUsage || !strings.Contains(stderr, "parallel must be 1 to 32") {
		t.Errorf("--parallel 0: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runGftp(t, login(srv)+"mget -P x f*\n", "-in")
	if code != exitUsage || !strings.Contains(stderr, "stdin:3: mget -P x f*: -P x: want a number of connections from 1 to 32") {
		t.Errorf("-P x: exit %d, stderr %q", code, stderr)
	}
}

// A server that allows two connections per client answers the third and
// fourth with 421: the command goes on over two, with a warning, and
// succeeds.
func TestParallelServerLimit(t *testing.T) {
	files := map[string][]byte{}
	listing := []string{}
	for i := range 8 {
		n := fmt.Sprintf("f%d", i)
		files[n] = bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
		listing = append(listing, n)
	}
	h := startHostile(t, testserver.HostileOptions{Files: files, Listing: unixListing(listing...), MaxConns: 2})
	down := t.TempDir()
	code, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nmget -P 4 f*\n", hostileArgs(h, "-in")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	sameFiles(t, down, files)
	// Two, one for each refused link; one when, on a loaded machine, the
	// last link's open starts only after another link has finished and
	// gone back to the pool, and takes that one.
	if n := strings.Count(stderr, "going on with fewer"); n < 1 || n > 2 {
		t.Errorf("%d warnings about fewer links, want 2 (or 1); stderr:\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "421 Too many connections") {
		t.Errorf("the warning does not give the server's reason:\n%s", stderr)
	}
	if h.Peak() != 2 {
		t.Errorf("the server had %d connections at once, want 2", h.Peak())
	}
}

// mget -P 4 logs its three extra links in while the server lists the
// files (a login can take tens of milliseconds), not after; a failed
// listing keeps them for the next command.
func TestMgetOpensLinksWhileListing(t *testing.T) {
	files := map[string][]byte{"a": []byte("aaa"), "b": []byte("bbb"), "c": []byte("ccc"), "d": []byte("ddd")}
	var h *testserver.Hostile
	duringList := make(chan int, 8)
	h = startHostile(t, testserver.HostileOptions{Files: files, Listing: func(w io.Writer) error {
		// Hold the listing until four logins have arrived, or 3 s.
		logins := 0
		for range 150 {
			if logins = count(h.Commands(), "USER u"); logins == 4 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		duringList <- logins
		return unixListing("a", "b", "c", "d")(w)
	}})
	down := t.TempDir()
	code, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nmget -P 4 *\nmget -P 4 *\n", hostileArgs(h, "-in")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	sameFiles(t, down, files)
	if n := <-duringList; n != 4 {
		t.Errorf("%d logins by the end of the first listing, want 4 (the main link's and three opened ahead)", n)
	}
	if n := count(h.Commands(), "USER u"); n != 4 {
		t.Errorf("two mget -P 4 logged in %d times, want 4: the second reuses the links", n)
	}
}

// One file refused among several: the others arrive, the failure is
// reported once with its file, and the status is the refusal's (5).
func TestParallelOneFails(t *testing.T) {
	files := map[string][]byte{"a": []byte("aaa"), "b": []byte("bbb"), "d": []byte("ddd")}
	h := startHostile(t, testserver.HostileOptions{Files: files, Listing: unixListing("a", "b", "c", "d")})
	down := t.TempDir()
	code, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nmget -P 3 *\n", hostileArgs(h, "-in")...)
	if code != exitRefused {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitRefused, stderr)
	}
	sameFiles(t, down, files)
	if !strings.Contains(stderr, "gftp: mget c: 550 No such file\n") ||
		!strings.Contains(stderr, "mget -P 3 *: 1 of 4 files failed, the first: 550 No such file") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// Active mode over more links than --active-ports has ports is a clear
// error before anything moves, not a hang.
func TestParallelActivePortsTooFew(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	someFiles(t, srv.Root(), 4, 10)
	code, _, stderr := runGftp(t, login(srv)+"lcd "+t.TempDir()+"\nmget -P 4 f*\n", "-in", "-A", "--active-ports", "47730-47731")
	if code == 0 || !strings.Contains(stderr, "mget over 4 links needs 4 active-mode ports, and --active-ports 47730-47731 has 2") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if n := count(srv.Commands(), "RETR .*"); n != 0 {
		t.Errorf("%d RETR before the error", n)
	}
}

// A multi-file upload checks every size with one listing at the end, not
// a SIZE per file (a round trip each); a size that differs fails the
// command, naming the file. Where STAT with a pathname lists the
// directory (vsftpd, proftpd, pure-ftpd, pyftpdlib), that listing is the
// one STAT: no FEAT, no data connection. A STAT listing that leaves a
// file out is not trusted, nor is a server without one: the check lists
// with LIST, which finds the mismatch.
func TestMputChecksSizesOnce(t *testing.T) {
	const a, b = "-rw-r--r-- 1 ftp ftp 10 Jan 01 12:00 a.bin\r\n", "-rw-r--r-- 1 ftp ftp 1 Jan 01 12:00 b.bin\r\n"
	const b10 = "-rw-r--r-- 1 ftp ftp 10 Jan 01 12:00 b.bin\r\n"
	writer := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	for _, tc := range []struct {
		name     string
		stat     func(io.Writer) error // nil: STAT gets 502
		drop     bool                  // the server drops the connection at STAT
		listings int
	}{
		{"STAT lists both", writer(a + b), false, 0},
		{"STAT indented, and a line with the code", writer(" " + a + "213-01-01-26  12:00PM 1 b.bin\r\n"), false, 0},
		{"STAT leaves b.bin out", writer(a), false, 1},
		{"STAT lists nothing", writer(""), false, 1},
		{"STAT lists b.bin twice", writer(a + b + b10), false, 0},
		{"no STAT", nil, false, 1},
		{"STAT loses the connection", writer(a + b), true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testserver.HostileOptions{Listing: writer(a + b), Stat: tc.stat}
			if tc.drop {
				o.Drop = []string{"STAT"}
			}
			h := startHostile(t, o)
			local := t.TempDir()
			for _, n := range []string{"a.bin", "b.bin"} {
				if err := os.WriteFile(filepath.Join(local, n), []byte("0123456789"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := runGftp(t, "user u p\nlcd "+local+"\nmput *.bin\n", hostileArgs(h, "-in")...)
			if code == 0 || !strings.Contains(stderr, "1 of 2 files failed the upload check, the first: upload check failed: the server has 1 bytes of b.bin, 10 were sent") {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			cmds := h.Commands()
			if n := count(cmds, `STAT \.`); n != 1 {
				t.Errorf("%d STAT ., want 1; commands %q", n, cmds)
			}
			if n := count(cmds, "LIST.*|MLSD.*"); n != tc.listings {
				t.Errorf("%d listings, want %d; commands %q", n, tc.listings, cmds)
			}
			if n := count(cmds, "SIZE .*"); n != 0 {
				t.Errorf("%d SIZE commands, want none (one listing checks all)", n)
			}
			if n := count(cmds, "FEAT"); tc.listings == 0 && n != 0 {
				t.Errorf("a FEAT, want none; commands %q", cmds)
			}
			if n := count(cmds, "USER u"); n != 1+map[bool]int{true: 1}[tc.drop] {
				t.Errorf("%d logins; commands %q", n, cmds)
			}
		})
	}
}

// mirror -P 4 starts its extra links' logins once the walk has found a
// file to move, so they overlap the rest of the walk: the second
// directory's listing is held here until all four logins have come.
func TestMirrorOpensLinksWhileWalking(t *testing.T) {
	files := map[string][]byte{"site/a": []byte("aaaaa"), "site/sub/b": []byte("bbbbb"), "site/sub/c": []byte("ccccc")}
	var h *testserver.Hostile
	listings := 0
	duringWalk := make(chan int, 8)
	h = startHostile(t, testserver.HostileOptions{Files: files, Listing: func(w io.Writer) error {
		listings++
		if listings == 1 { // site: a file to move, and a directory
			fmt.Fprintf(w, "drwxr-xr-x   2 ftp ftp  4096 Jan 01 12:00 sub\r\n")
			return unixListing("a")(w)
		}
		logins := 0
		for range 150 {
			if logins = count(h.Commands(), "USER u"); logins == 4 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		duringWalk <- logins
		return unixListing("b", "c")(w)
	}})
	down := t.TempDir()
	code, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nmirror -P 4 --no-perms site\n", hostileArgs(h, "-in")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if n := <-duringWalk; n != 4 {
		t.Errorf("%d logins while the walk listed sub, want 4 (the main link's and three opened ahead)", n)
	}
	for rel, body := range files {
		if b, err := os.ReadFile(filepath.Join(down, filepath.FromSlash(rel))); err != nil || !bytes.Equal(b, body) {
			t.Errorf("%s: %q, %v", rel, b, err)
		}
	}
}

// The end of a script ends every link at once: the extra links' QUITs go
// out together with the main link's, one round trip in all, not one
// each. The server holds each 221 until all three QUITs have come.
func TestParallelLinksQuitTogether(t *testing.T) {
	files := map[string][]byte{}
	var names []string
	for i := range 6 {
		n := fmt.Sprintf("f%d", i)
		files[n] = bytes.Repeat([]byte{byte('a' + i)}, 100+i)
		names = append(names, n)
	}
	h := startHostile(t, testserver.HostileOptions{Files: files, Listing: unixListing(names...), QuitTogether: 3})
	down := t.TempDir()
	code, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nmget -P 3 f*\n", hostileArgs(h, "-in")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	sameFiles(t, down, files)
	if got := count(h.Commands(), "QUIT"); got != 3 {
		t.Fatalf("%d QUITs, want 3 (one a link)", got)
	}
	if quits, gone := h.QuitsAtFirstBye(); quits != 3 || gone != 0 {
		t.Errorf("the first 221 went with %d QUITs come, want all 3, and %d links gave up waiting for theirs: the links said goodbye one after another", quits, gone)
	}
}

// An idle link follows the main link's cd commands by the same steps,
// from where it is: after "cd a", "mget -P 2", "cd b", the second mget's
// extra link sends only "CWD b". A status asks the server where the main
// link is (PWD); the next cd's link then goes by that name.
func TestParallelLinksFollowCd(t *testing.T) {
	files := map[string][]byte{"f1": []byte("one"), "f2": []byte("two")}
	h := startHostile(t, testserver.HostileOptions{Files: files, Listing: unixListing("f1", "f2")})
	down := t.TempDir()
	script := "user u p\nlcd " + down + "\ncd a\nmget -P 2 f*\ncd b\nmget -P 2 f*\nstatus\ncd c\nmget -P 2 f*\n"
	code, stdout, stderr := runGftp(t, script, hostileArgs(h, "-in")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	sameFiles(t, down, files)
	cmds := h.Commands()
	// The main link's, and the extra link's: "CWD a" when it opened,
	// "CWD b" when it followed, and "CWD /" (what PWD answered) and
	// "CWD c" at the third mget.
	for cmd, want := range map[string]int{"CWD a": 2, "CWD b": 2, "CWD c": 2, "CWD /": 1, "PWD": 1} {
		if got := count(cmds, cmd); got != want {
			t.Errorf("%d × %q, want %d; commands:\n%s", got, cmd, want, strings.Join(cmds, "\n"))
		}
	}
	if !strings.Contains(stdout, "Remote directory: /\n") {
		t.Errorf("status does not show the remote directory:\n%s", stdout)
	}
}

// Under -v the end of a script shows the server's goodbye, as ftp(1)
// does, once (the extra links' are gftp's business), before the summary.
func TestVerboseShowsGoodbyeOnce(t *testing.T) {
	files := map[string][]byte{"f1": []byte("one"), "f2": []byte("two"), "f3": []byte("three")}
	h := startHostile(t, testserver.HostileOptions{Files: files, Listing: unixListing("f1", "f2", "f3")})
	code, stdout, stderr := runGftp(t, "user u p\nlcd "+t.TempDir()+"\nmget -P 3 f*\n", hostileArgs(h, "-inv")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if n := strings.Count(stdout, "221 Bye\n"); n != 1 || !strings.Contains(stdout, "bytes received in") ||
		!regexp.MustCompile(`(?m)^[0-9]+ bytes received in [^\n]*\n221 Bye\ngftp: 0 files sent \(0 bytes\), 3 received`).MatchString(stdout) {
		t.Errorf("%d goodbyes, want one, after the last file's lines and before the summary:\n%s", n, stdout)
	}
}
