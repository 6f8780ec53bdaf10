package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var nsNames = []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}

func hostNamespaces(t *testing.T) map[string]string {
	m := map[string]string{}
	for _, n := range nsNames {
		l, err := os.Readlink("/proc/self/ns/" + n)
		if err != nil {
			t.Fatal(err)
		}
		m[n] = l
	}
	return m
}

// containerNamespaces parses "name link" lines printed by the container.
func containerNamespaces(out string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			m[k] = v
		}
	}
	return m
}

const printNamespaces = "for n in cgroup ipc mnt net pid time user uts; do echo $n $(readlink /proc/self/ns/$n); done"

func TestNewNamespaces(t *testing.T) {
	r := newRT(t)
	b := r.bundle(sh(printNamespaces), func(s *specs.Spec) {
		addNamespace(s, specs.CgroupNamespace, "")
		addNamespace(s, specs.TimeNamespace, "")
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 86400 * 1000}}
	})
	out, stderr, code := r.run(b, "ns1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	host, in := hostNamespaces(t), containerNamespaces(out)
	for _, n := range nsNames {
		same := host[n] == in[n]
		if want := n == "user"; same != want || in[n] == "" {
			t.Errorf("namespace %s: host %s, container %s", n, host[n], in[n])
		}
	}
	// The boottime offset shows in the container's uptime.
	up := r.bundle(sh("cut -d. -f1 /proc/uptime"), func(s *specs.Spec) {
		addNamespace(s, specs.TimeNamespace, "")
		s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"boottime": {Secs: 86400 * 1000}}
	})
	out, stderr, _ = r.run(up, "time1")
	var secs int
	if _, err := fmt.Sscan(out, &secs); err != nil || secs < 86400*1000 {
		t.Fatalf("uptime in a time namespace with a 1000-day offset: %q %s", out, stderr)
	}
}

func TestJoinedNamespaces(t *testing.T) {
	r := newRT(t)
	first := r.bundle([]string{"sleep", "100"}, func(s *specs.Spec) { s.Hostname = "first" })
	r.ok("run", "-d", "--bundle", first, "host1")
	pid := int(r.state("host1")["pid"].(float64))
	second := r.bundle(sh(printNamespaces+"; hostname"), func(s *specs.Spec) {
		s.Hostname = ""
		for _, t := range []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.PIDNamespace} {
			addNamespace(s, t, fmt.Sprintf("/proc/%d/ns/%s", pid, nsKindName(t)))
		}
	})
	out, stderr, code := r.run(second, "guest1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	in := containerNamespaces(out)
	for _, n := range []string{"net", "ipc", "uts", "pid"} {
		want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, n))
		if in[n] != want {
			t.Errorf("joined %s namespace: got %s, want %s", n, in[n], want)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "first") {
		t.Errorf("hostname in the joined uts namespace: %q", out)
	}
	bad := r.bundle([]string{"true"}, func(s *specs.Spec) {
		addNamespace(s, specs.NetworkNamespace, fmt.Sprintf("/proc/%d/ns/ipc", pid))
	})
	if e := r.fails("create", "--bundle", bad, "bad1"); !strings.Contains(e, "is not a network namespace") {
		t.Fatalf("joining an ipc namespace as network: %q", e)
	}
}

func nsKindName(t specs.LinuxNamespaceType) string {
	if t == specs.NetworkNamespace {
		return "net"
	}
	return string(t)
}

