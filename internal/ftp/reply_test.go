package ftp

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// readReplyCases is shared by TestReadReply and the seeds of FuzzReadReply.
var readReplyCases = []struct {
	name    string
	in      string
	code    int
	lines   []string
	msg     string
	wantErr string // substring of the error; "" means success
	isEOF   bool   // the error must be io.EOF itself
	unexEOF bool   // the error must wrap io.ErrUnexpectedEOF
}{
	{name: "single", in: "220 Service ready\r\n", code: 220, lines: []string{"220 Service ready"}, msg: "Service ready"},
	{name: "bare LF", in: "200 OK\n", code: 200, lines: []string{"200 OK"}, msg: "OK"},
	{name: "bare code", in: "200\r\n", code: 200, lines: []string{"200"}, msg: ""},
	{name: "code and space", in: "200 \r\n", code: 200, lines: []string{"200 "}, msg: ""},
	{name: "lowest code", in: "100 x\r\n", code: 100, lines: []string{"100 x"}, msg: "x"},
	{name: "highest code", in: "599 x\r\n", code: 599, lines: []string{"599 x"}, msg: "x"},
	{name: "only one reply consumed", in: "220 a\r\n221 b\r\n", code: 220, lines: []string{"220 a"}, msg: "a"},
	{
		name:  "multi-line",
		in:    "211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n",
		code:  211,
		lines: []string{"211-Features:", " MDTM", " SIZE", "211 End"},
		msg:   "Features:\n MDTM\n SIZE\nEnd",
	},
	{
		name:  "multi-line with other codes and same-code dash lines inside",
		in:    "220-Welcome\r\n220-second\r\n123 not the end\r\n221 nor this\r\n220-\r\n220 done\r\n",
		code:  220,
		lines: []string{"220-Welcome", "220-second", "123 not the end", "221 nor this", "220-", "220 done"},
		msg:   "Welcome\nsecond\n123 not the end\n221 nor this\n\ndone",
	},
	{
		name:  "multi-line ended by bare code",
		in:    "230-hi\n230\n",
		code:  230,
		lines: []string{"230-hi", "230"},
		msg:   "hi\n",
	},
	{
		name:  "multi-line with mixed endings and empty lines",
		in:    "250-a\n\r\n\n250 b\r\n",
		code:  250,
		lines: []string{"250-a", "", "", "250 b"},
		msg:   "a\n\n\nb",
	},
	{
		name:  "only one CR stripped",
		in:    "200 x\r\r\n",
		code:  200,
		lines: []string{"200 x\r"},
		msg:   "x\r",
	},
	{
		name:  "UTF-8 text",
		in:    "257 \"/tmp/réservé\" is current\r\n",
		code:  257,
		lines: []string{"257 \"/tmp/réservé\" is current"},
		msg:   "\"/tmp/réservé\" is current",
	},
	{name: "longest line allowed", in: "200 " + strings.Repeat("a", maxReplyLineLen-4) + "\r\n", code: 200,
		lines: []string{"200 " + strings.Repeat("a", maxReplyLineLen-4)}, msg: strings.Repeat("a", maxReplyLineLen-4)},

	{name: "empty input", in: "", wantErr: "EOF", isEOF: true},
	{name: "EOF in first line", in: "220 hel", wantErr: "reading reply", unexEOF: true},
	{name: "EOF after multi-line start", in: "220-hello\r\n", wantErr: "after 1 lines", unexEOF: true},
	{name: "EOF in last line", in: "220-hello\r\n220 bye", wantErr: "after 1 lines", unexEOF: true},
	{name: "empty line", in: "\r\n", wantErr: `malformed reply line ""`},
	{name: "text", in: "hello\r\n", wantErr: `malformed reply line "hello"`},
	{name: "two digits", in: "22 x\r\n", wantErr: "malformed reply line"},
	{name: "code too low", in: "099 x\r\n", wantErr: `malformed reply line "099 x"`},
	{name: "code too high", in: "600 x\r\n", wantErr: "malformed reply line"},
	{name: "bad separator", in: "220x\r\n", wantErr: `malformed reply line "220x"`},
	{name: "four digits", in: "2200 x\r\n", wantErr: "malformed reply line"},
	{name: "long malformed line is truncated", in: strings.Repeat("x", 200) + "\r\n",
		wantErr: `malformed reply line "` + strings.Repeat("x", 80) + `..."`},
	{name: "line too long", in: "200 " + strings.Repeat("a", maxReplyLineLen) + "\r\n", wantErr: "longer than 65536 bytes"},
	{name: "line too long without end", in: "200 " + strings.Repeat("a", 2*maxReplyLineLen), wantErr: "longer than 65536 bytes"},
	{name: "too many lines", in: "200-x\r\n" + strings.Repeat("line\r\n", maxReplyLines) + "200 end\r\n", wantErr: "more than 10000 lines"},
	{name: "too many bytes", in: "200-x\r\n" + strings.Repeat(strings.Repeat("b", 60000)+"\r\n", 80) + "200 end\r\n", wantErr: "longer than 4194304 bytes"},
}

