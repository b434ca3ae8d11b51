package ftp

import (
	"net/netip"
	"strings"
	"testing"
)

// parsePASVCases is shared by TestParsePASV and the seeds of FuzzParsePASV.
var parsePASVCases = []struct {
	in      string
	want    string // netip.AddrPort in string form
	wantErr string
}{
	{in: "227 Entering Passive Mode (127,0,0,1,4,10).", want: "127.0.0.1:1034"},
	{in: "Entering Passive Mode (192,168,1,20,195,80)", want: "192.168.1.20:50000"},
	{in: "227 =127,0,0,1,4,10", want: "127.0.0.1:1034"},
	{in: "227 Entering Passive Mode 10,0,0,5,0,21", want: "10.0.0.5:21"},
	{in: "227 Entering Passive Mode (10, 0, 0, 5, 255, 255)", want: "10.0.0.5:65535"},
	{in: "227 Entering Passive Mode (0,0,0,0,200,1)", want: "0.0.0.0:51201"},
	{in: "227 Entering Passive Mode (010,000,000,001,004,010)", want: "10.0.0.1:1034"},
	{in: "227 Entering Passive Mode (1,2,3) then (127,0,0,1,4,10)", want: "127.0.0.1:1034"},
	{in: "127,0,0,1,4,10,99", want: "127.0.0.1:1034"},

	{in: "227 Entering Passive Mode", wantErr: `malformed PASV reply "227 Entering Passive Mode"`},
	{in: "", wantErr: "malformed PASV reply"},
	{in: "227 (127,0,0,1,4)", wantErr: "malformed PASV reply"},
	{in: "227 (127,0,0,1,4,)", wantErr: "malformed PASV reply"},
	{in: "227 (127.0.0.1,4,10)", wantErr: "malformed PASV reply"},
	{in: "227 (127,0,0,256,4,10)", wantErr: "number 256 out of range"},
	{in: "227 (127,0,0,1,4,99999999999999999999)", wantErr: "out of range"},
	{in: "227 (127,0,0,1,-4,10)", wantErr: "malformed PASV reply"},
	{in: "227 (127,0,0,1,0,0)", wantErr: "port 0"},
}

func TestParsePASV(t *testing.T) {
	for _, tc := range parsePASVCases {
		got, err := ParsePASV(tc.in)
		if tc.wantErr != "" {
			if err == nil {
				t.Errorf("ParsePASV(%q) = %v, want error containing %q", tc.in, got, tc.wantErr)
			} else if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParsePASV(%q) error %q does not contain %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePASV(%q): %v", tc.in, err)
			continue
		}
		if got.String() != tc.want {
			t.Errorf("ParsePASV(%q) = %v, want %s", tc.in, got, tc.want)
		}
	}
}

// parseEPSVCases is shared by TestParseEPSV and the seeds of FuzzParseEPSV.
var parseEPSVCases = []struct {
	in      string
	want    int
	wantErr string
}{
	{in: "229 Entering Extended Passive Mode (|||6446|)", want: 6446},
	{in: "Entering Extended Passive Mode (|||6446|)", want: 6446},
	{in: "229 Entering Extended Passive Mode (!!!1!)", want: 1},
	{in: "229 EPSV ok (~~~65535~)", want: 65535},
	{in: "229 |||21|", want: 21},
	{in: "229 (|||||6446|)", want: 6446},
	{in: "229 Entering Extended Passive Mode (|||06446|)", want: 6446},

	{in: "229 Entering Extended Passive Mode", wantErr: `malformed EPSV reply "229 Entering Extended Passive Mode"`},
	{in: "", wantErr: "malformed EPSV reply"},
	{in: "229 (||6446|)", wantErr: "malformed EPSV reply"},
	{in: "229 (|!|6446|)", wantErr: "malformed EPSV reply"},
	{in: "229 (|||6446!)", wantErr: "malformed EPSV reply"},
	{in: "229 (|||6446)", wantErr: "malformed EPSV reply"},
	{in: "229 (||||)", wantErr: "malformed EPSV reply"},
	{in: "229 (   6446 )", wantErr: "malformed EPSV reply"},
	{in: "229 (\x7f\x7f\x7f6446\x7f)", wantErr: "malformed EPSV reply"},
	{in: "229 (|||0|)", wantErr: "port 0 out of range"},
	{in: "229 (|||65536|)", wantErr: "port 65536 out of range"},
	{in: "229 (|||99999999999999999999999|)", wantErr: "out of range"},
}

