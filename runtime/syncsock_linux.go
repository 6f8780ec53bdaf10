package runtime

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// syncReader reads the init's messages with recvmsg, keeping the
// descriptors that arrive in SCM_RIGHTS (a plain read would drop them).
type syncReader struct {
	f   *os.File
	fds []int
}

func (r *syncReader) Read(p []byte) (int, error) {
	oob := make([]byte, unix.CmsgSpace(4*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(int(r.f.Fd()), p, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if oobn > 0 {
			if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil {
				for i := range msgs {
					if fds, err := unix.ParseUnixRights(&msgs[i]); err == nil {
						r.fds = append(r.fds, fds...)
					}
				}
			}
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

// takeFD returns the oldest descriptor received, or -1.
func (r *syncReader) takeFD() int {
	if len(r.fds) == 0 {
		return -1
	}
	fd := r.fds[0]
	r.fds = r.fds[1:]
	return fd
}

func (r *syncReader) close() {
	for _, fd := range r.fds {
		unix.Close(fd)
	}
	r.fds = nil
}
