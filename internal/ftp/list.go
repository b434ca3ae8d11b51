package ftp

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// EntryType says what kind of directory entry an Entry is.
type EntryType int

const (
	EntryFile  EntryType = iota // a regular file
	EntryDir                    // a directory
	EntryLink                   // a symbolic link
	EntryOther                  // a device, pipe, socket, or a kind the server did not say
)

// String returns "file", "dir", "link" or "other".
func (t EntryType) String() string {
	switch t {
	case EntryFile:
		return "file"
	case EntryDir:
		return "dir"
	case EntryLink:
		return "link"
	}
	return "other"
}

// Entry is one line of a directory listing.
type Entry struct {
	Name string
	Type EntryType
	Size int64     // -1 when unknown
	Time time.Time // zero when unknown; always UTC
	// TimeExact: Time is to the second (MLSD's modify fact), not a
	// LIST date's minute, or day for older files.
	TimeExact bool
	// DateOnly: Time is a day (a Unix line with the year in place of the
	// time, as ls shows older files); midnight otherwise is a time.
	DateOnly bool
	Target   string // symlink target for Unix "name -> target"
	// Perm is the permission bits (0o777 at most) when the listing told
	// them (a Unix mode string, MLSD's unix.mode fact); else HasPerm is
	// false.
	Perm    fs.FileMode
	HasPerm bool
}

// ParseListLine parses one line of a LIST reply in Unix "ls -l" form or in
// Windows/IIS (DOS) form. A trailing CR or LF is ignored.
//
// Unix dates of the form "Mon DD HH:MM" carry no year; now picks it, as ls
// does: the latest year that puts the date no more than six months after
// now. Dates are taken as UTC, which is what most servers use; servers that
// list in local time are off by their offset and LIST cannot tell us.
//
// The name is everything after the single space that follows the date, so
// names with spaces, and even leading spaces, survive. For a Unix symlink
// "name -> target" is split at the first " -> ". "." and ".." entries are
// returned like any other.
func ParseListLine(line string, now time.Time) (Entry, error) {
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return Entry{}, fmt.Errorf("empty listing line")
	}
	if addrIsDigit(line[0]) {
		return listParseDOS(line)
	}
	return listParseUnix(line, now)
}

// ParseList parses a whole LIST body: lines split on "\n" with "\r"
// stripped. Blank lines, "total N" lines and lines that do not parse are
// skipped, since servers mix in headers and notes we cannot predict.
func ParseList(body string, now time.Time) []Entry {
	return parseBody(body, func(line string) (Entry, bool) { return listLine(line, now) })
}

// listLine is one line of ParseList: the entry, or false for a line
// that is skipped.
func listLine(line string, now time.Time) (Entry, bool) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "total ") {
		return Entry{}, false
	}
	e, err := ParseListLine(line, now)
	return e, err == nil
}

func parseBody(body string, line func(string) (Entry, bool)) []Entry {
	var entries []Entry
	for l := range strings.SplitSeq(body, "\n") {
		if e, ok := line(l); ok {
			entries = append(entries, e)
		}
	}
	return entries
}

// listField is a whitespace-separated field of a listing line with its
// byte offsets, so the name can be cut from the raw line afterwards.
type listField struct {
	s          string
	start, end int
}

// listFields splits line on spaces and tabs, like strings.Fields but
// keeping offsets.
func listFields(line string) []listField {
	var fields []listField
	start := -1
	for i := 0; i <= len(line); i++ {
		sep := i == len(line) || line[i] == ' ' || line[i] == '\t'
		switch {
		case sep && start >= 0:
			fields = append(fields, listField{line[start:i], start, i})
			start = -1
		case !sep && start < 0:
			start = i
		}
	}
	return fields
}

// listMonths maps the English month abbreviations ls prints, lower-cased.
var listMonths = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March,
	"apr": time.April, "may": time.May, "jun": time.June,
	"jul": time.July, "aug": time.August, "sep": time.September,
	"oct": time.October, "nov": time.November, "dec": time.December,
}

