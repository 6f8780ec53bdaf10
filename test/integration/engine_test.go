package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestEngineRunForeground runs containers attached: output, exit statuses
// (the container's, 126, 127), and the flags that shape the process.
func TestEngineRunForeground(t *testing.T) {
	s, dir := withImages(t)
	if out := s.ok("run", "--rm", imgBusybox, "echo", "hi"); out != "hi\n" {
		t.Fatalf("run echo hi: %q", out)
	}
	s.exits(3, "run", "--rm", imgBusybox, "sh", "-c", "exit 3")
	if e := s.exits(127, "run", "--rm", imgBusybox, "no-such-command"); !strings.Contains(e, "not found") {
		t.Errorf("missing command: %q", e)
	}
	s.exits(126, "run", "--rm", imgBusybox, "/etc/passwd")
	s.exits(125, "run", "--rm", "--user", "nobody-here", imgBusybox, "true")
	s.exits(125, "run", "--rm", "--pull", "never", "example.com/not/here", "true")
	// The image's config: Cmd, Env, WorkingDir; flags over it.
	if out := s.ok("run", "--rm", imgApp); out != "hello from app\n" {
		t.Errorf("run app (its Cmd in its WorkingDir): %q", out)
	}
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("# comment\nFROMFILE=yes\n"), 0o644)
	out := s.ok("run", "--rm", "-e", "FOO=bar", "--env-file", envFile, "-w", "/tmp", "-u", "1000:1000", "--hostname", "box",
		imgApp, "sh", "-c", `echo $FOO $FROMFILE $APP $(pwd) $(id -u):$(id -g) $(hostname)`)
	if out != "bar yes 1 /tmp 1000:1000 box\n" {
		t.Errorf("flags seen inside: %q", out)
	}
	if out := s.ok("run", "--rm", "--entrypoint", "echo", imgApp, "from", "entrypoint"); out != "from entrypoint\n" {
		t.Errorf("--entrypoint: %q", out)
	}
	cmd := s.cmd("run", "--rm", "-i", imgBusybox, "sh", "-c", "cat; echo done")
	cmd.Stdin = strings.NewReader("typed\n")
	if got, err := cmd.Output(); err != nil || string(got) != "typed\ndone\n" {
		t.Errorf("-i: %q, %v", got, err)
	}
	// Stderr stays apart from stdout.
	stdout, stderr, _ := s.berth("run", "--rm", imgBusybox, "sh", "-c", "echo out; echo err >&2")
	if stdout != "out\n" || stderr != "err\n" {
		t.Errorf("streams: stdout %q stderr %q", stdout, stderr)
	}
	// Signals to berth reach the container, and berth outlives them to
	// return its status and remove it.
	fg := s.cmd("run", "--rm", "--name", "trapper", imgBusybox, "sh", "-c", `trap 'exit 9' INT; echo ready; while :; do sleep 0.05; done`)
	fgOut, err := fg.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := fg.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(fgOut).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("the trapping container's first line: %q, %v", line, err)
	}
	fg.Process.Signal(syscall.SIGINT)
	fg.Wait()
	if code := fg.ProcessState.ExitCode(); code != 9 {
		t.Errorf("a foreground run sent SIGINT: exit %d, want the container's 9", code)
	}
	// A docker archive is a transport too.
	archive := engArchive(t, dir, "app", "example.com/app:v1")
	s.ok("pull", "-q", "docker-archive:"+archive)
	if out := s.ok("run", "--rm", "example.com/app:v1"); out != "hello from app\n" {
		t.Errorf("run example.com/app:v1: %q", out)
	}
	if out := s.ok("ps", "-a", "-q"); out != "" {
		t.Errorf("--rm containers left: %q", out)
	}
	// Without --rm the container stays, exited, with its status.
	s.exits(7, "run", "--name", "kept", imgBusybox, "sh", "-c", "echo kept; exit 7")
	if st := s.inspect("kept")["State"].(map[string]any); st["Status"] != "exited" || st["ExitCode"].(float64) != 7 {
		t.Errorf("kept container's state: %v", st)
	}
	if out := s.ok("logs", "kept"); out != "kept\n" {
		t.Errorf("logs of an attached run: %q", out)
	}
	s.exits(125, "run", "--name", "kept", imgBusybox, "true") // the name is taken
	s.ok("rm", "kept")
}

