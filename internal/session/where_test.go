package session

import "testing"

// key names a place by its steps; a step to an absolute directory
// starts afresh (path.Join alone would put /c under a).
func TestWhereKey(t *testing.T) {
	for _, tc := range []struct {
		w    where
		want string
	}{
		{where{}, ""},
		{where{dir: "/home/u"}, "/home/u"},
		{where{dir: "/home/u", moves: []string{"a", cdup, "b"}}, "/home/u/b"},
		{where{moves: []string{"a", "/c", "d"}}, "/c/d"},
		{where{dir: "/x", moves: []string{"/c/", cdup}}, "/"},
	} {
		if got := tc.w.key(); got != tc.want {
			t.Errorf("%+v.key() = %q, want %q", tc.w, got, tc.want)
		}
	}
}

func TestLastAbsolute(t *testing.T) {
	for _, tc := range []struct {
		moves []string
		want  int
	}{
		{nil, -1},
		{[]string{"a", cdup}, -1},
		{[]string{"/a", "b", "/c", "d"}, 2},
	} {
		if got := lastAbsolute(tc.moves); got != tc.want {
			t.Errorf("lastAbsolute(%q) = %d, want %d", tc.moves, got, tc.want)
		}
	}
}