// listParseUnix parses the ls -l form:
//
//	mode [links] owner [group] size month day time-or-year name
//
// The fields between mode and size vary between servers (no group, no link
// count, numeric ids), so rather than count them we find the date: the
// first month/day/time-or-year triple preceded by a size. Device files
// show "major, minor" in place of the size, which we report as unknown.
func listParseUnix(line string, now time.Time) (Entry, error) {
	fields := listFields(line)
	if len(fields) == 0 {
		return Entry{}, fmt.Errorf("malformed listing line %q", replyTruncate(line, 80))
	}
	typ, ok := listUnixMode(fields[0].s)
	if !ok {
		return Entry{}, fmt.Errorf("unknown listing format %q", replyTruncate(line, 80))
	}
	for i := 2; i+2 < len(fields); i++ {
		month, ok := listMonths[strings.ToLower(fields[i].s)]
		if !ok {
			continue
		}
		day, ok := listSmallNumber(fields[i+1].s, 2)
		if !ok || day < 1 || day > 31 {
			continue
		}
		size, ok := listUnixSize(fields, i-1)
		if !ok {
			continue
		}
		t, ok := listUnixTime(fields[i+2].s, month, day, now)
		if !ok {
			continue
		}
		if t.IsZero() {
			return Entry{}, fmt.Errorf("invalid date in listing line %q", replyTruncate(line, 80))
		}
		// The name starts after exactly one separator, so leading spaces
		// that belong to the name are kept.
		nameStart := fields[i+2].end + 1
		if nameStart >= len(line) {
			return Entry{}, fmt.Errorf("no name in listing line %q", replyTruncate(line, 80))
		}
		e := Entry{Name: line[nameStart:], Type: typ, Size: size, Time: t, DateOnly: !strings.Contains(fields[i+2].s, ":")}
		e.Perm, e.HasPerm = listUnixPerm(fields[0].s)
		if typ == EntryLink {
			if name, target, found := strings.Cut(e.Name, " -> "); found && name != "" {
				e.Name, e.Target = name, target
			}
		}
		return e, nil
	}
	return Entry{}, fmt.Errorf("no date in listing line %q", replyTruncate(line, 80))
}

// listUnixMode checks the mode field and returns the entry type. It takes
// the traditional ten characters ("drwxr-xr-x", "crw-rw-rw-"), optionally
// followed by an ACL/SELinux/xattr marker ('+', '.', '@'), and also Go's
// os.FileMode.String form used by Go servers such as ftpserverlib, where
// several flag letters may precede the nine permission characters
// ("Lrwxrwxrwx" for a symlink, "dgrwxr-xr-x", "urwxr-xr-x").
func listUnixMode(mode string) (EntryType, bool) {
	if n := len(mode); n > 10 && (mode[n-1] == '+' || mode[n-1] == '.' || mode[n-1] == '@') {
		mode = mode[:n-1]
	}
	if len(mode) < 10 || len(mode) > 9+13 {
		return 0, false
	}
	perm := mode[len(mode)-9:]
	for i := range len(perm) {
		if !strings.ContainsRune("rwxsStTl-", rune(perm[i])) {
			return 0, false
		}
	}
	prefix := mode[:len(mode)-9]
	if len(prefix) == 1 {
		switch prefix[0] {
		case '-':
			return EntryFile, true
		case 'd':
			return EntryDir, true
		case 'l', 'L':
			return EntryLink, true
		}
	}
	// Go's flag letters: a type letter decides, set-id, sticky, append and
	// exclusive bits alone leave a regular file.
	switch {
	case strings.ContainsRune(prefix, 'd'):
		return EntryDir, true
	case strings.ContainsRune(prefix, 'L'):
		return EntryLink, true
	}
	for i := range len(prefix) {
		if !strings.ContainsRune("-alugtT", rune(prefix[i])) {
			return EntryOther, true
		}
	}
	return EntryFile, true
}

// listUnixPerm reads the nine permission characters of a mode field
// that listUnixMode accepted (set-id and sticky letters count as the x
// they stand over, or not, and are not kept).
func listUnixPerm(mode string) (fs.FileMode, bool) {
	if n := len(mode); n > 10 && (mode[n-1] == '+' || mode[n-1] == '.' || mode[n-1] == '@') {
		mode = mode[:n-1]
	}
	if len(mode) < 10 {
		return 0, false
	}
	var perm fs.FileMode
	for i, c := range mode[len(mode)-9:] {
		bit := fs.FileMode(1) << (8 - i)
		switch {
		case c == '-', c == 'S', c == 'T', c == 'l':
		case i%3 == 0 && c == 'r', i%3 == 1 && c == 'w', i%3 == 2 && (c == 'x' || c == 's' || c == 't'):
			perm |= bit
		default:
			return 0, false
		}
	}
	return perm, true
}

