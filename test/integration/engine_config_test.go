package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEngineMounts: bind mounts, named and anonymous volumes (with the
// image's content copied up), tmpfs and a read-only root.
func TestEngineMounts(t *testing.T) {
	s, _ := withImages(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("on host\n"), 0o644)
	if out := s.ok("run", "--rm", "-v", host+":/data", imgBusybox, "sh", "-c", "cat /data/f; echo new > /data/new"); out != "on host\n" {
		t.Errorf("bind mount: %q", out)
	}
	if data, _ := os.ReadFile(filepath.Join(host, "new")); string(data) != "new\n" {
		t.Errorf("a write through the bind mount: %q", data)
	}
	s.exits(1, "run", "--rm", "-v", host+":/data:ro", imgBusybox, "touch", "/data/x")
	// A named volume outlives its container; a new one gets the image's
	// files at its mount point.
	s.ok("run", "--rm", "-v", "vol1:/srv", imgApp, "sh", "-c", "echo kept > /srv/mine")
	if out := s.ok("run", "--rm", "-v", "vol1:/srv", imgBusybox, "cat", "/srv/mine", "/srv/hello.txt"); out != "kept\nhello from app\n" {
		t.Errorf("volume content in a second container: %q", out)
	}
	if out := s.ok("volume", "ls", "--format", "{{.Name}}"); out != "vol1\n" {
		t.Errorf("volume ls: %q", out)
	}
	var vols []map[string]any
	json.Unmarshal([]byte(s.ok("volume", "inspect", "vol1")), &vols)
	if len(vols) != 1 || !strings.HasSuffix(vols[0]["mountpoint"].(string), "/vol1/_data") {
		t.Errorf("volume inspect: %v", vols)
	}
	s.ok("create", "--name", "holder", "-v", "vol1:/srv", "-v", "/anon", imgBusybox)
	s.exits(125, "volume", "rm", "vol1") // in use
	if out := s.ok("volume", "ls", "-q"); len(strings.Fields(out)) != 2 {
		t.Errorf("an anonymous volume was not made: %q", out)
	}
	s.ok("rm", "-v", "holder")
	if out := s.ok("volume", "ls", "-q"); out != "vol1\n" {
		t.Errorf("rm -v left volumes: %q", out)
	}
	s.ok("volume", "rm", "vol1")
	s.ok("volume", "create", "spare")
	if out := s.ok("volume", "prune"); out != "spare\n" {
		t.Errorf("volume prune: %q", out)
	}
	// tmpfs, read-only root (with tmpfs on /tmp as podman gives).
	if out := s.ok("run", "--rm", "--tmpfs", "/scratch:size=1m", imgBusybox, "sh", "-c", "grep ' /scratch ' /proc/mounts | cut -d' ' -f3"); out != "tmpfs\n" {
		t.Errorf("--tmpfs: %q", out)
	}
	if e := s.exits(1, "run", "--rm", "--read-only", imgBusybox, "touch", "/x"); !strings.Contains(e, "Read-only file system") {
		t.Errorf("--read-only: %q", e)
	}
	s.ok("run", "--rm", "--read-only", imgBusybox, "touch", "/tmp/x")
}

// TestEngineLimits: memory, CPU and pids limits land in the container's
// cgroups, seen from inside and from the host.
func TestEngineLimits(t *testing.T) {
	s, _ := withImages(t)
	out := s.ok("run", "--rm", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "10", imgBusybox, "cat",
		"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/pids/pids.max")
	if out != "67108864\n50000\n10\n" {
		t.Errorf("limits seen inside: %q", out)
	}
	id := strings.TrimSpace(s.ok("run", "-d", "--memory", "32m", imgBusybox, "sleep", "1000"))
	data, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory/berth", id, "memory.limit_in_bytes"))
	if err != nil || strings.TrimSpace(string(data)) != "33554432" {
		t.Errorf("the memory limit from the host: %q, %v", data, err)
	}
	s.ok("rm", "-f", id)
}

// TestEngineSecurity: the default profile (capabilities, seccomp, no new
// privileges off) and the flags that change it.
func TestEngineSecurity(t *testing.T) {
	s, _ := withImages(t)
	status := func(args ...string) string {
		cmd := append(append([]string{"run", "--rm"}, args...), imgBusybox, "sh", "-c",
			`grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status | tr -s '\t' ' '; unshare -U true 2>/dev/null && echo userns=yes || echo userns=no`)
		return s.ok(cmd...)
	}
	if out := status(); out != "CapEff: 00000000800405fb\nNoNewPrivs: 0\nSeccomp: 2\nuserns=no\n" {
		t.Errorf("default profile: %q", out)
	}
	if out := status("--security-opt", "seccomp=unconfined", "--security-opt", "no-new-privileges"); !strings.Contains(out, "NoNewPrivs: 1\nSeccomp: 0\nuserns=yes") {
		t.Errorf("unconfined, no new privileges: %q", out)
	}
	if out := status("--cap-drop", "ALL", "--cap-add", "net_admin"); !strings.HasPrefix(out, "CapEff: 0000000000001000\n") {
		t.Errorf("--cap-drop ALL --cap-add net_admin: %q", out)
	}
	if out := status("--privileged"); !strings.Contains(out, "Seccomp: 0") || strings.HasPrefix(out, "CapEff: 00000000800405fb") {
		t.Errorf("--privileged: %q", out)
	}
	profile := filepath.Join(t.TempDir(), "seccomp.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`), 0o644)
	if e := s.exits(1, "run", "--rm", "--security-opt", "seccomp="+profile, imgBusybox, "mkdir", "/x"); !strings.Contains(e, "not permitted") {
		t.Errorf("a custom seccomp profile: %q", e)
	}
	// --init: berth is the first process, and the command's status and
	// signals pass through it.
	s.exits(5, "run", "--rm", "--init", imgBusybox, "sh", "-c", "exit 5")
	if out := s.ok("run", "--rm", "--init", imgBusybox, "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"); !strings.HasPrefix(out, "/run/berth-init __init -- ") {
		t.Errorf("--init's first process: %q", out)
	}
	s.ok("run", "-d", "--init", "--name", "sleeper", imgBusybox, "sleep", "1000")
	s.ok("stop", "-t", "20", "sleeper") // sleep dies of SIGTERM only if init forwards it
	if out := s.ok("wait", "sleeper"); out != "143\n" {
		t.Errorf("status of a command stopped through --init: %q", out)
	}
	// Networks: the default bridge (as podman's, for root) gives eth0;
	// none has only lo; host shares the host's.
	devs := "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort"
	if out := s.ok("run", "--rm", imgBusybox, "sh", "-c", devs); out != "eth0\nlo\n" {
		t.Errorf("default network: %q", out)
	}
	if out := s.ok("run", "--rm", "--network", "none", imgBusybox, "sh", "-c", devs); out != "lo\n" {
		t.Errorf("--network none: %q", out)
	}
	hostname, _ := os.Hostname()
	if out := s.ok("run", "--rm", "--network", "host", imgBusybox, "hostname"); out != hostname+"\n" {
		t.Errorf("--network host hostname: %q", out)
	}
}
