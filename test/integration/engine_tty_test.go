package integration

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPty returns a pseudo-terminal's master and slave.
func openPty(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 30, Col: 100})
	t.Cleanup(func() { master.Close(); slave.Close() })
	return master, slave
}

// TestEngineTerminal runs containers with -t from a terminal: attached
// (berth relays the container's terminal and its size), detached (the
// monitor logs it) and through exec.
func TestEngineTerminal(t *testing.T) {
	s, _ := withImages(t)
	run := func(args ...string) (string, int) {
		master, slave := openPty(t)
		cmd := s.cmd(args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		slave.Close()
		var out bytes.Buffer
		io.Copy(&out, master) // EIO once berth has gone
		cmd.Wait()
		return out.String(), cmd.ProcessState.ExitCode()
	}
	out, code := run("run", "--rm", "-it", imgBusybox, "sh", "-c", "tty; stty size; echo $TERM; exit 4")
	if code != 4 || !strings.Contains(out, "/dev/pts/0") || !strings.Contains(out, "30 100") || !strings.Contains(out, "xterm") {
		t.Errorf("run -it: exit %d, %q", code, out)
	}
	s.ok("run", "-d", "-t", "--name", "term", imgBusybox, "sh", "-c", "tty; sleep 1000")
	engWaitFor(t, "the terminal's output in the log", func() bool { return strings.Contains(s.ok("logs", "term"), "/dev/pts/0") })
	out, code = run("exec", "-it", "term", "sh", "-c", "tty; exit 6")
	if code != 6 || !strings.Contains(out, "/dev/pts/") {
		t.Errorf("exec -it: exit %d, %q", code, out)
	}
	s.ok("rm", "-f", "term")
}