// listUnixSize reads the size at fields[i]. For "1, 3" or "1,3" (device
// major and minor) it reports -1. i is at least 1, so the mode field is
// never taken for a size.
func listUnixSize(fields []listField, i int) (int64, bool) {
	s := fields[i].s
	if major, minor, found := strings.Cut(s, ","); found {
		if listAllDigits(major) && listAllDigits(minor) {
			return -1, true
		}
		return 0, false
	}
	if !listAllDigits(s) {
		return 0, false
	}
	if i >= 2 {
		if major, found := strings.CutSuffix(fields[i-1].s, ","); found && listAllDigits(major) {
			return -1, true
		}
	}
	size, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return size, true
}

// listUnixTime reads "HH:MM" or "YYYY" and builds the date. ok is false if
// the field is neither; a zero time with ok means the date does not exist
// (such as Feb 30).
func listUnixTime(s string, month time.Month, day int, now time.Time) (time.Time, bool) {
	if hh, mm, found := strings.Cut(s, ":"); found {
		hour, ok1 := listSmallNumber(hh, 2)
		minute, ok2 := listSmallNumber(mm, 2)
		if !ok1 || !ok2 || len(mm) != 2 || hour > 23 || minute > 59 {
			return time.Time{}, false
		}
		now = now.UTC()
		limit := now.AddDate(0, 6, 0)
		// The latest of three candidate years not past the limit; a
		// candidate where the date does not exist (Feb 29) is skipped.
		for y := now.Year() + 1; y >= now.Year()-1; y-- {
			t, valid := listDate(y, month, day, hour, minute)
			if valid && !t.After(limit) {
				return t, true
			}
		}
		return time.Time{}, true
	}
	if len(s) != 4 || !listAllDigits(s) {
		return time.Time{}, false
	}
	year, _ := strconv.Atoi(s)
	t, valid := listDate(year, month, day, 0, 0)
	if !valid {
		return time.Time{}, true
	}
	return t, true
}

// listDate builds a UTC time and reports whether the date exists, which
// time.Date alone does not (it normalizes Feb 30 to Mar 2).
func listDate(year int, month time.Month, day, hour, minute int) (time.Time, bool) {
	t := time.Date(year, month, day, hour, minute, 0, 0, time.UTC)
	return t, t.Day() == day && t.Month() == month
}

// listParseDOS parses the Windows/IIS form:
//
//	11-24-26  04:35AM       <DIR>          bakdir
//	11-24-26  11:05PM              1234 backup 2026.tgz
//
// The year may have two or four digits, the time may be 12-hour with
// AM/PM (attached or as a separate field) or 24-hour.
func listParseDOS(line string) (Entry, error) {
	bad := func(what string) (Entry, error) {
		return Entry{}, fmt.Errorf("%s in listing line %q", what, replyTruncate(line, 80))
	}
	fields := listFields(line)
	if len(fields) < 4 {
		return bad("too few fields")
	}
	year, month, day, ok := listDOSDate(fields[0].s)
	if !ok {
		return bad("malformed date")
	}
	next := 2
	clock := fields[1].s
	if ampm := strings.ToUpper(fields[2].s); ampm == "AM" || ampm == "PM" {
		clock += ampm
		next = 3
	}
	hour, minute, ok := listDOSTime(clock)
	if !ok {
		return bad("malformed time")
	}
	t, valid := listDate(year, month, day, hour, minute)
	if !valid {
		return bad("invalid date")
	}
	if next+1 >= len(fields) {
		return bad("no name")
	}
	sf := fields[next]
	e := Entry{Time: t}
	var nameStart int
	if strings.EqualFold(sf.s, "<DIR>") {
		// IIS pads <DIR> to a column; names with leading spaces cannot be
		// told from the padding, so take the name from its first non-space.
		e.Type, e.Size = EntryDir, -1
		nameStart = fields[next+1].start
	} else {
		size, err := strconv.ParseInt(sf.s, 10, 64)
		if err != nil || size < 0 || !listAllDigits(sf.s) {
			return bad("malformed size")
		}
		e.Type, e.Size = EntryFile, size
		nameStart = sf.end + 1 // one space, like the Unix form
	}
	e.Name = line[nameStart:]
	return e, nil
}

