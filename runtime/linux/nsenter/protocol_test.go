package nsenter

import (
	"strings"
	"testing"
)

func TestPlanEncode(t *testing.T) {
	p := Plan{
		ErrFD:       5,
		CgroupFiles: []string{"/sys/fs/cgroup/pids/x/tasks"},
		Join:        []Join{{Type: "user", Path: "/proc/1/ns/user"}, {Type: "net", Path: "/run/netns/a"}},
		Unshare:     0x80,
		TimeOffsets: []TimeOffset{{Clock: "boottime", Secs: 10, Nsecs: 3}},
	}
	got, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := "e5\nc/sys/fs/cgroup/pids/x/tasks\nnuser:/proc/1/ns/user\nnnet:/run/netns/a\nu128\ntboottime 10 3\n"
	if got != want {
		t.Fatalf("Encode = %q, want %q", got, want)
	}
	if (Plan{ErrFD: 3}).Empty() != true || p.Empty() {
		t.Fatal("Empty is wrong")
	}
	for _, bad := range []Plan{
		{Join: []Join{{Type: "net", Path: "/a\nnuser:/b"}}},
		{CgroupFiles: []string{"/x\x00y"}},
	} {
		if _, err := bad.Encode(); err == nil || !strings.Contains(err.Error(), "newline or NUL") {
			t.Errorf("Encode of %+v: %v, want a refusal", bad, err)
		}
	}
}
