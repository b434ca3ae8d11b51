//go:build linux

package interop

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// links checks mirror against symbolic links as each server shows them
// (vsftpd in LIST as "name -> target"; pure-ftpd and proftpd in MLSD as
// OS.unix=symlink without the target, which their LIST gives; pyftpdlib
// and iis-style as what they point to, refusing what is outside the
// user's root): whatever the form, nothing local ends up pointing outside
// the mirrored directory, and the link inside it comes as a link or as
// the file. Servers that follow links fail the mirror for those that
// point outside (and say which), the others skip them with a warning.
func (c *cell) links(t *testing.T) {
	c.serverDir(t, "ln")
	data := randomBytes(500)
	c.serverFile(t, "ln/a.txt", data)
	for name, target := range map[string]string{
		"in":     "a.txt",
		"up":     "../../..",
		"abs":    "/etc/passwd",
		"broken": "nowhere",
	} {
		p := c.path("ln/" + name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if c.inst.uid >= 0 {
			os.Lchown(p, c.inst.uid, c.inst.gid)
		}
	}
	local := t.TempDir()
	follows := pyftpdlibBased(c.inst.server)
	checkRun := func(r *gftpRun) {
		t.Helper()
		for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
			switch {
			case line == "":
			case follows && regexp.MustCompile(`ln/(up|abs|broken)\b|^gftp: stdin:3: mirror ln ln: `).MatchString(line):
			case !follows && regexp.MustCompile(`^gftp: skipping the symbolic link ln/(up|abs) -> (\.\./\.\./\.\.|/etc/passwd): it points outside the mirrored directory$`).MatchString(line):
			case !follows && regexp.MustCompile(`^gftp: skipping the symbolic link ln/(up|abs): the listing does not say where it points$`).MatchString(line):
				// proftpd's LIST does not show where a link out of
				// the user's root points.
			default:
				r.fail(t, "unexpected on stderr: %q", line)
			}
		}
		if (r.code != 0) != follows {
			r.fail(t, "exit status %d", r.code)
		}
	}
	r := c.gftp(t, local, "mirror ln ln\n")
	checkRun(r)
	root := filepath.Join(local, "ln")
	wantFile(t, filepath.Join(root, "a.txt"), data)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.Type()&os.ModeSymlink == 0 {
			return err
		}
		target, err := os.Readlink(p)
		if err != nil {
			return err
		}
		resolved := filepath.Clean(filepath.Join(filepath.Dir(p), target))
		if filepath.IsAbs(target) || resolved != root && !strings.HasPrefix(resolved, root+string(filepath.Separator)) {
			r.fail(t, "mirror made %s -> %s, outside the mirrored directory", p, target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// "in": a link to a.txt, or (a server that follows links) a copy.
	if target, err := os.Readlink(filepath.Join(root, "in")); err == nil {
		if target != "a.txt" {
			r.fail(t, "in -> %s, want a.txt", target)
		}
	} else {
		wantFile(t, filepath.Join(root, "in"), data)
	}
	// A second run finds it all up to date.
	r = c.gftp(t, local, "mirror ln ln\n")
	checkRun(r)
	if follows {
		// What failed the first time is tried (and fails) again.
		r.stdoutHas(t, `^mirror ln: \d+ new, 0 updated, 2 skipped \(up to date\), 0 deleted, [1-9]\d* failed$`)
	} else {
		r.stdoutHas(t, `^mirror ln: 0 new, 0 updated, \d+ skipped \(up to date\), 0 deleted, 0 failed$`)
	}
}

// perms checks that mirror keeps permission bits both ways where the
// server's listing tells them (not iis-style's MS-DOS lines) and it has
// SITE CHMOD.
func (c *cell) perms(t *testing.T) {
	if c.inst.server == "iis-style" {
		t.Skip("MS-DOS listings show no permission bits") // no bits to keep: nothing to check
	}
	c.serverDir(t, "pm")
	p := c.serverFile(t, "pm/run.sh", randomBytes(50))
	if err := os.Chmod(p, 0o750); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	r := c.gftp(t, local, "mirror pm pm\n")
	r.ok(t, true)
	if fi, err := os.Stat(filepath.Join(local, "pm", "run.sh")); err != nil || fi.Mode().Perm() != 0o750 {
		r.fail(t, "downloaded run.sh: %v, %v; want the server's 750", fi.Mode(), err)
	}
	up := filepath.Join(local, "up")
	if err := os.MkdirAll(up, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(up, "secret.gz"), randomBytes(50))
	if err := os.Chmod(filepath.Join(up, "secret.gz"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = c.gftp(t, local, "mirror -R up pmup\n")
	r.ok(t, true)
	if fi, err := os.Stat(c.path("pmup/secret.gz")); err != nil || fi.Mode().Perm() != 0o600 {
		r.fail(t, "uploaded secret.gz on the server: %v, %v; want 600", fi.Mode(), err)
	}
}
