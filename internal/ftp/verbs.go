package ftp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// The typed verbs. Each sends one command and checks its reply against
// the code it expects, in one place (expect): a refusal (4xx, 5xx) is a
// *ReplyError, any other code a *UnexpectedReplyError. Callers build no
// command lines and compare no codes.

// expect sends line and returns its final reply when ok accepts the code.
func (c *Conn) expect(ctx context.Context, line string, ok func(code int) bool) (*Reply, error) {
	r, err := c.Cmd(ctx, line)
	if err != nil {
		return r, err
	}
	if !ok(r.Code) {
		return r, &UnexpectedReplyError{Command: verbOf(line), Reply: r}
	}
	return r, nil
}

// completed accepts any 2xx: servers differ on which one (CWD is 250 by
// the RFC, 200 on some).
func completed(code int) bool { return code/100 == 2 }

func is(want int) func(int) bool { return func(code int) bool { return code == want } }

// Cwd changes the remote directory.
func (c *Conn) Cwd(ctx context.Context, dir string) error {
	_, err := c.expect(ctx, "CWD "+dir, completed)
	return err
}

// Cdup goes to the parent directory.
func (c *Conn) Cdup(ctx context.Context) error {
	_, err := c.expect(ctx, "CDUP", completed)
	return err
}

// Pwd returns the remote directory.
func (c *Conn) Pwd(ctx context.Context) (string, error) {
	r, err := c.expect(ctx, "PWD", is(StatusPathCreated))
	if err != nil {
		return "", err
	}
	// The path is on the first line (RFC 959 Appendix II, 257): a path
	// read across lines, or one with CR, LF or NUL, could print a line of
	// the server's making and could not be sent back in a CWD anyway.
	dir := QuotedPath(replyStripCode(r.Lines[0], strconv.Itoa(r.Code), true))
	if dir == "" || strings.ContainsAny(dir, "\r\n\x00") {
		return "", errNoDirectory
	}
	return dir, nil
}

// errNoDirectory is a 257 to PWD without a usable path.
var errNoDirectory = errors.New("the server's reply to PWD names no directory")

// QuotedPath reads the directory out of a 257 reply's text: `"dir" text`
// is the RFC 959 form, where a doubled quote stands for a quote. Text
// without quotes is returned as it is.
func QuotedPath(msg string) string {
	i := strings.Index(msg, `"`)
	if i < 0 {
		return msg
	}
	var b strings.Builder
	for j := i + 1; j < len(msg); j++ {
		if msg[j] != '"' {
			b.WriteByte(msg[j])
			continue
		}
		if j+1 < len(msg) && msg[j+1] == '"' {
			b.WriteByte('"')
			j++
			continue
		}
		return b.String()
	}
	return msg[i+1:] // no closing quote
}

// Size returns a file's size (RFC 3659 §4), counted in the current
// transfer type. A server without SIZE refuses with 500 or 502
// (NotImplemented).
func (c *Conn) Size(ctx context.Context, path string) (int64, error) {
	r, err := c.expect(ctx, "SIZE "+path, is(StatusFile))
	if err != nil {
		return -1, err
	}
	n, perr := strconv.ParseInt(strings.TrimSpace(r.Message()), 10, 64)
	if perr != nil || n < 0 {
		return -1, &UnexpectedReplyError{Command: "SIZE", Reply: r}
	}
	return n, nil
}

// Mdtm returns a file's modification time (RFC 3659 §3), in UTC.
func (c *Conn) Mdtm(ctx context.Context, path string) (time.Time, error) {
	r, err := c.expect(ctx, "MDTM "+path, is(StatusFile))
	if err != nil {
		return time.Time{}, err
	}
	t, ok := mlsdTime(strings.TrimSpace(r.Message()))
	if !ok {
		return time.Time{}, &UnexpectedReplyError{Command: "MDTM", Reply: r}
	}
	return t, nil
}

// batch is how many commands CmdAll sends before it reads their
// replies: a few KiB, which any server's socket buffer holds.
const batch = 64

// CmdAll sends the command lines, batch at a time before their replies
// are read (commands queue on the control connection and are answered in
// order), so that a batch costs a round trip instead of one a command.
// It returns each line's final reply, refusals included, in order; the
// error is the connection's (the replies then stop short).
func (c *Conn) CmdAll(ctx context.Context, lines []string) ([]*Reply, error) {
	out := make([]*Reply, 0, len(lines))
	for len(lines) > 0 {
		group := lines[:min(batch, len(lines))]
		lines = lines[len(group):]
		sent := 0
		var serr error
		for i, l := range group {
			// Only the first may read stray replies first: after it,
			// replies are owed.
			if serr = c.send(ctx, l, i == 0); serr != nil {
				break
			}
			sent++
		}
		for range group[:sent] {
			r, err := c.ReadFinal(ctx)
			if err != nil {
				return out, err
			}
			out = append(out, r)
		}
		if serr != nil {
			return out, serr
		}
	}
	return out, nil
}

