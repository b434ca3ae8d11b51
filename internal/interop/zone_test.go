//go:build linux

package interop

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestListZone: an IIS-style server that lists times in its local zone,
// UTC+05:45 here (a quarter-hour zone), as IIS does. gftp learns the
// offset from one MDTM, so a second mirror over an unchanged tree moves
// nothing in either direction (taking the times as UTC, it moved every
// file again), and a file that did change still moves.
func TestListZone(t *testing.T) {
	requireServers(t)
	inst, err := startIISStyle(t, "127.0.0.1", listZone("XYZ-5:45"))
	if err != nil {
		t.Fatalf("iis-style did not start: %v", err)
	}
	c := &cell{inst: inst, mode: "passive", flag: "-p"}
	c.clearRoot(t)
	c.serverDir(t, "site")
	when := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	for _, name := range []string{"a.bin", "b.bin"} {
		if err := os.Chtimes(c.serverFile(t, "site/"+name, randomBytes(300)), when, when); err != nil {
			t.Fatal(err)
		}
	}
	local := t.TempDir()
	r := c.gftp(t, local, "mirror site site\n")
	r.ok(t, true)
	r.stdoutHas(t, `^mirror site: 2 new, 0 updated, 0 skipped`)
	r.stdoutHas(t, `^The server lists times in UTC\+05:45; compared in UTC\.$`)
	r = c.gftp(t, local, "mirror site site\n")
	r.ok(t, false)
	r.stdoutHas(t, `^mirror site: 0 new, 0 updated, 2 skipped \(up to date\), 0 deleted, 0 failed$`)

	// Upload: the first run sends both, the second none (the server's
	// files are newer than the local ones, in UTC), a changed one goes.
	r = c.gftp(t, local, "mirror -R site up\n")
	r.ok(t, true)
	r.stdoutHas(t, `^mirror -R site: 2 new, 0 updated, 0 skipped`)
	r = c.gftp(t, local, "mirror -R site up\n")
	r.ok(t, false)
	r.stdoutHas(t, `^mirror -R site: 0 new, 0 updated, 2 skipped \(up to date\), 0 deleted, 0 failed$`)
	later := time.Now().Add(2 * time.Hour)
	if err := os.Chtimes(filepath.Join(local, "site", "a.bin"), later, later); err != nil {
		t.Fatal(err)
	}
	r = c.gftp(t, local, "mirror -R site up\n")
	r.ok(t, true)
	r.stdoutHas(t, `^mirror -R site: 0 new, 1 updated, 1 skipped \(up to date\), 0 deleted, 0 failed$`)
}