// TestEngineDetached follows a detached container through logs, exec,
// top, stop, wait and rm.
func TestEngineDetached(t *testing.T) {
	s, _ := withImages(t)
	id := strings.TrimSpace(s.ok("run", "-d", "--name", "web", imgBusybox, "sh", "-c",
		`trap 'echo bye; exit 0' TERM; echo started; while :; do sleep 0.05; done`))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, not an ID", id)
	}
	engWaitFor(t, "the first line in the log", func() bool { return strings.Contains(s.ok("logs", "web"), "started") })
	if out := s.ok("ps", "--format", "{{.Names}} {{.State}}"); out != "web running\n" {
		t.Errorf("ps: %q", out)
	}
	var ps []map[string]any
	json.Unmarshal([]byte(s.ok("ps", "--format", "json")), &ps)
	if len(ps) != 1 || ps[0]["Id"] != id || ps[0]["State"] != "running" {
		t.Errorf("ps --format json: %v", ps)
	}
	if st := s.inspect("web")["State"].(map[string]any); st["Running"] != true || st["Pid"].(float64) <= 0 {
		t.Errorf("inspect State: %v", st)
	}
	// exec: output, status, environment and user of its own.
	if out := s.ok("exec", "-e", "X=1", "-u", "1000", "web", "sh", "-c", "echo $X $(id -u)"); out != "1 1000\n" {
		t.Errorf("exec: %q", out)
	}
	s.exits(5, "exec", "web", "sh", "-c", "exit 5")
	s.exits(127, "exec", "web", "no-such-command")
	if out := s.ok("top", "web"); !strings.Contains(out, "PID") || !strings.Contains(out, "sleep") {
		t.Errorf("top: %q", out)
	}
	follow := s.cmd("logs", "-f", "web")
	var followed bytes.Buffer
	follow.Stdout = &followed
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	s.ok("stop", "web")
	if err := follow.Wait(); err != nil {
		t.Fatalf("logs -f: %v", err)
	}
	if !strings.Contains(followed.String(), "started\n") || !strings.HasSuffix(followed.String(), "bye\n") {
		t.Errorf("logs -f: %q", followed.String())
	}
	if out := s.ok("wait", "web"); out != "0\n" {
		t.Errorf("wait after a clean stop: %q", out)
	}
	if out := s.ok("ps", "-a", "--format", "{{.Names}} {{.Status}}"); !strings.HasPrefix(out, "web Exited (0)") {
		t.Errorf("ps -a: %q", out)
	}
	if out := s.ok("logs", "--tail", "1", "-t", "web"); !strings.HasSuffix(out, " bye\n") || !strings.HasPrefix(out, "20") {
		t.Errorf("logs --tail 1 -t: %q", out)
	}
	// Start again, pause, kill, and the status is the signal's.
	s.ok("start", "web")
	s.ok("pause", "web")
	if out := s.ok("ps", "--format", "{{.State}}"); out != "paused\n" {
		t.Errorf("ps of a paused container: %q", out)
	}
	s.ok("unpause", "web")
	s.ok("kill", "web")
	if out := s.ok("wait", "web"); out != "137\n" {
		t.Errorf("wait after kill: %q", out)
	}
	// restart: stopped and started again, with a new start time.
	s.ok("run", "-d", "--name", "again", imgBusybox, "sh", "-c", "echo run; sleep 1000")
	s.ok("restart", "-t", "0", "again")
	engWaitFor(t, "the second run's output", func() bool { return s.ok("logs", "again") == "run\nrun\n" })
	s.ok("rm", "-f", "again")
	// A running container is not removed without force.
	s.ok("run", "-d", "--name", "busy", imgBusybox, "sleep", "1000")
	s.exits(125, "rm", "busy")
	s.ok("rm", "-f", "busy", "web")
	if out := s.ok("ps", "-a", "-q"); out != "" {
		t.Errorf("containers left: %q", out)
	}
	entries, _ := os.ReadDir(filepath.Join(s.root, "containers"))
	if len(entries) != 0 {
		t.Errorf("container directories left: %v", entries)
	}
}

// TestEngineDetachedRm: a detached --rm container removes itself.
func TestEngineDetachedRm(t *testing.T) {
	s, _ := withImages(t)
	s.ok("run", "-d", "--rm", "--name", "gone", imgBusybox, "sh", "-c", "exit 0")
	engWaitFor(t, "the --rm container to go", func() bool { return s.ok("ps", "-a", "-q") == "" })
}

