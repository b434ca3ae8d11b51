package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// versionInfo names the module version and what git stamped: the short
// commit, the commit's date and whether the tree was modified.
func TestVersionInfo(t *testing.T) {
	tail := " go1.26.0 " + runtime.GOOS + "/" + runtime.GOARCH
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	cases := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"tagged, clean", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"},
			Settings: vcs("vcs.revision", "1a2b3c4d5e6f7a8b", "vcs.time", "2026-12-02T06:16:41Z", "vcs.modified", "false")},
			"v1.2.3 (commit 1a2b3c4, 2026-12-02)" + tail},
		{"pseudo-version, modified", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261202061641-1a2b3c4d5e6f+dirty"},
			Settings: vcs("vcs.revision", "1a2b3c4d5e6f", "vcs.time", "2026-12-02T23:59:59-05:00", "vcs.modified", "true")},
			"v0.0.0-20261202061641-1a2b3c4d5e6f+dirty (commit 1a2b3c4, 2026-12-03, modified)" + tail},
		{"devel, no vcs", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			"(devel)" + tail},
		{"no version at all", &debug.BuildInfo{GoVersion: "go1.26.0"}, "(devel)" + tail},
		{"no build info", nil, "(unknown version: built without module information) " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH},
	}
	for _, tc := range cases {
		if got := versionInfo(tc.bi); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// --version and `gftp version` print the same line and exit 0; version
// is a subcommand, not a host to connect to.
func TestVersion(t *testing.T) {
	want := "gftp version " + buildVersion() + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, stderr := runGftp(t, "", args...)
		if code != 0 || out != want || stderr != "" {
			t.Errorf("gftp %s: exit %d, stdout %q, stderr %q; want exit 0, stdout %q", strings.Join(args, " "), code, out, stderr, want)
		}
	}
	if code, _, stderr := runGftp(t, "", "version", "example.com"); code != exitUsage {
		t.Errorf("gftp version example.com: exit %d (%s), want %d", code, stderr, exitUsage)
	}
}