func TestUserNamespace(t *testing.T) {
	r := newRT(t)
	shared := t.TempDir()
	os.Chmod(shared, 0o777)
	b := r.bundle(sh("cat /proc/self/uid_map; id -u; touch /shared/made; ls /dev/null"), func(s *specs.Spec) {
		addNamespace(s, specs.UserNamespace, "")
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}}
		bindHost(s, shared, "/shared")
		dropCgroupMount(s)
	})
	// The container's root (host uid 200000) must reach the rootfs, and
	// cannot make directories in it: the mount point exists already.
	os.Mkdir(filepath.Join(b, "rootfs/shared"), 0o755)
	openPath(b)
	out, stderr, code := r.run(b, "userns1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	f := strings.Fields(out)
	if len(f) < 4 || f[0] != "0" || f[1] != "200000" || f[2] != "65536" || f[3] != "0" {
		t.Fatalf("uid_map and id in the container: %q", out)
	}
	fi, err := os.Stat(filepath.Join(shared, "made"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fileUID(fi); uid != 200000 {
		t.Fatalf("file made by container root belongs to host uid %d, want 200000", uid)
	}
}

func dropCgroupMount(s *specs.Spec) {
	var m []specs.Mount
	for _, x := range s.Mounts {
		if x.Destination != "/sys/fs/cgroup" {
			m = append(m, x)
		}
	}
	s.Mounts = m
}

func TestProcessSetup(t *testing.T) {
	r := newRT(t)
	umask := uint32(0o027)
	oom := 123
	script := `hostname; cat /proc/sys/kernel/domainname; grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status;
echo nofile $(ulimit -n) $(ulimit -Hn); echo umask $(umask); echo cwd $(pwd); echo oom $(cat /proc/self/oom_score_adj);
echo home $HOME; echo foo $FOO`
	b := r.bundle(sh(script), func(s *specs.Spec) {
		s.Hostname, s.Domainname = "box", "example.test"
		s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{10, 29}, Umask: &umask}
		s.Process.Cwd = "/tmp"
		s.Process.Env = append(s.Process.Env, "FOO=bar")
		s.Process.OOMScoreAdj = &oom
		s.Process.NoNewPrivileges = true
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 768}}
		s.Process.Capabilities = &specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"},
			Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"},
			Effective:   []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
			Inheritable: []string{"CAP_NET_BIND_SERVICE"},
			Ambient:     []string{"CAP_NET_BIND_SERVICE"},
		}
	})
	out, stderr, code := r.run(b, "proc1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	lines := strings.Split(out, "\n")
	if lines[0] != "box" || lines[1] != "example.test" {
		t.Errorf("hostname/domainname: %q", lines[:2])
	}
	want := map[string]string{
		"Uid": "1000\t1000\t1000\t1000", "Gid": "1000\t1000\t1000\t1000", "Groups": "10 29",
		// CHOWN=0, KILL=5, NET_BIND_SERVICE=10, SETUID=7. A process that
		// is not root keeps across execve only its ambient capabilities.
		"CapBnd": "00000000000004a1", "CapPrm": "0000000000000400", "CapEff": "0000000000000400",
		"CapInh": "0000000000000400", "CapAmb": "0000000000000400", "NoNewPrivs": "1",
	}
	for k, v := range want {
		if got := statusLine(out, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, w := range []string{"nofile 512 768", "umask 0027", "cwd /tmp", "oom 123", "home /home/berth", "foo bar"} {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestRootCapabilities(t *testing.T) {
	r := newRT(t)
	b := r.bundle(sh("grep ^Cap /proc/self/status"), func(s *specs.Spec) {
		set := []string{"CAP_CHOWN", "CAP_KILL"}
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: set, Permitted: set, Effective: set}
	})
	out, stderr, code := r.run(b, "caps1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	for k, v := range map[string]string{"CapBnd": "0000000000000021", "CapPrm": "0000000000000021", "CapEff": "0000000000000021", "CapInh": "0000000000000000", "CapAmb": "0000000000000000"} {
		if got := statusLine(out, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestHooks(t *testing.T) {
	r := newRT(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	hook := func(name string) specs.Hook {
		// Each hook logs its name and the status and pid it read on stdin.
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c",
			`read s; echo "` + name + ` $(echo "$s" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p') $HOOKVAR" >> ` + log},
			Env: []string{"HOOKVAR=set-" + name}}
	}
	inner := specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", `read s; echo "startContainer $(echo "$s" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')" >> /shared/log`}}
	b := r.bundle(sh("echo process >> /shared/log"), func(s *specs.Spec) {
		bindHost(s, dir, "/shared")
		s.Hooks = &specs.Hooks{
			Prestart:        []specs.Hook{hook("prestart")},
			CreateRuntime:   []specs.Hook{hook("createRuntime")},
			CreateContainer: []specs.Hook{hook("createContainer")},
			StartContainer:  []specs.Hook{inner},
			Poststart:       []specs.Hook{hook("poststart")},
			Poststop:        []specs.Hook{hook("poststop"), {Path: "/bin/false"}, hook("poststop2")},
		}
	})
	_, stderr, code := r.run(b, "hooks1")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	got, _ := os.ReadFile(log)
	want := "prestart creating set-prestart\ncreateRuntime creating set-createRuntime\ncreateContainer creating set-createContainer\n" +
		"startContainer 1\nprocess\npoststart running set-poststart\npoststop stopped set-poststop\npoststop2 stopped set-poststop2\n"
	// poststart runs concurrently with the process: compare sets of lines
	// for those two, the order for the rest.
	if !sameLines(string(got), want) || !strings.HasPrefix(string(got), "prestart creating set-prestart\ncreateRuntime creating set-createRuntime\ncreateContainer creating set-createContainer\nstartContainer 1\n") ||
		!strings.HasSuffix(string(got), "poststop stopped set-poststop\npoststop2 stopped set-poststop2\n") {
		t.Fatalf("hook log:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(stderr, "poststop hook #1 (/bin/false)") {
		t.Errorf("a failing poststop hook is a warning: stderr %q", stderr)
	}

	failing := r.bundle([]string{"true"}, func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "echo nope >&2; exit 1"}}}}
	})
	if e := r.fails("create", "--bundle", failing, "hooks2"); !strings.Contains(e, "createRuntime hook #0") || !strings.Contains(e, "nope") {
		t.Fatalf("failing createRuntime hook: %q", e)
	}
	if _, err := os.Stat(filepath.Join(r.root, "hooks2")); err == nil {
		t.Fatal("a create stopped by a hook left its state behind")
	}
}

func sameLines(a, b string) bool {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(la) != len(lb) {
		return false
	}
	count := map[string]int{}
	for _, l := range la {
		count[l]++
	}
	for _, l := range lb {
		count[l]--
	}
	for _, c := range count {
		if c != 0 {
			return false
		}
	}
	return true
}

// TestJoinedUserNamespace: a container joins another's user, pid and
// network namespaces and makes its mount, ipc and uts namespaces inside
// that user namespace (the constructor unshares them after the join).
func TestJoinedUserNamespace(t *testing.T) {
	r := newRT(t)
	userns := func(s *specs.Spec) {
		dropCgroupMount(s)
		s.Linux.Resources = nil
	}
	first := r.bundle([]string{"sleep", "100"}, func(s *specs.Spec) {
		userns(s)
		addNamespace(s, specs.UserNamespace, "")
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 300000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 300000, Size: 65536}}
	})
	openPath(first)
	r.ok("run", "-d", "--bundle", first, "uowner")
	pid := int(r.state("uowner")["pid"].(float64))
	second := r.bundle(sh("cat /proc/self/uid_map; readlink /proc/self/ns/user; id -u; hostname"), func(s *specs.Spec) {
		userns(s)
		s.Hostname = "guest"
		for _, t := range []specs.LinuxNamespaceType{specs.UserNamespace, specs.PIDNamespace, specs.NetworkNamespace} {
			addNamespace(s, t, fmt.Sprintf("/proc/%d/ns/%s", pid, nsKindName(t)))
		}
	})
	openPath(second)
	out, stderr, code := r.run(second, "uguest")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
	f := strings.Fields(out)
	if len(f) != 6 || f[0] != "0" || f[1] != "300000" || f[3] != want || f[4] != "0" || f[5] != "guest" {
		t.Fatalf("in the joined user namespace: %q, want its map, %s, uid 0, hostname guest", out, want)
	}
}

// openPath lets a user namespace's root reach the bundle's rootfs.
func openPath(bundle string) {
	for d := bundle; d != "/"; d = filepath.Dir(d) {
		if strings.HasPrefix(d, os.TempDir()+"/") {
			os.Chmod(d, 0o755)
		}
	}
}
