package runtime

import (
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCgroupMountinfo(t *testing.T) {
	withCgroup := &specs.Spec{Mounts: []specs.Mount{{Destination: "/sys/fs/cgroup", Type: "cgroup"}}}
	if got := cgroupMountinfo(&specs.Spec{Mounts: []specs.Mount{{Destination: "/proc", Type: "proc"}}}); got != nil {
		t.Errorf("read without a cgroup mount: %q", got)
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	var want []string
	for _, l := range strings.Split(string(b), "\n") {
		if _, post, ok := strings.Cut(l, " - "); ok && (strings.HasPrefix(post, "cgroup ") || strings.HasPrefix(post, "cgroup2 ")) {
			want = append(want, l)
		}
	}
	got := strings.Split(strings.TrimSuffix(string(cgroupMountinfo(withCgroup)), "\n"), "\n")
	if len(want) == 0 {
		got = nil
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cgroup lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