func TestParseEPSV(t *testing.T) {
	for _, tc := range parseEPSVCases {
		got, err := ParseEPSV(tc.in)
		if tc.wantErr != "" {
			if err == nil {
				t.Errorf("ParseEPSV(%q) = %d, want error containing %q", tc.in, got, tc.wantErr)
			} else if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseEPSV(%q) error %q does not contain %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseEPSV(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseEPSV(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestFormatPORT(t *testing.T) {
	cases := []struct {
		in      netip.AddrPort
		want    string
		wantErr bool
	}{
		{in: netip.MustParseAddrPort("132.235.1.2:6275"), want: "132,235,1,2,24,131"},
		{in: netip.MustParseAddrPort("127.0.0.1:1034"), want: "127,0,0,1,4,10"},
		{in: netip.MustParseAddrPort("0.0.0.0:65535"), want: "0,0,0,0,255,255"},
		{in: netip.MustParseAddrPort("[::ffff:10.1.2.3]:21"), want: "10,1,2,3,0,21"},
		{in: netip.MustParseAddrPort("[::1]:21"), wantErr: true},
		{in: netip.MustParseAddrPort("[fe80::1%eth0]:21"), wantErr: true},
		{in: netip.AddrPort{}, wantErr: true},
	}
	for _, tc := range cases {
		got, err := FormatPORT(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("FormatPORT(%v) = %q, want error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("FormatPORT(%v): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("FormatPORT(%v) = %q, want %q", tc.in, got, tc.want)
		}
		// What we send as PORT must read back as the same address.
		back, err := ParsePASV(got)
		if err != nil || back.Addr() != tc.in.Addr().Unmap() || back.Port() != tc.in.Port() {
			t.Errorf("ParsePASV(%q) = %v, %v; want %v", got, back, err, tc.in)
		}
	}
}

func TestFormatEPRT(t *testing.T) {
	cases := []struct {
		in   netip.AddrPort
		want string
	}{
		{netip.MustParseAddrPort("132.235.1.2:6275"), "|1|132.235.1.2|6275|"},
		{netip.MustParseAddrPort("[::1]:6275"), "|2|::1|6275|"},
		{netip.MustParseAddrPort("[1080::8:800:200c:417a]:5282"), "|2|1080::8:800:200c:417a|5282|"},
		{netip.MustParseAddrPort("[::ffff:10.1.2.3]:21"), "|1|10.1.2.3|21|"},
		{netip.MustParseAddrPort("[fe80::1%eth0]:2121"), "|2|fe80::1|2121|"},
	}
	for _, tc := range cases {
		if got := FormatEPRT(tc.in); got != tc.want {
			t.Errorf("FormatEPRT(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzParsePASV(f *testing.F) {
	for _, tc := range parsePASVCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ap, err := ParsePASV(in)
		if err != nil {
			if ap.IsValid() {
				t.Fatalf("valid %v returned with error %v", ap, err)
			}
			return
		}
		if !ap.Addr().Is4() || ap.Port() == 0 {
			t.Fatalf("ParsePASV(%q) = %v", in, ap)
		}
		s, err := FormatPORT(ap)
		if err != nil {
			t.Fatalf("FormatPORT(%v): %v", ap, err)
		}
		back, err := ParsePASV(s)
		if err != nil || back != ap {
			t.Fatalf("round trip %q -> %v -> %q -> %v, %v", in, ap, s, back, err)
		}
		// The same address must also format for EPRT as protocol 1.
		if want := "|1|" + ap.Addr().String() + "|"; !strings.HasPrefix(FormatEPRT(ap), want) {
			t.Fatalf("FormatEPRT(%v) = %q", ap, FormatEPRT(ap))
		}
	})
}

func FuzzParseEPSV(f *testing.F) {
	for _, tc := range parseEPSVCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		port, err := ParseEPSV(in)
		if err != nil {
			if port != 0 {
				t.Fatalf("port %d returned with error %v", port, err)
			}
			return
		}
		if port < 1 || port > 65535 {
			t.Fatalf("ParseEPSV(%q) = %d", in, port)
		}
	})
}
