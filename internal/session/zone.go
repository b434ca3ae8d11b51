package session

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// LIST times are in whatever zone the server lists in: UTC for most Unix
// servers, but the machine's local time for IIS and others, which made a
// mirror of an unchanged tree move every file again. MDTM is UTC (RFC
// 3659 §2.3), so one MDTM of a listed file tells the offset, as FileZilla
// learns it: once per connection, only for the walks that compare times.

// maxZone bounds a believable offset (UTC-12 to UTC+14).
const maxZone = 14 * time.Hour

// inUTC moves the LIST times of entries (the listing of dir) to UTC, by
// the server's offset, learned from the first of them with a time to the
// minute when not known yet.
func (s *Session) inUTC(ctx context.Context, dir string, entries []ftp.Entry) {
	listed := func(e ftp.Entry) bool { return !e.TimeExact && !e.DateOnly && !e.Time.IsZero() }
	if !s.zoneKnown {
		for _, e := range entries {
			if e.Type == ftp.EntryFile && listed(e) {
				s.learnZone(ctx, path.Join(dir, e.Name), e.Time)
				break
			}
		}
	}
	if s.zone == 0 {
		return
	}
	for i := range entries {
		if listed(entries[i]) {
			entries[i].Time = entries[i].Time.Add(-s.zone)
		}
	}
}

// learnZone compares the LIST time of the file remote with its MDTM. An
// offset is a whole quarter hour, as zones are; a server without MDTM, or
// an answer that makes no sense, leaves the times as listed.
func (s *Session) learnZone(ctx context.Context, remote string, listed time.Time) {
	s.zoneKnown = true
	l := s.main
	if f, err := l.features(ctx); err != nil || !hasFeature(f, "MDTM") {
		return
	}
	mt, err := l.conn.Mdtm(s.own(ctx), remote)
	if err != nil {
		l.check(err)
		return
	}
	off := listed.Sub(mt.Truncate(time.Minute)).Round(15 * time.Minute)
	if off.Abs() > maxZone {
		return
	}
	s.zone = off
	if off != 0 {
		s.logf("the server lists times %s", zoneName(off))
		if s.opts.Verbose {
			s.printf("The server lists times %s; compared in UTC.\n", zoneName(off))
		}
	}
}

// zoneName says an offset as "in UTC+01:00".
func zoneName(off time.Duration) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("in UTC%s%02d:%02d", sign, int(off.Hours()), int(off.Minutes())%60)
}

func hasFeature(f map[string]string, name string) bool {
	_, ok := f[name]
	return ok
}
