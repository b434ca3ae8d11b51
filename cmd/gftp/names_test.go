package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gftp/gftp/internal/testserver"
)

// Names that are not UTF-8 (Latin-1, as on many Windows servers) reach
// the server and the local file system byte for byte, in both
// directions; a file whose name the old tokenizer would have produced
// (U+FFFD in place of each such byte) is never the one used.
func TestLatin1NamesByteForByte(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	if err := os.WriteFile(filepath.Join(srv.Root(), "caf\xe9.txt"), []byte("remote latin-1"), 0o644); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	for name, body := range map[string]string{
		"caf\xe9.txt":       "local latin-1",
		"caf\uFFFD.txt":     "the wrong file",
		"local.txt":         "plain",
		"r\uFFFDmote-never": "x",
	} {
		if err := os.WriteFile(filepath.Join(local, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	down := t.TempDir()
	script := login(srv) + "lcd " + local + "\n" +
		"put caf\xe9.txt up-caf\xe9.txt\n" +
		"put local.txt r\xe9mote\n" +
		"lcd " + down + "\n" +
		"get caf\xe9.txt\n"
	code, _, stderr := runGftp(t, script, "-in")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"STOR up-caf\xe9.txt", "STOR r\xe9mote", "RETR caf\xe9.txt"} {
		if !slices.Contains(srv.Commands(), want) {
			t.Errorf("the server never got %q; it got %q", want, srv.Commands())
		}
	}
	for path, want := range map[string]string{
		filepath.Join(srv.Root(), "up-caf\xe9.txt"): "local latin-1",
		filepath.Join(srv.Root(), "r\xe9mote"):      "plain",
		filepath.Join(down, "caf\xe9.txt"):          "remote latin-1",
	} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%q holds %q (%v), want %q", path, got, err, want)
		}
	}
}

// A server's file name that starts with "|" is a file name to mget, never
// a command to run (tnftp's CVE-2014-8517): only a local name the user
// typed (get FILE "|cmd") pipes.
func TestListedPipeNameIsAFile(t *testing.T) {
	name := "|touch pwned"
	h := startHostile(t, testserver.HostileOptions{Files: map[string][]byte{name: []byte("data")}, Listing: unixListing(name)})
	down := t.TempDir()
	code, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nmget *\n", hostileArgs(h, "-in")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(down, name)); err != nil || string(b) != "data" {
		t.Errorf("the file %q: %q, %v", name, b, err)
	}
	for _, dir := range []string{down, "."} {
		if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
			t.Fatalf("the server's name ran as a command (pwned in %s)", dir)
		}
	}
}
