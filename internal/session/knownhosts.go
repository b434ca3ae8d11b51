package session

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KnownHosts is the store of server certificates the user chose to trust
// although no authority vouches for them (self-signed ones, mostly): as
// ssh's known_hosts, a line "host:port SHA256:..." each, in a file only
// the user can read (0600, in a 0700 folder). A certificate that no
// longer matches its line fails loudly.
type KnownHosts struct{ Path string }

// maxKnownHosts bounds the file read: it is ours, but may be damaged.
const maxKnownHosts = 1 << 20

// Lookup returns the fingerprint stored for hostport, or "".
func (k *KnownHosts) Lookup(hostport string) (string, error) {
	if k == nil || k.Path == "" {
		return "", nil
	}
	lines, err := k.read()
	if err != nil {
		return "", err
	}
	for _, l := range lines {
		if h, fp, ok := strings.Cut(l, " "); ok && h == hostport {
			return strings.TrimSpace(fp), nil
		}
	}
	return "", nil
}

// Add stores fingerprint for hostport, in place of any it had. The file is
// written whole to a temporary name and renamed, so a crash leaves the
// old one.
func (k *KnownHosts) Add(hostport, fingerprint string) error {
	if k == nil || k.Path == "" {
		return errors.New("no file to remember trusted certificates in (no home or state directory)")
	}
	lines, err := k.read()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("# gftp: server certificates you chose to trust (host:port fingerprint)\n")
	for _, l := range lines {
		if h, _, _ := strings.Cut(l, " "); h != hostport {
			b.WriteString(l + "\n")
		}
	}
	fmt.Fprintf(&b, "%s %s\n", hostport, fingerprint)
	if err := os.MkdirAll(filepath.Dir(k.Path), 0o700); err != nil {
		return fmt.Errorf("trusted certificates: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(k.Path), ".known_hosts-*")
	if err != nil {
		return fmt.Errorf("trusted certificates: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("trusted certificates: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("trusted certificates: %w", err)
	}
	if err := os.Rename(tmp.Name(), k.Path); err != nil {
		return fmt.Errorf("trusted certificates: %w", err)
	}
	return nil
}

// read returns the file's entries (no comments or blank lines); a missing
// file has none.
func (k *KnownHosts) read() ([]string, error) {
	f, err := os.Open(k.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trusted certificates: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), maxKnownHosts)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("trusted certificates %s: %w", k.Path, err)
	}
	return lines, nil
}
