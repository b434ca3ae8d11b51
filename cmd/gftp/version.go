package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// versionInfo says which source a binary was built from, for --version
// and `gftp version`, so a bug report names it exactly: the module version
// (a tag, a pseudo-version, or "(devel)" when the go command knew none)
// and what the go command stamped from git (the commit, its date, and
// whether the tree had uncommitted changes), then the Go version and
// platform. bi is nil when the binary carries no build information.
//
// It reads runtime/debug.ReadBuildInfo, not a variable set with
// -ldflags -X, so `go install` and `go build` give the same answer as
// `make build` without any flags.
func versionInfo(bi *debug.BuildInfo) string {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if bi == nil {
		return "(unknown version: built without module information) " + runtime.Version() + " " + platform
	}
	version := moduleVersion(bi)
	var rev, date string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			date = s.Value
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				date = t.UTC().Format(time.DateOnly)
			}
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var vcs []string
	if rev != "" {
		vcs = append(vcs, "commit "+shortRev(rev))
	}
	if date != "" {
		vcs = append(vcs, date)
	}
	if modified {
		vcs = append(vcs, "modified")
	}
	out := version
	if len(vcs) > 0 {
		out += " (" + strings.Join(vcs, ", ") + ")"
	}
	goVersion := bi.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	return out + " " + goVersion + " " + platform
}

// moduleVersion is the main module's version: a tag, a pseudo-version,
// or "(devel)" when the go command knew none.
func moduleVersion(bi *debug.BuildInfo) string {
	if bi == nil || bi.Main.Version == "" {
		return "(devel)"
	}
	return bi.Main.Version
}

// shortRev is a commit hash as git abbreviates it by default.
func shortRev(rev string) string {
	if len(rev) > 7 {
		return rev[:7]
	}
	return rev
}

// buildVersion is versionInfo of this binary.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return versionInfo(bi)
}

// newVersionCmd is `gftp version`: the subcommand exists so that
// "version" is not taken for a host name to connect to, and it says
// exactly what --version says.
func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "version",
		Short:             "print gftp's version, commit and build date, as --version does",
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		SilenceUsage:      true,
		SilenceErrors:     true,
		RunE: func(c *cobra.Command, _ []string) error {
			if _, err := fmt.Fprintf(c.OutOrStdout(), "%s version %s\n", c.Root().DisplayName(), c.Root().Version); err != nil {
				return fmt.Errorf("version: %w", err)
			}
			return nil
		},
	}
}
