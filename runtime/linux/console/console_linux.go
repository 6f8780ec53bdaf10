// Package console allocates the container's pseudoterminal and hands its
// master end to whoever holds the console socket, with SCM_RIGHTS as runc
// does, so conmon, containerd's shim and `berth-runtime run` can all use it.
package console

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Open allocates a pseudoterminal from ptmx (the container's /dev/ptmx, so
// the pair lives in the container's devpts) and returns both ends. The
// slave is opened through TIOCGPTPEER: no path lookup can be raced.
func Open(ptmx string) (master, slave *os.File, err error) {
	fd, err := unix.Open(ptmx, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: ptmx, Err: err}
	}
	master = os.NewFile(uintptr(fd), ptmx)
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlock pty %s: %w", ptmx, err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("get pty number: %w", err)
	}
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if errno != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("open pty peer: %w", errno)
	}
	return master, os.NewFile(sfd, fmt.Sprintf("/dev/pts/%d", n)), nil
}

// SetSize sets the window size of the terminal f.
func SetSize(f *os.File, cols, rows uint16) error {
	ws := &unix.Winsize{Col: cols, Row: rows}
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		return fmt.Errorf("set terminal size: %w", err)
	}
	return nil
}

// Size returns the window size of the terminal f.
func Size(f *os.File) (cols, rows uint16, err error) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, err
	}
	return ws.Col, ws.Row, nil
}

// MakeControlling makes the terminal f the controlling terminal of the
// calling session leader and its standard streams.
func MakeControlling(f *os.File) error {
	if err := unix.IoctlSetInt(int(f.Fd()), unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("make %s the controlling terminal: %w", f.Name(), err)
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
			return fmt.Errorf("dup %s onto fd %d: %w", f.Name(), fd, err)
		}
	}
	return nil
}

// SendFD sends f over the unix socket sock, with f's name as payload.
func SendFD(sock *os.File, f *os.File) error {
	rights := unix.UnixRights(int(f.Fd()))
	if err := unix.Sendmsg(int(sock.Fd()), []byte(f.Name()), rights, nil, 0); err != nil {
		return fmt.Errorf("send console fd: %w", err)
	}
	return nil
}

// RecvFD receives one file sent by SendFD (or by runc) over sock.
func RecvFD(sock *os.File) (*os.File, error) {
	name := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), name, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("receive console fd: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("receive console fd: no file descriptor in message")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("receive console fd: expected one file descriptor")
	}
	return os.NewFile(uintptr(fds[0]), string(name[:n])), nil
}
