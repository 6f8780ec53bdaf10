package seccomp

import (
	"encoding/json"
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SendNotifyFD connects to the seccomp agent's unix stream socket at
// listenerPath and sends it st as JSON, with fd (the listener of
// SCMP_ACT_NOTIFY) in SCM_RIGHTS on the first sendmsg. It fills in
// st.Version (when empty) and st.Fds (["seccompFd"]); the caller fills Pid,
// Metadata (linux.seccomp.listenerMetadata) and State. The connection is
// used for this one state and closed, as config-linux.md requires. fd stays
// open: the caller closes it.
//
// It uses plain blocking syscalls (socket, connect, sendmsg, close) and no
// Go network poller, so that it can run in a process that is about to exec.
func SendNotifyFD(listenerPath string, st specs.ContainerProcessState, fd int) error {
	if listenerPath == "" {
		return fmt.Errorf("seccomp: send listener fd: no listenerPath: %w", errdefs.ErrInvalidArgument)
	}
	if fd < 0 {
		return fmt.Errorf("seccomp: send listener fd to %s: invalid fd %d: %w", listenerPath, fd, errdefs.ErrInvalidArgument)
	}
	if st.Version == "" {
		st.Version = specs.Version
	}
	st.Fds = []string{specs.SeccompFdName}
	payload, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("seccomp: send listener fd to %s: encode state: %w", listenerPath, err)
	}
	sock, err := dial(listenerPath)
	if err != nil {
		return fmt.Errorf("seccomp: send listener fd to %s: %w", listenerPath, err)
	}
	err = sendAll(sock, payload, unix.UnixRights(fd))
	if cerr := unix.Close(sock); cerr != nil && err == nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("seccomp: send listener fd to %s: %w", listenerPath, err)
	}
	return nil
}

func dial(path string) (int, error) {
	if len(path) >= len(unix.RawSockaddrUnix{}.Path) {
		return -1, fmt.Errorf("path is longer than a unix socket address can hold (%d bytes): %w", len(unix.RawSockaddrUnix{}.Path)-1, errdefs.ErrInvalidArgument)
	}
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	for {
		err = unix.Connect(sock, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(sock) // the connect error is the one to report
		return -1, fmt.Errorf("connect: %w", err)
	}
	return sock, nil
}

// sendAll writes payload, passing oob with its first byte only, as the spec
// requires when the state takes more than one sendmsg.
func sendAll(sock int, payload, oob []byte) error {
	for len(payload) > 0 {
		n, err := unix.SendmsgN(sock, payload, oob, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("sendmsg: %w", err)
		}
		if n > 0 {
			oob = nil
		}
		payload = payload[n:]
	}
	return nil
}
