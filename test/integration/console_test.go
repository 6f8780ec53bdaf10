package integration

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// consoleReceiver listens on a console socket and returns the pty master
// it receives, as conmon and containerd's shim do.
func consoleReceiver(t *testing.T) (string, <-chan *os.File) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "console.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *os.File, 1)
	go func() {
		defer l.Close()
		c, err := l.AcceptUnix()
		if err != nil {
			close(got)
			return
		}
		defer c.Close()
		buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			close(got)
			return
		}
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		if len(msgs) != 1 {
			close(got)
			return
		}
		fds, _ := unix.ParseUnixRights(&msgs[0])
		got <- os.NewFile(uintptr(fds[0]), "pty-master")
	}()
	return path, got
}

func TestConsoleSocket(t *testing.T) {
	r := newRT(t)
	sock, masters := consoleReceiver(t)
	b := r.bundle(sh("tty; stty size; echo TERM=$TERM; ls -l /dev/console | cut -c1"), func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.ConsoleSize = &specs.Box{Height: 30, Width: 100}
	})
	r.ok("create", "--bundle", b, "--console-socket", sock, "tty1")
	master := <-masters
	if master == nil {
		t.Fatal("no pty master received on the console socket")
	}
	defer master.Close()
	r.ok("start", "tty1")
	out, _ := io.ReadAll(master) // EIO once the container's side is closed
	text := strings.ReplaceAll(string(out), "\r\n", "\n")
	for _, w := range []string{"/dev/pts/0\n", "30 100\n", "TERM=xterm\n", "c\n"} {
		if !strings.Contains(text, w) {
			t.Errorf("terminal output lacks %q:\n%s", w, text)
		}
	}
	waitFor(t, func() bool { return r.state("tty1")["status"] == "stopped" })
	r.ok("delete", "tty1")

	if e := r.fails("create", "--bundle", b, "tty2"); !strings.Contains(e, "console-socket") {
		t.Fatalf("terminal without a console socket: %q", e)
	}
}

// TestRunTerminalWithoutSocket: run attached with process.terminal and no
// console socket relays the container's terminal through its own stdio.
func TestRunTerminalWithoutSocket(t *testing.T) {
	r := newRT(t)
	b := r.bundle(sh("tty; echo relayed; exit 6"), func(s *specs.Spec) { s.Process.Terminal = true })
	out, stderr, code := r.run(b, "tty3")
	out = strings.ReplaceAll(out, "\r\n", "\n")
	if code != 6 || !strings.Contains(out, "/dev/pts/0\n") || !strings.Contains(out, "relayed\n") {
		t.Fatalf("run with a terminal: exit %d, %q, %s", code, out, stderr)
	}
	if e := r.fails("run", "-d", "--bundle", b, "tty4"); !strings.Contains(e, "console-socket") {
		t.Fatalf("run -d with a terminal and no console socket: %q", e)
	}
}
