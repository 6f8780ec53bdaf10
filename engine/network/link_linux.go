package network

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// deleteLink deletes the host's interface called name; one that does not
// exist is not an error.
func deleteLink(name string) error {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		if !linkExists(name) {
			return nil
		}
		return fmt.Errorf("delete interface %s: %w", name, err)
	}
	if err := rtnetlink(unix.RTM_DELLINK, ifi.Index); err != nil && err != unix.ENODEV {
		return fmt.Errorf("delete interface %s: %w", name, err)
	}
	return nil
}

// rtnetlink sends one link request about the interface of index idx and
// waits for the kernel's acknowledgement.
func rtnetlink(typ uint16, idx int) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return &os.SyscallError{Syscall: "socket(AF_NETLINK)", Err: err}
	}
	defer unix.Close(fd)
	msg := make([]byte, unix.NLMSG_HDRLEN+unix.SizeofIfInfomsg)
	hdr := (*unix.NlMsghdr)(unsafe.Pointer(&msg[0]))
	hdr.Len, hdr.Type, hdr.Flags, hdr.Seq = uint32(len(msg)), typ, unix.NLM_F_REQUEST|unix.NLM_F_ACK, 1
	info := (*unix.IfInfomsg)(unsafe.Pointer(&msg[unix.NLMSG_HDRLEN]))
	info.Family, info.Index = unix.AF_UNSPEC, int32(idx)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return &os.SyscallError{Syscall: "sendto(netlink)", Err: err}
	}
	buf := make([]byte, 4096)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.SyscallError{Syscall: "recvfrom(netlink)", Err: err}
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Type != unix.NLMSG_ERROR || m.Header.Seq != 1 || len(m.Data) < 4 {
				continue
			}
			if code := *(*int32)(unsafe.Pointer(&m.Data[0])); code != 0 {
				return unix.Errno(-code)
			}
			return nil
		}
	}
}