// listDOSDate reads MM-DD-YY or MM-DD-YYYY (also with '/').
func listDOSDate(s string) (year int, month time.Month, day int, ok bool) {
	sep := "-"
	if strings.Contains(s, "/") {
		sep = "/"
	}
	parts := strings.Split(s, sep)
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	m, ok1 := listSmallNumber(parts[0], 2)
	d, ok2 := listSmallNumber(parts[1], 2)
	if !ok1 || !ok2 || m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	switch y := parts[2]; {
	case len(y) == 2 && listAllDigits(y):
		year, _ = strconv.Atoi(y)
		// Two-digit years: 70-99 are 19xx, the rest 20xx, the usual
		// pivot for listings that began in the Unix era.
		if year >= 70 {
			year += 1900
		} else {
			year += 2000
		}
	case len(y) == 4 && listAllDigits(y):
		year, _ = strconv.Atoi(y)
	default:
		return 0, 0, 0, false
	}
	return year, time.Month(m), d, true
}

// listDOSTime reads "HH:MMAM", "HH:MMPM" or 24-hour "HH:MM".
func listDOSTime(s string) (hour, minute int, ok bool) {
	suffix := ""
	if n := len(s); n > 2 {
		switch strings.ToUpper(s[n-2:]) {
		case "AM", "PM":
			suffix = strings.ToUpper(s[n-2:])
			s = s[:n-2]
		}
	}
	hh, mm, found := strings.Cut(s, ":")
	if !found || len(mm) != 2 {
		return 0, 0, false
	}
	hour, ok1 := listSmallNumber(hh, 2)
	minute, ok2 := listSmallNumber(mm, 2)
	if !ok1 || !ok2 || minute > 59 {
		return 0, 0, false
	}
	switch suffix {
	case "":
		if hour > 23 {
			return 0, 0, false
		}
	default:
		// Hour 0 is let through: some servers write 00:MMAM for midnight.
		if hour > 12 {
			return 0, 0, false
		}
		hour %= 12 // 12AM is midnight, 12PM noon
		if suffix == "PM" {
			hour += 12
		}
	}
	return hour, minute, true
}

// ParseMLSDLine parses one RFC 3659 MLSD or MLST line,
// "fact=value;fact=value; name". Fact names and the type value are
// case-insensitive. The name is everything after the first space, so it
// may contain spaces and ';'. MLST replies indent the line with a space;
// the caller must remove that one space before calling.
//
// Recognized facts: type (file, dir, cdir, pdir, and OS.unix=slink:target
// or OS.unix=symlink for links; other OS.* types are EntryOther), size
// (sizd for directories when size is absent) and modify
// (YYYYMMDDHHMMSS[.sss], UTC). cdir and pdir are reported as EntryDir.
// Without a type fact the type is EntryOther. Other facts are ignored; a
// malformed size or modify value is an error rather than silently unknown.
func ParseMLSDLine(line string) (Entry, error) {
	e, _, err := mlsdParse(line)
	return e, err
}

// ParseMLSD parses a whole MLSD body, dropping the cdir and pdir entries
// (the listed directory and its parent) and lines that do not parse.
func ParseMLSD(body string) []Entry { return parseBody(body, mlsdLine) }

// mlsdLine is one line of ParseMLSD: the entry, or false for a line
// that is skipped.
func mlsdLine(line string) (Entry, bool) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return Entry{}, false
	}
	e, kind, err := mlsdParse(line)
	return e, err == nil && kind != "cdir" && kind != "pdir"
}

