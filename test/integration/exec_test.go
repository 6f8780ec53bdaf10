package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestExec(t *testing.T) {
	r := newRT(t)
	b := r.bundle([]string{"sleep", "100"}, func(s *specs.Spec) {
		s.Hostname = "execbox"
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir", "mkdirat"}, Action: specs.ActErrno}}}
	})
	r.ok("run", "-d", "--bundle", b, "ex1")
	pid := int(r.state("ex1")["pid"].(float64))

	out, stderr, err := r.exec("exec", "ex1", "sh", "-c", printNamespaces+"; hostname; mkdir /tmp/d 2>/dev/null || echo mkdir refused; exit 4")
	if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 4 {
		t.Fatalf("exec exit status: %v %s", err, stderr)
	}
	in := containerNamespaces(out)
	for _, n := range []string{"ipc", "mnt", "net", "pid", "uts"} {
		want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, n))
		if in[n] != want {
			t.Errorf("exec'd process in %s namespace %s, the container's is %s", n, in[n], want)
		}
	}
	if !strings.Contains(out, "execbox\n") || !strings.Contains(out, "mkdir refused\n") {
		t.Errorf("exec output (hostname, seccomp): %q", out)
	}

	out = r.ok("exec", "--user", "1000:1000", "-g", "29", "--env", "FOO=bar", "--cwd", "/tmp", "ex1",
		"sh", "-c", "echo $(id -u) $(id -g) $(id -G) $FOO $(pwd)")
	if out != "1000 1000 1000 29 bar /tmp\n" && out != "1000 1000 29 bar /tmp\n" {
		t.Errorf("exec with user, gids, env, cwd: %q", out)
	}

	proc := specs.Process{Args: []string{"sh", "-c", "echo from process.json $X"}, Cwd: "/", Env: []string{"X=y", "PATH=/bin"}}
	pf := filepath.Join(t.TempDir(), "process.json")
	pb, _ := json.Marshal(proc)
	os.WriteFile(pf, pb, 0o644)
	if out := r.ok("exec", "--process", pf, "ex1"); out != "from process.json y\n" {
		t.Errorf("exec --process: %q", out)
	}

	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	r.ok("exec", "-d", "--pid-file", pidFile, "ex1", "sleep", "50")
	if p, err := os.ReadFile(pidFile); err != nil || len(p) == 0 {
		t.Errorf("exec --pid-file: %q %v", p, err)
	}
	if pids := r.ok("ps", "--format", "json", "ex1"); strings.Count(pids, ",") != 1 {
		t.Errorf("after exec -d the container has processes %s", pids)
	}

	sock, masters := consoleReceiver(t)
	c := r.cmd("exec", "-t", "--console-socket", sock, "ex1", "sh", "-c", "tty; echo TTY-OK")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	master := <-masters
	if master == nil {
		t.Fatal("exec -t sent no pty master")
	}
	text, _ := io.ReadAll(master)
	master.Close()
	c.Wait()
	if !strings.Contains(string(text), "/dev/pts/") || !strings.Contains(string(text), "TTY-OK") {
		t.Errorf("exec -t output: %q", text)
	}

	r.ok("kill", "ex1", "KILL")
	waitFor(t, func() bool { return r.state("ex1")["status"] == "stopped" })
	if e := r.fails("exec", "ex1", "true"); !strings.Contains(e, "not running") {
		t.Fatalf("exec in a stopped container: %q", e)
	}
	r.ok("delete", "ex1")
}
