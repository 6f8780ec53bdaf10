package rootfs

import (
	"strings"
	"testing"
)

// check fails the test when a "key=value" the script printed differs.
func check(t *testing.T, v map[string]string, key, want string) {
	t.Helper()
	if got, ok := v[key]; !ok || got != want {
		t.Errorf("%s = %q, want %q", key, got, want)
	}
}

// checkMount fails the test when the mountinfo has no line for mp that
// contains every one of parts.
func checkMount(t *testing.T, mountinfo, mp string, parts ...string) {
	t.Helper()
	line := mountLine(mountinfo, mp)
	if line == "" {
		t.Errorf("no mount on %s", mp)
		return
	}
	for _, p := range parts {
		if !strings.Contains(line, p) {
			t.Errorf("mount on %s lacks %q: %s", mp, p, line)
		}
	}
}

const probe = `
echo null=$(stat -c '%t:%T %a %F' /dev/null)
echo zero=$(head -c 4 /dev/zero | od -An -tx1 | tr -d ' ')
echo tty=$(stat -c '%t:%T' /dev/tty)
echo ptmx=$(readlink /dev/ptmx)
echo fd=$(readlink /dev/fd)
echo stdin=$(readlink /dev/stdin)
echo rootwrite=$(touch /newfile 2>/dev/null && echo ok || echo denied)
echo procsys=$(echo x 2>/dev/null > /proc/sys/kernel/domainname && echo ok || echo denied)
echo keys=$(wc -c < /proc/keys)
echo acpi=$(ls -A /proc/acpi | wc -l)
echo shm=$(echo hi > /dev/shm/x && cat /dev/shm/x)
echo pts=$(ls -d /dev/pts/ptmx)
echo cwd=$(pwd)
echo mountinfo_begin
cat /proc/self/mountinfo
`

func TestRootRuncDefault(t *testing.T) {
	c := newContainer(t)
	res := runChild(t, c.config(probe))
	if res.Err != nil {
		t.Fatalf("%v\n%s", res.Err, res.Stderr)
	}
	var steps []string
	for _, line := range strings.Split(res.Stderr, "\n") {
		if step, ok := strings.CutPrefix(line, "STEP "); ok {
			steps = append(steps, step)
		}
	}
	t.Logf("Prepare+Pivot+Finish of runc's default config.json: %v (%s)", res.Elapsed, strings.Join(steps, ", "))
	v := values(res.Stdout)
	check(t, v, "null", "1:3 666 character special file")
	check(t, v, "zero", "00000000")
	check(t, v, "tty", "5:0")
	check(t, v, "ptmx", "pts/ptmx")
	check(t, v, "fd", "/proc/self/fd")
	check(t, v, "stdin", "/proc/self/fd/0")
	check(t, v, "rootwrite", "denied")
	check(t, v, "procsys", "denied")
	check(t, v, "keys", "0")
	check(t, v, "acpi", "0")
	check(t, v, "shm", "hi")
	check(t, v, "pts", "/dev/pts/ptmx")
	check(t, v, "cwd", "/")
	mi := res.Stdout
	checkMount(t, mi, "/", " ro,")
	checkMount(t, mi, "/proc", " - proc ")
	checkMount(t, mi, "/dev", " rw,nosuid ", " - tmpfs ", "size=65536k,mode=755")
	checkMount(t, mi, "/dev/pts", "rw,nosuid,noexec,relatime", " - devpts ", "gid=5,mode=620,ptmxmode=666")
	checkMount(t, mi, "/dev/shm", "rw,nosuid,nodev,noexec", " - tmpfs shm ")
	checkMount(t, mi, "/dev/mqueue", "rw,nosuid,nodev,noexec", " - mqueue ")
	checkMount(t, mi, "/sys", "ro,nosuid,nodev,noexec", " - sysfs ")
	checkMount(t, mi, "/sys/fs/cgroup", "ro,nosuid,nodev,noexec", " - tmpfs ")
	checkMount(t, mi, "/sys/fs/cgroup/memory", "ro,nosuid,nodev,noexec", " - cgroup ", "memory")
	checkMount(t, mi, "/sys/fs/cgroup/systemd", " - cgroup ", "name=systemd")
	checkMount(t, mi, "/proc/sys", " ro,", " - proc ")
	checkMount(t, mi, "/proc/acpi", " ro,", " - tmpfs ")
	checkMount(t, mi, "/proc/keys", " - tmpfs ")
	checkMount(t, mi, "/sys/firmware", " ro,", " - tmpfs ")
	if line := mountLine(mi, "/sys/fs/cgroup/unified"); line != "" {
		t.Errorf("the hybrid layout's cgroup2 is mounted (runc leaves it out): %s", line)
	}
}

// Without pivot_root the container looks the same from inside.
func TestRootNoPivot(t *testing.T) {
	c := newContainer(t)
	c.noPivot = true
	v := values(c.run(t, probe))
	check(t, v, "null", "1:3 666 character special file")
	check(t, v, "rootwrite", "denied")
	check(t, v, "keys", "0")
	check(t, v, "cwd", "/")
}

func BenchmarkRuncDefault(b *testing.B) {
	c := newContainer(b)
	var total int64
	for i := 0; i < b.N; i++ {
		res := runChild(b, c.config("true"))
		if res.Err != nil {
			b.Fatalf("%v\n%s", res.Err, res.Stderr)
		}
		total += res.Elapsed.Nanoseconds()
	}
	b.ReportMetric(float64(total)/float64(b.N), "setup-ns/op")
}