func TestReadReply(t *testing.T) {
	for _, tc := range readReplyCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ReadReply(bufio.NewReader(strings.NewReader(tc.in)))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got reply %q, want error containing %q", r, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q does not contain %q", err, tc.wantErr)
				}
				if tc.isEOF && err != io.EOF {
					t.Errorf("error %#v is not io.EOF itself", err)
				}
				if tc.unexEOF && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("error %q does not wrap io.ErrUnexpectedEOF", err)
				}
				if r != nil {
					t.Errorf("got reply %q with error", r)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if r.Code != tc.code {
				t.Errorf("Code = %d, want %d", r.Code, tc.code)
			}
			if strings.Join(r.Lines, "\x00") != strings.Join(tc.lines, "\x00") || len(r.Lines) != len(tc.lines) {
				t.Errorf("Lines = %q, want %q", r.Lines, tc.lines)
			}
			if got := r.Message(); got != tc.msg {
				t.Errorf("Message() = %q, want %q", got, tc.msg)
			}
			if got, want := r.String(), strings.Join(tc.lines, "\n"); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			if got, want := r.Class(), tc.code/100; got != want {
				t.Errorf("Class() = %d, want %d", got, want)
			}
		})
	}
}

// TestReadReplySequence checks that consecutive replies are read one at a
// time and that the stream then ends with a bare io.EOF.
func TestReadReplySequence(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("150-a\r\n150 b\r\n226 done\n"))
	for _, want := range []int{150, 226} {
		r, err := ReadReply(br)
		if err != nil {
			t.Fatalf("reading %d: %v", want, err)
		}
		if r.Code != want {
			t.Fatalf("Code = %d, want %d", r.Code, want)
		}
	}
	if _, err := ReadReply(br); err != io.EOF {
		t.Fatalf("after last reply: got %v, want io.EOF", err)
	}
}

// TestReadReplySmallBuffer makes lines span many bufio fills, which is how
// long lines arrive from a real connection.
func TestReadReplySmallBuffer(t *testing.T) {
	long := strings.Repeat("z", 5000)
	in := "211-" + long + "\r\n" + long + "\r\n211 " + long + "\r\n"
	br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(in)), 16)
	r, err := ReadReply(br)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Lines) != 3 || r.Lines[1] != long || r.Message() != long+"\n"+long+"\n"+long {
		t.Fatalf("got %d lines, message length %d", len(r.Lines), len(r.Message()))
	}
}

// TestReadReplyReadError checks that errors other than EOF are wrapped, so
// callers can still detect timeouts with errors.Is.
func TestReadReplyReadError(t *testing.T) {
	cause := errors.New("boom")
	br := bufio.NewReader(io.MultiReader(strings.NewReader("220-x\r\n"), iotest.ErrReader(cause)))
	_, err := ReadReply(br)
	if !errors.Is(err, cause) {
		t.Fatalf("got %v, want an error wrapping %v", err, cause)
	}
	_, err = ReadReply(bufio.NewReader(iotest.ErrReader(cause)))
	if !errors.Is(err, cause) || err == cause {
		t.Fatalf("got %v, want a wrapped %v", err, cause)
	}
}

func TestReplyMessageHandBuilt(t *testing.T) {
	cases := []struct {
		r    *Reply
		want string
	}{
		{nil, ""},
		{&Reply{}, ""},
		{&Reply{Code: 200, Lines: []string{"no code here"}}, "no code here"},
		{&Reply{Code: 200, Lines: []string{"20"}}, "20"},
		{&Reply{Code: 200, Lines: []string{"200-a", "200 mid", "200 b"}}, "a\n200 mid\nb"},
		{&Reply{Code: 200, Lines: []string{"200-a", "201-x", "200"}}, "a\n201-x\n"},
	}
	for _, tc := range cases {
		if got := tc.r.Message(); got != tc.want {
			t.Errorf("%#v.Message() = %q, want %q", tc.r, got, tc.want)
		}
	}
	if got := (*Reply)(nil).String(); got != "" {
		t.Errorf("nil String() = %q", got)
	}
	if got := (&Reply{Code: 451}).Class(); got != 4 {
		t.Errorf("Class() = %d, want 4", got)
	}
}

func FuzzReadReply(f *testing.F) {
	for _, tc := range readReplyCases {
		if len(tc.in) < 1000 {
			f.Add(tc.in)
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := ReadReply(bufio.NewReaderSize(strings.NewReader(in), 16))
		if err != nil {
			if r != nil {
				t.Fatalf("reply %q returned with error %v", r, err)
			}
			if in == "" && err != io.EOF {
				t.Fatalf("empty input: got %v, want io.EOF", err)
			}
			return
		}
		if len(r.Lines) == 0 || len(r.Lines) > maxReplyLines {
			t.Fatalf("%d lines", len(r.Lines))
		}
		if code, err := strconv.Atoi(r.Lines[0][:3]); err != nil || code != r.Code || r.Class() != code/100 {
			t.Fatalf("Code %d does not match first line %q", r.Code, r.Lines[0])
		}
		if r.Code < 100 || r.Code > 599 {
			t.Fatalf("Code %d out of range", r.Code)
		}
		for _, line := range r.Lines {
			if strings.Contains(line, "\n") || len(line) > maxReplyLineLen {
				t.Fatalf("bad line %q", line)
			}
		}
		_ = r.Message()
		// Writing the lines back with CR LF must read as the same reply.
		again, err := ReadReply(bufio.NewReader(strings.NewReader(strings.Join(r.Lines, "\r\n") + "\r\n")))
		if err != nil {
			t.Fatalf("re-reading %q: %v", r, err)
		}
		if again.Code != r.Code || again.String() != r.String() || len(again.Lines) != len(r.Lines) {
			t.Fatalf("re-read %q as %q", r, again)
		}
	})
}
