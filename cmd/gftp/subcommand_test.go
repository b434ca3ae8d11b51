package main

import (
	"strings"
	"testing"
)

// probe --help lists probe's own flag and the root's that apply to a
// probe, not those it would ignore (the data mode, scripts, transfers),
// nor the in-session command list; probe refuses those flags.
func TestProbeHelpShowsItsFlags(t *testing.T) {
	code, out, stderr := runGftp(t, "", "probe", "--help")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"--user NAME", "-d, --debug", "--data-timeout", "--active-ports", "--tls-ca", "--max-time", "--config", "3    connection"} {
		if !strings.Contains(out, want) {
			t.Errorf("probe --help lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"--mode", "--passive", "--active ", "--script", "--keep-going", "--parallel", "--pipeline", "--temp-upload", "--no-prompt", "--epsv", "Global Flags", "Commands (at the prompt"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("probe --help shows %q:\n%s", unwanted, out)
		}
	}
	code, _, stderr = runGftp(t, "", "probe", "--keep-going", "192.0.2.1")
	if code != exitUsage || !strings.Contains(stderr, "unknown flag: --keep-going") {
		t.Errorf("probe --keep-going: exit %d, stderr %q", code, stderr)
	}
}

// The flags probe and trust share with the root reach the resolved
// configuration: a bad value is refused there, before anything connects.
func TestSubcommandFlagsResolved(t *testing.T) {
	for _, args := range [][]string{
		{"probe", "--max-time=-1s", "192.0.2.1"},
		{"trust", "--max-time=-1s", "192.0.2.1"},
	} {
		code, _, stderr := runGftp(t, "", args...)
		if code != exitUsage || !strings.Contains(stderr, "max-time must not be negative") {
			t.Errorf("gftp %s: exit %d, stderr %q", strings.Join(args, " "), code, stderr)
		}
	}
}
