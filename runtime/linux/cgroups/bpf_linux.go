package cgroups

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The bpf(2) attribute layouts this package uses (parts of union bpf_attr).

type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
}

type progAttachAttr struct {
	targetFd     uint32
	attachBpfFd  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBpfFd uint32
	_            uint32
}

type progQueryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

type progGetFdAttr struct {
	progID    uint32
	nextID    uint32
	openFlags uint32
	_         uint32
}

func bpf(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// loadDeviceProgram loads prog and returns its fd. When the verifier refuses
// it, the load is repeated with a log so the error says why.
func loadDeviceProgram(prog []insn) (int, error) {
	code := encode(prog)
	license := []byte("Apache-2.0\x00")
	attr := progLoadAttr{
		progType:           unix.BPF_PROG_TYPE_CGROUP_DEVICE,
		insnCnt:            uint32(len(prog)),
		insns:              uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:            uint64(uintptr(unsafe.Pointer(&license[0]))),
		expectedAttachType: unix.BPF_CGROUP_DEVICE,
	}
	copy(attr.progName[:], "berth_devices")
	// attr holds the addresses as integers, which keep nothing alive.
	defer runtime.KeepAlive(code)
	defer runtime.KeepAlive(license)
	fd, err := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err == nil {
		return fd, nil
	}
	log := make([]byte, 64*1024)
	defer runtime.KeepAlive(log)
	attr.logLevel, attr.logSize = 1, uint32(len(log))
	attr.logBuf = uint64(uintptr(unsafe.Pointer(&log[0])))
	if fd, err2 := bpf(unix.BPF_PROG_LOAD, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err2 == nil {
		return fd, nil // the first failure was transient
	}
	if msg := bytes.TrimRight(log, "\x00\n"); len(msg) > 0 {
		return -1, fmt.Errorf("load device filter: %w (verifier: %s)", err, lastLines(msg, 3))
	}
	return -1, fmt.Errorf("load device filter: %w", err)
}

func lastLines(b []byte, n int) string {
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("; ")))
}

// attachedDevicePrograms lists the ids of the device programs attached to
// the cgroup directly.
func attachedDevicePrograms(cgFd int) ([]uint32, error) {
	ids := make([]uint32, 64)
	attr := progQueryAttr{
		targetFd:   uint32(cgFd),
		attachType: unix.BPF_CGROUP_DEVICE,
		progIDs:    uint64(uintptr(unsafe.Pointer(&ids[0]))),
		progCnt:    uint32(len(ids)),
	}
	_, err := bpf(unix.BPF_PROG_QUERY, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(ids)
	if err != nil {
		return nil, fmt.Errorf("query device programs: %w", err)
	}
	return ids[:attr.progCnt], nil
}

func attachDeviceProgram(cgFd, progFd int) error {
	attr := progAttachAttr{
		targetFd:    uint32(cgFd),
		attachBpfFd: uint32(progFd),
		attachType:  unix.BPF_CGROUP_DEVICE,
		attachFlags: unix.BPF_F_ALLOW_MULTI,
	}
	if _, err := bpf(unix.BPF_PROG_ATTACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return fmt.Errorf("attach device filter: %w", err)
	}
	return nil
}

func detachDeviceProgram(cgFd int, id uint32) error {
	get := progGetFdAttr{progID: id}
	progFd, err := bpf(unix.BPF_PROG_GET_FD_BY_ID, unsafe.Pointer(&get), unsafe.Sizeof(get))
	if errors.Is(err, unix.ENOENT) {
		return nil // gone meanwhile
	} else if err != nil {
		return fmt.Errorf("open device program %d: %w", id, err)
	}
	defer unix.Close(progFd)
	attr := progAttachAttr{
		targetFd:    uint32(cgFd),
		attachBpfFd: uint32(progFd),
		attachType:  unix.BPF_CGROUP_DEVICE,
	}
	if _, err := bpf(unix.BPF_PROG_DETACH, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("detach device program %d: %w", id, err)
	}
	return nil
}
