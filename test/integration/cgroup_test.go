package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestCgroupResources(t *testing.T) {
	r := newRT(t)
	path := fmt.Sprintf("/berth-it-%d", os.Getpid())
	limit := int64(42)
	b := r.bundle([]string{"sleep", "100"}, func(s *specs.Spec) {
		s.Linux.CgroupsPath = path
		s.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
	})
	r.ok("create", "--bundle", b, "cg1")
	pid := fmt.Sprint(r.state("cg1")["pid"])
	dir := filepath.Join("/sys/fs/cgroup/pids", path)
	max, err := os.ReadFile(filepath.Join(dir, "pids.max"))
	if err != nil || strings.TrimSpace(string(max)) != "42" {
		t.Fatalf("pids.max of the container's cgroup: %q %v", max, err)
	}
	procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if strings.TrimSpace(string(procs)) != pid {
		t.Fatalf("cgroup.procs = %q, want the init %s", procs, pid)
	}
	r.ok("start", "cg1")
	r.ok("kill", "--all", "cg1", "KILL")
	waitFor(t, func() bool { return r.state("cg1")["status"] == "stopped" })
	r.ok("delete", "cg1")
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("cgroup %s left after delete", dir)
	}
}

func TestSeccomp(t *testing.T) {
	r := newRT(t)
	for _, nnp := range []bool{true, false} {
		b := r.bundle(sh("mkdir /tmp/x 2>&1; echo rc=$?"), func(s *specs.Spec) {
			s.Process.NoNewPrivileges = nnp
			one := uint(1)
			s.Linux.Seccomp = &specs.LinuxSeccomp{
				DefaultAction: specs.ActAllow,
				Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno, ErrnoRet: &one}},
			}
		})
		out, stderr, code := r.run(b, fmt.Sprintf("sc%v", nnp))
		if code != 0 || !strings.Contains(out, "rc=1") || !strings.Contains(out, "not permitted") {
			t.Fatalf("mkdir under a profile refusing it (noNewPrivileges %v): exit %d, %q %s", nnp, code, out, stderr)
		}
	}
	bad := r.bundle([]string{"true"}, func(s *specs.Spec) {
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_BOGUS"}
	})
	if e := r.fails("create", "--bundle", bad, "sc-bad"); !strings.Contains(e, "linux.seccomp") {
		t.Fatalf("bad seccomp action: %q", e)
	}
}

func TestPauseResumePsUpdateEvents(t *testing.T) {
	r := newRT(t)
	path := fmt.Sprintf("/berth-it-ops-%d", os.Getpid())
	b := r.bundle([]string{"sleep", "100"}, func(s *specs.Spec) { s.Linux.CgroupsPath = path })
	r.ok("run", "-d", "--bundle", b, "ops1")
	pid := fmt.Sprint(r.state("ops1")["pid"])

	r.ok("pause", "ops1")
	if st := r.state("ops1")["status"]; st != "paused" {
		t.Fatalf("status after pause: %v", st)
	}
	if e := r.fails("pause", "ops1"); !strings.Contains(e, "not running") {
		t.Fatalf("second pause: %q", e)
	}
	r.ok("resume", "ops1")
	if st := r.state("ops1")["status"]; st != "running" {
		t.Fatalf("status after resume: %v", st)
	}

	if out := strings.TrimSpace(r.ok("ps", "--format", "json", "ops1")); out != "["+pid+"]" {
		t.Fatalf("ps --format json = %q, want [%s]", out, pid)
	}
	if out := r.ok("ps", "ops1"); !strings.Contains(out, "PID") || !strings.Contains(out, "sleep") {
		t.Fatalf("ps table: %q", out)
	}

	r.ok("update", "--pids-limit", "77", "ops1")
	if max, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/pids", path, "pids.max")); strings.TrimSpace(string(max)) != "77" {
		t.Fatalf("pids.max after update: %q", max)
	}
	c := r.cmd("update", "--resources", "-", "ops1")
	c.Stdin = strings.NewReader(`{"pids": {"limit": 88}}`)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("update --resources -: %v %s", err, out)
	}
	if max, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/pids", path, "pids.max")); strings.TrimSpace(string(max)) != "88" {
		t.Fatalf("pids.max after update from stdin: %q", max)
	}

	var ev struct {
		Type string
		ID   string
		Data struct {
			Pids struct{ Current uint64 }
		}
	}
	if err := json.Unmarshal([]byte(r.ok("events", "--stats", "ops1")), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "stats" || ev.ID != "ops1" || ev.Data.Pids.Current != 1 {
		t.Fatalf("events --stats: %+v", ev)
	}
	r.ok("delete", "--force", "ops1")
}

// TestSeccompNotifyListener: a profile with SCMP_ACT_NOTIFY hands its
// listener, with the container's state, to the agent at listenerPath.
func TestSeccompNotifyListener(t *testing.T) {
	r := newRT(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type got struct {
		state map[string]any
		fds   int
	}
	ch := make(chan got, 1)
	go func() {
		c, err := l.AcceptUnix()
		if err != nil {
			close(ch)
			return
		}
		defer c.Close()
		buf, oob := make([]byte, 64<<10), make([]byte, unix.CmsgSpace(4))
		n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			close(ch)
			return
		}
		var g got
		json.Unmarshal(buf[:n], &g.state)
		if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil && len(msgs) == 1 {
			fds, _ := unix.ParseUnixRights(&msgs[0])
			g.fds = len(fds)
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
		ch <- g
	}()
	b := r.bundle([]string{"echo", "hi"}, func(s *specs.Spec) {
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: sock, ListenerMetadata: "meta-1",
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdirat"}, Action: specs.ActNotify}}}
	})
	out, stderr, code := r.run(b, "notify1")
	if code != 0 || out != "hi\n" {
		t.Fatalf("run: exit %d, %q %s", code, out, stderr)
	}
	g, ok := <-ch
	if !ok || g.fds != 1 || g.state["metadata"] != "meta-1" || g.state["pid"] == nil {
		t.Fatalf("agent received %+v", g)
	}
	if st, _ := g.state["state"].(map[string]any); st["id"] != "notify1" {
		t.Fatalf("container state sent to the agent: %v", g.state["state"])
	}
}
