package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// The server dies in the middle of an upload and comes back: gftp
// reconnects, logs in again, resumes with REST from what the server kept,
// and the file ends up whole. The exit status is 0.
func TestServerKilledMidUpload(t *testing.T) {
	root, local := t.TempDir(), t.TempDir()
	data := make([]byte, 4<<20)
	rand.Read(data)
	src := filepath.Join(local, "big.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Slow writes, so the upload is still going when the server dies.
	first, err := testserver.Start(testserver.Options{Root: root, WriteDelay: 15 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	script := login(first) + "put " + src + " big.bin\n"

	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := runGftp(t, script, "-in", "--retry-wait", "200ms", "--retries", "5")
		done <- result{code, out, errs}
	}()

	// Wait until part of the file has arrived, then kill the server.
	target := filepath.Join(root, "big.bin")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if fi, err := os.Stat(target); err == nil && fi.Size() > 256<<10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload never got going")
		}
		time.Sleep(10 * time.Millisecond)
	}
	first.Close()
	kept, _ := os.Stat(target)
	second, err := testserver.Start(testserver.Options{Root: root, Listen: fmt.Sprintf("127.0.0.1:%d", first.Port())})
	if err != nil {
		t.Fatalf("restart the server on the same port: %v", err)
	}
	defer second.Close()

	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("gftp did not finish within 30s of the restart")
	}
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	got, err := os.ReadFile(target)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the file on the server differs from the local one (%d of %d bytes, err %v)", len(got), len(data), err)
	}
	for _, want := range []string{"trying again", "reconnecting to 127.0.0.1"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// It resumed rather than starting over.
	var rest string
	for _, c := range second.Commands() {
		if strings.HasPrefix(c, "REST ") {
			rest = c
		}
	}
	if rest == "" || rest == "REST 0" {
		t.Errorf("no REST after the restart (commands %q); %d bytes were kept", second.Commands(), kept.Size())
	}
}

// A transfer that stops moving (the server stops reading) ends after the
// stall timeout with exit 3, instead of hanging; with no retries left the
// file is not reported as sent.
func TestStalledUploadEnds(t *testing.T) {
	root, local := t.TempDir(), t.TempDir()
	src := filepath.Join(local, "big.bin")
	if err := os.WriteFile(src, make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := testserver.Start(testserver.Options{Root: root, WriteDelay: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	start := time.Now()
	code, _, stderr := runGftp(t, login(srv)+"put "+src+" big.bin\n", "-in", "--stall-timeout", "500ms", "--data-timeout", "2s", "--retries", "0")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s with a 500ms stall timeout", d)
	}
	if code != exitConnect || !strings.Contains(stderr, "the transfer stalled: no data moved for 500ms") {
		t.Errorf("exit %d, stderr %q; want %d and the stall", code, stderr, exitConnect)
	}
}

// The server dies in the middle of an upload and does not come back. With
// --temp-upload, the file under the final name (last night's) is untouched,
// and gftp gives up after its retries, within a bounded time, exit 3.
func TestServerDiesForGood(t *testing.T) {
	root, local := t.TempDir(), t.TempDir()
	src := filepath.Join(local, "backup.tgz")
	if err := os.WriteFile(src, make([]byte, 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	previous := []byte("last night's backup")
	target := filepath.Join(root, "backup.tgz")
	if err := os.WriteFile(target, previous, 0o644); err != nil {
		t.Fatal(err)
	}
	srv, err := testserver.Start(testserver.Options{Root: root, WriteDelay: 15 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		code, _, errs := runGftp(t, login(srv)+"put "+src+" backup.tgz\n", "-in", "--temp-upload",
			"--retry-wait", "100ms", "--retries", "2", "--connect-timeout", "2s")
		done <- result{code, errs}
	}()
	part := filepath.Join(root, ".backup.tgz.gftp-part")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if fi, err := os.Stat(part); err == nil && fi.Size() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload never got going")
		}
	}
	srv.Close()
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("gftp still running 20s after the server died")
	}
	if r.code != exitConnect {
		t.Errorf("exit %d, want %d; stderr:\n%s", r.code, exitConnect, r.stderr)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s", d)
	}
	if got, err := os.ReadFile(target); err != nil || !bytes.Equal(got, previous) {
		t.Errorf("the file under the final name changed: %q, %v", got, err)
	}
	if strings.Count(r.stderr, "trying again") != 2 {
		t.Errorf("want 2 retries in stderr:\n%s", r.stderr)
	}
}

// A server that accepts the connection and then says nothing: the greeting
// is waited for only the reply timeout, exit 3, and the message says so.
func TestSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	start := time.Now()
	code, _, stderr := runGftp(t, fmt.Sprintf("open 127.0.0.1 %d\nuser ftpuser secret\n", addr.Port), "-in", "--reply-timeout", "1s")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s with a 1s reply timeout", d)
	}
	if code != exitConnect || !strings.Contains(stderr, "no reply from the server within 1s") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