// TestEngineFiles copies files in and out, commits a container and lists
// its (absent) ports.
func TestEngineFiles(t *testing.T) {
	s, _ := withImages(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "in.txt"), []byte("from host\n"), 0o644)
	os.MkdirAll(filepath.Join(host, "tree/sub"), 0o755)
	os.WriteFile(filepath.Join(host, "tree/sub/f"), []byte("f\n"), 0o600)
	s.ok("create", "--name", "box", imgBusybox, "sh", "-c", "cat /in.txt /tree/sub/f")
	s.ok("cp", filepath.Join(host, "in.txt"), "box:/")
	s.ok("cp", filepath.Join(host, "tree"), "box:/tree")
	if out := s.ok("start", "--attach", "box"); out != "from host\nf\n" {
		t.Fatalf("the copied files inside: %q", out)
	}
	// Out of a stopped container, and through a symbolic link that points
	// outside: it resolves inside the container.
	s.ok("run", "--name", "linky", imgBusybox, "sh", "-c", "ln -s /etc /l; echo x > /etc/marker")
	out := filepath.Join(host, "out")
	s.ok("cp", "linky:/l/marker", out)
	if data, _ := os.ReadFile(out); string(data) != "x\n" {
		t.Errorf("cp out through a link: %q", data)
	}
	s.ok("cp", "linky:/etc", filepath.Join(host, "etc"))
	if _, err := os.Stat(filepath.Join(host, "etc/passwd")); err != nil {
		t.Errorf("cp a directory out: %v", err)
	}
	// commit: the changes become a layer of a new image.
	s.ok("commit", "-c", "CMD cat /etc/marker", "linky", "committed:v1")
	if out := s.ok("run", "--rm", "committed:v1"); out != "x\n" {
		t.Errorf("run the committed image: %q", out)
	}
	if out := s.ok("port", "linky"); out != "" {
		t.Errorf("port of a container without published ports: %q", out)
	}
	s.exits(125, "run", "--rm", "--network", "none", "-p", "8080:80", imgBusybox, "true") // ports need a network
}

// TestEngineSharedSnapshots: two images with the same base layer share its
// snapshot directory.
func TestEngineSharedSnapshots(t *testing.T) {
	s, _ := withImages(t)
	entries, err := os.ReadDir(filepath.Join(s.root, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	var snaps []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			snaps = append(snaps, e.Name())
		}
	}
	if len(snaps) != 2 {
		t.Fatalf("snapshot directories %v: want 2 (busybox shared, app's layer)", snaps)
	}
	var imgs []map[string]any
	json.Unmarshal([]byte(s.ok("images", "--format", "json")), &imgs)
	if len(imgs) != 2 {
		t.Fatalf("images: %v", imgs)
	}
}

// TestEngineParallel runs 20 containers at once in one store.
func TestEngineParallel(t *testing.T) {
	s, _ := withImages(t)
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := s.cmd("run", "--rm", imgBusybox, "echo", "n", string(rune('a'+i)))
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != "n "+string(rune('a'+i))+"\n" {
				errs <- string(out) + ": " + errString(err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if out := s.ok("ps", "-a", "-q"); out != "" {
		t.Errorf("containers left: %q", out)
	}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// TestEngineRuntimes: the same bundles run with runc and with
// berth-runtime, attached and detached.
func TestEngineRuntimes(t *testing.T) {
	s, _ := withImages(t)
	for _, rt := range []string{"/usr/sbin/runc", runtimeBin} {
		if _, err := os.Stat(rt); err != nil {
			t.Fatalf("runtime %s: %v", rt, err)
		}
		out := s.ok("run", "--rm", "--runtime", rt, "-e", "V=1", imgApp, "sh", "-c", "echo $V; cat hello.txt")
		if out != "1\nhello from app\n" {
			t.Errorf("with %s: %q", rt, out)
		}
		s.ok("run", "-d", "--name", "r", "--runtime", rt, imgBusybox, "sleep", "1000")
		if out := s.ok("ps", "--format", "{{.Names}} {{.State}}"); out != "r running\n" {
			t.Errorf("ps with %s: %q", rt, out)
		}
		if out := s.ok("exec", "r", "echo", "in"); out != "in\n" {
			t.Errorf("exec with %s: %q", rt, out)
		}
		if out := s.ok("top", "r"); !strings.Contains(out, "sleep 1000") {
			t.Errorf("top with %s: %q", rt, out)
		}
		s.ok("stop", "-t", "0", "r")
		if out := s.ok("wait", "r"); out != "137\n" {
			t.Errorf("wait with %s: %q", rt, out)
		}
		s.ok("rm", "r")
	}
}

// TestEngineImagesCLI: images, tag, rmi and image prune from the CLI.
func TestEngineImagesCLI(t *testing.T) {
	s, _ := withImages(t)
	s.ok("tag", imgApp, "example.com/x:1")
	if out := s.ok("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, "example.com/x:1\n") {
		t.Errorf("images after tag: %q", out)
	}
	if out := s.ok("images", "-q"); len(strings.Fields(out)) != 2 {
		t.Errorf("images -q: %q", out)
	}
	s.ok("create", "--name", "user", imgApp)
	s.exits(125, "rmi", "localhost/images:app", "example.com/x:1") // the second leaves it nameless but in use
	s.ok("rm", "user")
	if out := s.ok("rmi", "example.com/x:1"); !strings.Contains(out, "Deleted: ") {
		t.Errorf("rmi of the last name: %q", out)
	}
	s.ok("image", "prune", "--all")
	if out := s.ok("images", "-q"); out != "" {
		t.Errorf("images after prune --all: %q", out)
	}
	entries, _ := os.ReadDir(filepath.Join(s.root, "content", "blobs", "sha256"))
	if len(entries) != 0 {
		t.Errorf("%d blobs left after prune --all", len(entries))
	}
}
