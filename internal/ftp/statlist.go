package ftp

import (
	"context"
	"strings"
	"time"
)

// StatList lists dir over the control connection: STAT with a pathname
// (RFC 959 §4.1.3) answers with the listing in its reply, a round trip
// instead of the three or four of a LIST (a passive command, the data
// connection with the command, the final reply). The lines are LIST's
// (Unix or Windows form, dated against now; proftpd indents them by a
// space), and each entry goes to fn as its line arrives, so a large
// directory costs no more memory than a small one.
//
// Servers differ: vsftpd, pure-ftpd, proftpd and pyftpdlib list a
// directory this way, some list nothing for a name that does not exist
// (vsftpd, pure-ftpd), and a server may have no STAT with a pathname at
// all. A caller takes what StatList shows as a shortcut, and goes to LIST
// when it does not show what it looked for. dir is passed as it is, and
// a server may read ls options or wildcards in it: "." is always safe.
func (c *Conn) StatList(ctx context.Context, dir string, now time.Time, fn func(Entry)) error {
	line := "STAT " + dir
	if err := c.Send(ctx, line); err != nil {
		return err
	}
	each := func(s string) {
		if e, ok := listLine(statLine(s), now); ok {
			fn(e)
		}
	}
	r, err := c.readFinalStreaming(ctx, waitFor(c.opts.ReplyTimeout), each)
	if err != nil {
		return err
	}
	if err := replyErr("STAT", r); err != nil {
		return err
	}
	switch r.Code {
	case StatusSystemStatus, StatusDirectory, StatusFile:
		return nil
	}
	return &UnexpectedReplyError{Command: "STAT", Reply: r}
}

// statLine is the listing line in a line of a STAT reply: without the
// space proftpd indents it by, or the "213-" some servers start each line
// with. No listing line starts with three digits and a dash (a Windows
// one starts with a two-digit month).
func statLine(s string) string {
	if len(s) > 4 && s[0] == '2' && addrIsDigit(s[1]) && addrIsDigit(s[2]) && s[3] == '-' {
		return s[4:]
	}
	return strings.TrimPrefix(s, " ")
}