// MdtmAll returns the modification times of many files, their MDTM
// commands sent as CmdAll sends them. A file the server refuses, or
// answers oddly for, is left out of the map; the error is the
// connection's. A name that cannot be sent is not asked.
func (c *Conn) MdtmAll(ctx context.Context, paths []string) (map[string]time.Time, error) {
	var asked, lines []string
	for _, p := range paths {
		if CheckArg(p) == nil {
			asked, lines = append(asked, p), append(lines, "MDTM "+p)
		}
	}
	replies, err := c.CmdAll(ctx, lines)
	out := make(map[string]time.Time, len(replies))
	for i, r := range replies {
		if r.Code != StatusFile {
			continue
		}
		if t, ok := mlsdTime(strings.TrimSpace(r.Message())); ok {
			out[asked[i]] = t
		}
	}
	return out, err
}

// Delete deletes a file.
func (c *Conn) Delete(ctx context.Context, path string) error {
	_, err := c.expect(ctx, "DELE "+path, completed)
	return err
}

// Mkdir makes a directory.
func (c *Conn) Mkdir(ctx context.Context, path string) error {
	_, err := c.expect(ctx, "MKD "+path, completed)
	return err
}

// Rmdir removes a directory.
func (c *Conn) Rmdir(ctx context.Context, path string) error {
	_, err := c.expect(ctx, "RMD "+path, completed)
	return err
}

// Rename renames from to to (RNFR, then RNTO). Both names are checked
// before RNFR goes out, so nothing is left half done.
func (c *Conn) Rename(ctx context.Context, from, to string) error {
	if err := CheckArg(to); err != nil {
		return fmt.Errorf("RNTO: %w", err)
	}
	if _, err := c.expect(ctx, "RNFR "+from, is(StatusPendingFurther)); err != nil {
		return err
	}
	_, err := c.expect(ctx, "RNTO "+to, completed)
	return err
}

// Chmod sets a file's permission bits (SITE CHMOD, as most Unix servers
// have it; not in any RFC).
func (c *Conn) Chmod(ctx context.Context, perm fs.FileMode, path string) error {
	_, err := c.expect(ctx, fmt.Sprintf("SITE CHMOD %03o %s", perm&fs.ModePerm, path), completed)
	return err
}

// SetModTime sets a file's modification time (MFMT, from the
// draft-somers-ftp-mfxx that servers implement), to the second, in UTC.
func (c *Conn) SetModTime(ctx context.Context, path string, t time.Time) error {
	_, err := c.expect(ctx, "MFMT "+t.UTC().Format("20060102150405")+" "+path, is(StatusFile))
	return err
}

// SiteUtime sets a file's modification time with SITE UTIME, for servers
// without MFMT. Servers take one of two forms (neither in an RFC): the
// time first, as ProFTPD's mod_site_misc has it, or (long) the path, then
// access, modification and creation times and "UTC", as pure-ftpd and
// others have it.
func (c *Conn) SiteUtime(ctx context.Context, path string, t time.Time, long bool) error {
	ts := t.UTC().Format("20060102150405")
	line := "SITE UTIME " + ts + " " + path
	if long {
		line = "SITE UTIME " + path + " " + ts + " " + ts + " " + ts + " UTC"
	}
	_, err := c.expect(ctx, line, completed)
	return err
}

// OptsMLST selects the facts MLSD and MLST send (RFC 3659 §7.9).
func (c *Conn) OptsMLST(ctx context.Context, facts []string) error {
	_, err := c.expect(ctx, "OPTS MLST "+strings.Join(facts, ";")+";", is(StatusOK))
	return err
}

// Syst returns the first word of the system type (SYST), e.g. "UNIX".
func (c *Conn) Syst(ctx context.Context) (string, error) {
	r, err := c.expect(ctx, "SYST", is(StatusSystemType))
	if err != nil {
		return "", err
	}
	return strings.Fields(r.Message() + " ?")[0], nil
}

// Noop checks that the server answers.
func (c *Conn) Noop(ctx context.Context) error {
	_, err := c.expect(ctx, "NOOP", completed)
	return err
}

// TransferType is the representation type of transfers (RFC 959 §3.1.1).
type TransferType byte

const (
	TypeUnknown TransferType = 0
	TypeASCII   TransferType = 'A'
	TypeImage   TransferType = 'I' // binary
)

// Type sets the transfer type. The Conn remembers the type the server
// has, so asking for the same type again sends nothing.
func (c *Conn) Type(ctx context.Context, t TransferType) error {
	if c.typ == t {
		return nil
	}
	if _, err := c.expect(ctx, "TYPE "+string(rune(t)), completed); err != nil {
		return err
	}
	c.typ = t
	return nil
}

// Raw sends a command line as it is (ftp(1)'s quote) and returns every
// reply up to the final one; a refusal is a *ReplyError as well. A raw
// TYPE makes the transfer type unknown again.
func (c *Conn) Raw(ctx context.Context, line string) ([]*Reply, error) {
	if verbOf(line) == "TYPE" {
		c.typ = TypeUnknown
	}
	if err := c.Send(ctx, line); err != nil {
		return nil, err
	}
	var replies []*Reply
	w := waitFor(c.opts.ReplyTimeout)
	for range maxPreliminary {
		r, err := c.readUntil(ctx, w)
		if err != nil {
			return replies, err
		}
		replies = append(replies, r)
		if r.Class() != 1 {
			return replies, replyErr(verbOf(line), r)
		}
	}
	c.markClosed()
	return replies, lost("the server sent %d preliminary replies and no final one", maxPreliminary)
}

func asReplyError(err error) (*ReplyError, bool) {
	var re *ReplyError
	ok := errors.As(err, &re)
	return re, ok
}
