package ftp

import "testing"

func TestParsePortList(t *testing.T) {
	in := parsePortList("8080, 9000-9002,junk,7-3,65000")
	for p, want := range map[int]bool{8080: true, 9000: true, 9001: true, 9002: true, 9003: false, 8999: false, 65000: true, 5: false, 0: false} {
		if got := in(p); got != want {
			t.Errorf("port %d: reserved %v, want %v", p, got, want)
		}
	}
	if parsePortList("")(0) {
		t.Error("an empty list reserves port 0")
	}
}
