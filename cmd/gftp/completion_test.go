package main

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/cobra"
)

// complete runs cobra's hidden __complete, which the shell scripts of
// gftp completion bash|zsh|fish call at each Tab, and returns the words
// offered (without their descriptions) and the directive.
func complete(t *testing.T, args ...string) (words []string, directive string) {
	t.Helper()
	code, out, stderr := runGftp(t, "", append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d: %s", args, code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	directive = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		w, _, _ := strings.Cut(l, "\t")
		words = append(words, w)
	}
	return words, directive
}

// The directives of cobra's __complete protocol, as it prints them.
var (
	noFiles   = ":" + strconv.Itoa(int(cobra.ShellCompDirectiveNoFileComp))
	fileNames = ":" + strconv.Itoa(int(cobra.ShellCompDirectiveDefault)) // the shell's own: file names
)

// Flags that take one of a few words complete those words, on the root
// and on the subcommands that share the flag; file flags complete file
// names; numbers and durations complete nothing.
func TestCompleteFlags(t *testing.T) {
	cases := []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"--mode", ""}, []string{"auto", "passive", "active"}, noFiles},
		{[]string{"--mode", "pa"}, []string{"passive"}, noFiles},
		{[]string{"--mode=a"}, []string{"auto", "active"}, noFiles}, // the shell puts back "--mode="
		{[]string{"--tls", ""}, []string{"off", "explicit", "implicit", "auto"}, noFiles},
		{[]string{"--tls-data", ""}, []string{"private", "clear"}, noFiles},
		{[]string{"--tls-max-version", ""}, []string{"1.2", "1.3"}, noFiles},
		{[]string{"probe", "--tls", "im"}, []string{"implicit"}, noFiles},
		{[]string{"trust", "--tls-max-version", ""}, []string{"1.2", "1.3"}, noFiles},
		{[]string{"--retries", ""}, nil, noFiles},
		{[]string{"--data-timeout", ""}, nil, noFiles},
		{[]string{"--active-address", ""}, nil, noFiles},
	}
	for _, name := range []string{"config", "script", "log", "netrc", "tls-ca"} {
		cases = append(cases, struct {
			args      []string
			want      []string
			directive string
		}{[]string{"--" + name, ""}, nil, fileNames})
	}
	for _, tc := range cases {
		got, directive := complete(t, tc.args...)
		if !slices.Equal(got, tc.want) || directive != tc.directive {
			t.Errorf("__complete %q: %q %s, want %q %s", tc.args, got, directive, tc.want, tc.directive)
		}
	}
}

// Every value offered is one gftp takes: a value renamed in resolve
// cannot go on being completed. (And a wrong one is refused, so the check
// can fail.)
func TestFlagValuesAccepted(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no config file of the user's
	script := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(script, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for flag, values := range flagValues() {
		for _, v := range values {
			word, _, _ := strings.Cut(v, "\t")
			if code, _, stderr := runGftp(t, "", "--"+flag+"="+word, "--script", script); code != 0 {
				t.Errorf("--%s=%s is offered but refused: exit %d: %s", flag, word, code, stderr)
			}
		}
		if code, _, _ := runGftp(t, "", "--"+flag+"=bogus", "--script", script); code != exitUsage {
			t.Errorf("--%s=bogus: exit %d, want %d", flag, code, exitUsage)
		}
	}
}

// The host argument completes the config file's bookmark names (the
// default file, or the one --config names on the line), for gftp, probe
// and trust, and only reads the file: nothing connects, even to a
// bookmark's host.
func TestCompleteBookmarks(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	host, port, _ := net.SplitHostPort(l.Addr().String())
	cfgDir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgDir)
	t.Setenv("GFTP_CONFIG", "")
	os.Unsetenv("GFTP_CONFIG")
	config := "hosts:\n  backup: {host: " + host + ", port: " + port + ", user: backup, mode: active}\n" +
		"  mirror: {host: " + host + ", port: " + port + "}\n"
	if err := os.MkdirAll(filepath.Join(cfgDir, "gftp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfgDir, "gftp", "config.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, []byte("hosts:\n  bastion: {host: 192.0.2.7}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	got, directive := complete(t, "")
	for _, want := range []string{"backup", "mirror", "probe", "version"} {
		if !slices.Contains(got, want) {
			t.Errorf("gftp <Tab> offers %q, lacks %q", got, want)
		}
	}
	if directive != noFiles {
		t.Errorf("gftp <Tab>: directive %s, want %s", directive, noFiles)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"probe", ""}, []string{"backup", "mirror"}},
		{[]string{"trust", "m"}, []string{"mirror"}},
		{[]string{"-d", "b"}, []string{"backup"}},
		{[]string{"--config", other, ""}, []string{"bastion"}},
		{[]string{"probe", "--config", other, "b"}, []string{"bastion"}},
		{[]string{"backup", ""}, nil}, // the port
		{[]string{"probe", "backup", ""}, nil},
	}
	for _, tc := range cases {
		got, directive := complete(t, tc.args...)
		if !slices.Equal(got, tc.want) || directive != noFiles {
			t.Errorf("__complete %q: %q %s, want %q %s", tc.args, got, directive, tc.want, noFiles)
		}
	}
	// A config file gftp cannot read completes nothing, quietly.
	if got, _ := complete(t, "--config", filepath.Join(t.TempDir(), "missing.yaml"), ""); slices.Contains(got, "backup") {
		t.Errorf("a missing --config still completes %q", got)
	}
	l.Close()
	if n := accepted.Load(); n != 0 {
		t.Errorf("completion connected to the bookmark's host %d times", n)
	}
}

// gftp completion writes each shell's script, which calls __complete.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, stderr := runGftp(t, "", "completion", shell)
		if code != 0 || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(out), stderr)
		}
	}
}
