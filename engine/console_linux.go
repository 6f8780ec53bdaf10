package engine

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// consoleSocket is the socket a runtime sends a container's terminal
// master to (--console-socket).
type consoleSocket struct {
	path string
	dir  string // a temporary directory to remove, when one was needed
	l    *net.UnixListener
}

// maxSocketPath leaves room in sun_path (108 bytes with its NUL).
const maxSocketPath = 100

// newConsoleSocket listens in runDir, or in a temporary directory when
// that path would be too long for a socket address.
func newConsoleSocket(runDir, id string) (*consoleSocket, error) {
	cs := &consoleSocket{path: filepath.Join(runDir, "console-"+id[:12]+".sock")}
	if len(cs.path) > maxSocketPath {
		dir, err := os.MkdirTemp("", "berth-console-")
		if err != nil {
			return nil, err
		}
		cs.dir, cs.path = dir, filepath.Join(dir, "s")
	}
	os.Remove(cs.path)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: cs.path, Net: "unix"})
	if err != nil {
		cs.close()
		return nil, fmt.Errorf("console socket: %w", err)
	}
	l.SetUnlinkOnClose(true)
	cs.l = l
	return cs, nil
}

// receive waits for the runtime to connect and returns the master it sends.
func (cs *consoleSocket) receive() (*os.File, error) {
	conn, err := cs.l.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	defer conn.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("console socket: no file descriptor received")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("console socket: no file descriptor received")
	}
	unix.CloseOnExec(fds[0])
	return os.NewFile(uintptr(fds[0]), "console-master"), nil
}

func (cs *consoleSocket) close() {
	if cs.l != nil {
		cs.l.Close()
	}
	if cs.dir != "" {
		os.RemoveAll(cs.dir)
	}
}

// resize gives the terminal master the size of the user's terminal from.
func resize(master, from *os.File) {
	ws, err := unix.IoctlGetWinsize(int(from.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return
	}
	unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
}
