package runtime

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// procStart returns the start time of pid (field 22 of /proc/pid/stat, in
// clock ticks since boot) and whether it is a zombie. Together with the
// pid it names one process: a reused pid has another start time.
func procStart(pid int) (start uint64, zombie bool, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields that follow start after its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return 0, false, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err = strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return start, f[0][0] == 'Z' || f[0][0] == 'X', nil
}

// alive reports whether the process pid that started at start still runs.
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	s, zombie, err := procStart(pid)
	return err == nil && !zombie && s == start
}

// openPidfd opens a pidfd for the process pid that started at start, or
// fails with ESRCH if that process is gone (even if its pid was reused).
func openPidfd(pid int, start uint64) (int, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, err
	}
	// Checked after the open: the pidfd pins this process, so a match now
	// means the fd names the container's init and not a successor.
	if !alive(pid, start) {
		unix.Close(fd)
		return -1, unix.ESRCH
	}
	return fd, nil
}

// waitPidfd waits until the process behind fd exits.
func waitPidfd(fd int) error {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		return err
	}
}
