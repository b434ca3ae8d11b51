package testserver

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawClient speaks FTP over a plain connection so tests see exact replies.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	// A hung server must fail the test, not stall it.
	if err := conn.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}

	return &rawClient{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *rawClient) readLine() string {
	c.t.Helper()
	line, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read reply line (got %q): %v", line, err)
	}

	return strings.TrimRight(line, "\r\n")
}

// readReply reads one reply, multi-line or not, and returns its code and lines.
func (c *rawClient) readReply() (int, []string) {
	c.t.Helper()
	first := c.readLine()
	if len(first) < 4 {
		c.t.Fatalf("short reply line %q", first)
	}
	code, err := strconv.Atoi(first[:3])
	if err != nil {
		c.t.Fatalf("reply %q has no code: %v", first, err)
	}
	lines := []string{first}
	if first[3] == '-' {
		end := first[:3] + " "
		for {
			line := c.readLine()
			lines = append(lines, line)
			if strings.HasPrefix(line, end) {
				break
			}
		}
	}

	return code, lines
}

func (c *rawClient) send(line string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("send %q: %v", line, err)
	}
}

// expect sends a command and fails unless the reply has the wanted code.
func (c *rawClient) expect(line string, want int) []string {
	c.t.Helper()
	c.send(line)
	code, lines := c.readReply()
	if code != want {
		c.t.Fatalf("%q: got reply %q, want code %d", line, lines, want)
	}

	return lines
}

func (c *rawClient) login(user, pass string) {
	c.t.Helper()
	if code, lines := c.readReply(); code != 220 {
		c.t.Fatalf("greeting: %q", lines)
	}
	c.expect("USER "+user, 331)
	c.expect("PASS "+pass, 230)
}
