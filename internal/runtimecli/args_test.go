package runtimecli

import (
	"reflect"
	"testing"
)

func TestNormalizeArgs(t *testing.T) {
	root := newRoot(&globals{})
	for _, c := range []struct{ in, want []string }{
		{[]string{"-root", "/x", "create", "-bundle", "/b", "id"}, []string{"--root", "/x", "create", "--bundle", "/b", "id"}},
		{[]string{"--log-format=json", "-log=/l", "kill", "id", "-9"}, []string{"--log-format=json", "--log=/l", "kill", "id", "-9"}},
		{[]string{"exec", "-t", "id", "sh", "-c", "-bundle"}, []string{"exec", "-t", "id", "sh", "-c", "-bundle"}},
		{[]string{"create", "-b", "/b", "--", "-id"}, []string{"create", "-b", "/b", "--", "-id"}},
		{[]string{"delete", "-force", "id"}, []string{"delete", "--force", "id"}},
	} {
		if got := normalizeArgs(root, c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("normalizeArgs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "4k": 4096, "64m": 64 << 20, "1g": 1 << 30, "-1": -1, "10M": 10 << 20} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "k", "abc", "1.5g"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) succeeded", bad)
		}
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"1", "2k", "-1", "", "9999999999999999999g"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { parseBytes(s) })
}

func FuzzNormalizeArgs(f *testing.F) {
	f.Add("create", "-bundle", "x")
	f.Add("--", "-root", "y")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		normalizeArgs(newRoot(&globals{}), []string{a, b, c})
	})
}
