//go:build linux

package firewall

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	// gate says why the suite cannot run here ("" when it can).
	gate string
	// gftpBin is the gftp binary built once for all cases.
	gftpBin  string
	buildErr error
)

func TestMain(m *testing.M) {
	gate = prerequisites()
	var dir string
	if gate == "" {
		var err error
		if dir, err = os.MkdirTemp("", "gftp-firewall-bin-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// World-readable, since nothing in it is secret; gftp runs as root.
		os.Chmod(dir, 0o755)
		gftpBin = filepath.Join(dir, "gftp")
		// go test puts its own go first in PATH.
		if out, err := exec.Command("go", "build", "-o", gftpBin, "github.com/gftp/gftp/cmd/gftp").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// requireLab skips (one line saying why) when the machine cannot host the
// suite, except in CI, where the suite must run.
func requireLab(t *testing.T) {
	t.Helper()
	if gate != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the firewall suite must run in CI but cannot: %s", gate)
		}
		t.Skipf("skipping the firewall suite: %s", gate)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// Timing: with --data-timeout 3s every wait gftp makes for a refused or
// dropped data connection is bounded by it.
const (
	dataTimeout      = 3 * time.Second
	defaultTimeout   = 10 * time.Second // gftp's default --data-timeout
	noWait           = 3 * time.Second  // a run that never waits a timeout
	boundedByTimeout = 15 * time.Second // a run that waits one or two data timeouts of 3s
	boundedByDefault = 40 * time.Second // a run that waits the default one
)

var dataTimeoutFlag = []string{"--data-timeout", dataTimeout.String()}

// TestFirewall runs the seed's nightly backup script through the backup
// server's firewall (only TCP 20 and 21 admitted) and the client's (new
// inbound TCP only from ports 20 and 21), with refused and with dropped
// connections.
func TestFirewall(t *testing.T) {
	requireLab(t)
	removeStaleNamespaces(t)
	acct := ensureAccount(t)

	for _, refusal := range []string{"reject", "drop"} {
		t.Run(refusal, func(t *testing.T) {
			l := newLab(t, refusal, acct)
			// What the message about the failed passive connection must
			// name as the cause.
			cause := regexp.MustCompile(`(?i)connection refused`)
			if refusal == "drop" {
				cause = regexp.MustCompile(`(?i)no answer|timed? ?out`)
			}

			t.Run("seed script switches to active", func(t *testing.T) {
				// The story's script unchanged: its "passive" line toggles
				// the default (auto) to active mode.
				l.reset(t)
				before := l.sport20Accepted(t)
				r := l.run(t, l.script("passive"), "-inv")
				wantExit(t, r, 0)
				if r.stderr != "" {
					t.Errorf("stderr = %q, want nothing", r.stderr)
				}
				if !strings.Contains(r.stdout, "Passive mode: off") {
					t.Errorf("stdout lacks the passive toggle's %q:\n%s", "Passive mode: off", r.stdout)
				}
				wantElapsed(t, r, 0, noWait)
				l.assertBackedUp(t)
				if after := l.sport20Accepted(t); after <= before {
					t.Errorf("the client firewall's --sport 20 rule admitted no packet (%d before, %d after): the active data connections did not come from port 20", before, after)
				}
			})

			t.Run("auto falls back to active", func(t *testing.T) {
				// Without the "passive" line, gftp's default mode tries
				// passive, sees it fail and switches to active for good.
				l.reset(t)
				before := l.sport20Accepted(t)
				r := l.run(t, l.script(""), append([]string{"-inv"}, dataTimeoutFlag...)...)
				wantExit(t, r, 0)
				wantFallbackNotice(t, r, cause)
				if refusal == "drop" {
					wantElapsed(t, r, dataTimeout*9/10, boundedByTimeout)
				} else {
					wantElapsed(t, r, 0, noWait)
				}
				l.assertBackedUp(t)
				if after := l.sport20Accepted(t); after <= before {
					t.Errorf("the client firewall's --sport 20 rule admitted no packet (%d before, %d after)", before, after)
				}
			})

			t.Run("auto falls back with the default data timeout", func(t *testing.T) {
				// As cron runs it: no flag, so a dropped passive
				// connection costs gftp's default data timeout once.
				l.reset(t)
				r := l.run(t, l.script(""), "-inv")
				wantExit(t, r, 0)
				wantFallbackNotice(t, r, cause)
				if refusal == "drop" {
					wantElapsed(t, r, defaultTimeout*9/10, boundedByDefault)
				} else {
					wantElapsed(t, r, 0, noWait)
				}
				l.assertBackedUp(t)
			})

			t.Run("strict passive fails with the fix", func(t *testing.T) {
				// "passive on" forbids the fallback: the script must stop
				// at mput, before mdelete removes last week's backup.
				l.reset(t)
				r := l.run(t, l.script("passive on"), append([]string{"-inv"}, dataTimeoutFlag...)...)
				wantExit(t, r, 3)
				if !cause.MatchString(r.stderr) {
					t.Errorf("stderr does not name the cause (want %q):\n%s", cause, r.stderr)
				}
				if !strings.Contains(r.stderr, "passive off") {
					t.Errorf("stderr does not name the fix %q:\n%s", "passive off", r.stderr)
				}
				if refusal == "drop" {
					wantElapsed(t, r, dataTimeout*9/10, boundedByTimeout)
				} else {
					wantElapsed(t, r, 0, noWait)
				}
				l.assertUntouched(t)
			})

			t.Run("probe recommends active", func(t *testing.T) {
				// The question the seed's admin had to answer by hand:
				// which mode gets through, and which rule each side needs.
				l.reset(t)
				script := "open " + serverAddr + "\nuser " + l.acct.name + " " + l.acct.pass + "\nprobe\n"
				r := l.run(t, script, append([]string{"-inv"}, dataTimeoutFlag...)...)
				wantExit(t, r, 0)
				for _, want := range []string{
					`(?m)^  EPSV \(passive\) .*fails: .*` + cause.String(),
					`(?m)^  PASV \(passive\) .*fails: .*` + cause.String(),
					`(?m)^  EPRT \(active\) .*works$`,
					`(?m)^  PORT \(active\) .*works$`,
					`(?m)^Recommended: active mode \(passive off\)`,
					`-s ` + regexp.QuoteMeta(serverAddr) + ` --sport 20 -m state --state NEW -j ACCEPT`,
				} {
					if !regexp.MustCompile(want).MatchString(r.stdout) {
						t.Errorf("probe output lacks %s:\n%s", want, r.stdout)
					}
				}
				if refusal == "drop" {
					// EPSV and PASV each wait one data timeout.
					wantElapsed(t, r, 2*dataTimeout*9/10, boundedByTimeout)
				} else {
					wantElapsed(t, r, 0, noWait)
				}
			})

			t.Run("client firewall blocks port 20", func(t *testing.T) {
				// Without the seed's --sport 20 rule on the client, the
				// server cannot connect back: active mode must fail
				// within the data timeout and point at this firewall.
				l.blockPort20(t)
				for _, c := range []struct {
					name     string
					modeLine string
					flags    []string
				}{
					{"seed script", "passive", nil},
					{"-A", "", []string{"-A"}},
				} {
					t.Run(c.name, func(t *testing.T) {
						l.reset(t)
						args := append(append([]string{"-inv"}, c.flags...), dataTimeoutFlag...)
						r := l.run(t, l.script(c.modeLine), args...)
						wantExit(t, r, 3)
						for _, want := range []string{`(?i)firewall`, `(?i)inbound`, `port 20\b`} {
							if !regexp.MustCompile(want).MatchString(r.stderr) {
								t.Errorf("stderr lacks %s (the hint about this host's firewall and the server's port 20):\n%s", want, r.stderr)
							}
						}
						if refusal == "drop" {
							// Accepting waits one data timeout; reading the
							// server's late reply may wait one more.
							wantElapsed(t, r, dataTimeout*9/10, boundedByTimeout)
						} else {
							wantElapsed(t, r, 0, noWait)
						}
						l.assertUntouched(t)
					})
				}
			})
		})
	}
}

func wantExit(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
}

func wantElapsed(t *testing.T, r result, min, max time.Duration) {
	t.Helper()
	if r.elapsed < min || r.elapsed >= max {
		t.Errorf("took %.2fs, want at least %s and under %s", r.elapsed.Seconds(), min, max)
	}
}

// wantFallbackNotice checks the auto mode's notice: exactly one line on
// stderr, saying that the passive data connection to the server failed and
// why, and that gftp switched to active mode.
func wantFallbackNotice(t *testing.T, r result, cause *regexp.Regexp) {
	t.Helper()
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("stderr is not exactly one line:\n%s", r.stderr)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)passive`),
		regexp.MustCompile(regexp.QuoteMeta(serverAddr)),
		cause,
		regexp.MustCompile(`(?i)active mode`),
	} {
		if !want.MatchString(r.stderr) {
			t.Errorf("the fallback notice lacks %q:\n%s", want, r.stderr)
		}
	}
}
