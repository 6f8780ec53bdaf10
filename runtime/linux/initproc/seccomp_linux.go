package initproc

import (
	"encoding/json"
	"fmt"

	"github.com/berth-oci/berth/runtime/linux/seccomp"
	"golang.org/x/sys/unix"
)

// loadSeccomp installs the filter the parent compiled, once.
func (p *initProcess) loadSeccomp() (notifyFD int, err error) {
	if len(p.b.Seccomp) == 0 || p.seccompLoaded {
		return -1, nil
	}
	var f seccomp.Filter
	if err := f.UnmarshalBinary(p.b.Seccomp); err != nil {
		return -1, fmt.Errorf("decode seccomp filter: %w", err)
	}
	p.seccompLoaded = true
	fd, err := f.Load()
	if err != nil {
		return -1, fmt.Errorf("load seccomp filter: %w", err)
	}
	return fd, nil
}

// loadSeccompNotify loads a profile with SCMP_ACT_NOTIFY during create and
// sends the listener to the parent, which passes it to the agent.
func (p *initProcess) loadSeccompNotify() error {
	fd, err := p.loadSeccomp()
	if err != nil || fd < 0 {
		return err
	}
	defer unix.Close(fd)
	msg, _ := json.Marshal(Message{Type: MsgSeccompFd})
	if err := unix.Sendmsg(int(p.sock.Fd()), append(msg, '\n'), unix.UnixRights(fd), nil, 0); err != nil {
		return fmt.Errorf("send seccomp listener: %w", err)
	}
	return nil
}

// loadSeccompLate loads the filter in the start phase; a notify listener
// cannot appear here (those load during create).
func (p *initProcess) loadSeccompLate() error {
	fd, err := p.loadSeccomp()
	if fd >= 0 {
		unix.Close(fd)
	}
	return err
}