// mlsdParse does the work of ParseMLSDLine and also returns the lower-cased
// type fact, so ParseMLSD can drop cdir and pdir.
func mlsdParse(line string) (Entry, string, error) {
	line = strings.TrimRight(line, "\r\n")
	facts, name, found := strings.Cut(line, " ")
	if !found || name == "" {
		return Entry{}, "", fmt.Errorf("no name in MLSD line %q", replyTruncate(line, 80))
	}
	e := Entry{Name: name, Type: EntryOther, Size: -1}
	var kind string
	haveSize := false
	sizd := int64(-1)
	for fact := range strings.SplitSeq(facts, ";") {
		if fact == "" {
			continue
		}
		key, value, found := strings.Cut(fact, "=")
		if !found || key == "" {
			return Entry{}, "", fmt.Errorf("malformed fact %q in MLSD line", replyTruncate(fact, 80))
		}
		switch strings.ToLower(key) {
		case "type":
			kind = strings.ToLower(value)
			e.Type, e.Target = mlsdType(value)
		case "size", "sizd":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 || !listAllDigits(value) {
				return Entry{}, "", fmt.Errorf("malformed %s fact %q in MLSD line", strings.ToLower(key), replyTruncate(value, 40))
			}
			if strings.EqualFold(key, "size") {
				e.Size, haveSize = n, true
			} else {
				sizd = n
			}
		case "modify":
			t, ok := mlsdTime(value)
			if !ok {
				return Entry{}, "", fmt.Errorf("malformed modify fact %q in MLSD line", replyTruncate(value, 40))
			}
			e.Time, e.TimeExact = t, true
		case "unix.mode":
			// Octal, as pure-ftpd and proftpd send it ("0644"), or with
			// Python's "0o" (pyftpdlib); a value that is not is ignored,
			// the fact being optional.
			value = strings.TrimPrefix(strings.TrimPrefix(value, "0o"), "0O")
			if n, err := strconv.ParseUint(value, 8, 32); err == nil && len(value) <= 6 {
				e.Perm, e.HasPerm = fs.FileMode(n)&fs.ModePerm, true
			}
		}
	}
	if !haveSize && sizd >= 0 && e.Type == EntryDir {
		e.Size = sizd
	}
	return e, kind, nil
}

// mlsdType maps a type fact value to an EntryType and, for
// "OS.unix=slink:target" (as sent by ProFTPD and others), the target.
func mlsdType(value string) (EntryType, string) {
	lower := strings.ToLower(value)
	switch lower {
	case "file":
		return EntryFile, ""
	case "dir", "cdir", "pdir":
		return EntryDir, ""
	}
	// Compare bytes case-insensitively rather than slicing a lower-cased
	// copy, whose length may differ from value's for non-ASCII input.
	const slink = "os.unix=slink"
	switch {
	case len(value) >= len(slink) && strings.EqualFold(value[:len(slink)], slink):
		if rest := value[len(slink):]; rest == "" || rest[0] == ':' {
			return EntryLink, strings.TrimPrefix(rest, ":")
		}
	case lower == "os.unix=symlink":
		return EntryLink, ""
	}
	return EntryOther, ""
}

// mlsdTime parses RFC 3659 time-val: YYYYMMDDHHMMSS with an optional
// fraction of any number of digits, in UTC.
func mlsdTime(s string) (time.Time, bool) {
	whole, frac, hasFrac := strings.Cut(s, ".")
	if len(whole) != 14 || !listAllDigits(whole) {
		return time.Time{}, false
	}
	if hasFrac && (frac == "" || !listAllDigits(frac)) {
		return time.Time{}, false
	}
	num := func(a, b int) int { n, _ := strconv.Atoi(whole[a:b]); return n }
	year, month, day := num(0, 4), num(4, 6), num(6, 8)
	hour, minute, sec := num(8, 10), num(10, 12), num(12, 14)
	if month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	nsec := 0
	for i, scale := 0, 100000000; i < len(frac) && scale > 0; i, scale = i+1, scale/10 {
		nsec += int(frac[i]-'0') * scale
	}
	t, valid := listDate(year, time.Month(month), day, hour, minute)
	if !valid {
		return time.Time{}, false
	}
	// Added rather than passed to time.Date so a leap second (60) rolls
	// over instead of failing.
	return t.Add(time.Duration(sec)*time.Second + time.Duration(nsec)), true
}

// listSmallNumber parses a decimal of 1..maxDigits digits.
func listSmallNumber(s string, maxDigits int) (int, bool) {
	if s == "" || len(s) > maxDigits || !listAllDigits(s) {
		return 0, false
	}
	n, _ := strconv.Atoi(s)
	return n, true
}

// listAllDigits reports whether s is a non-empty run of ASCII digits.
func listAllDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !addrIsDigit(s[i]) {
			return false
		}
	}
	return true
}
