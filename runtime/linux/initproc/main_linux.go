package initproc

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"

	"github.com/berth-oci/berth/runtime/linux/nsenter"
	"golang.org/x/sys/unix"
)

// initProcess holds what the init carries from create to start.
type initProcess struct {
	b      *Bootstrap
	sock   *os.File
	dec    *json.Decoder // the parent's messages after the bootstrap
	procFD int           // the runtime's /proc/self/fd, to reopen exec.fifo after the pivot

	seccompLoaded bool
}

// In the init, the main goroutine keeps the process's main thread (locked
// from an init function, the Go runtime starts main on it): the thread
// that joins the cgroup, holds the capabilities and calls execve must be
// the thread group leader, which /proc and cgroup.procs report.
func init() {
	if os.Getenv(EnvSyncFD) != "" {
		runtime.LockOSThread()
	}
}

// Main runs the init. It does not return once the user process runs; the
// value it returns is the exit status of a failed init.
func Main() int {
	// Capabilities, the cgroup namespace and the final execve all belong to
	// one OS thread: this one.
	runtime.LockOSThread()
	fd, err := strconv.Atoi(os.Getenv(EnvSyncFD))
	if err != nil {
		fmt.Fprintln(os.Stderr, "berth-runtime init: only berth-runtime create starts the init")
		return 1
	}
	// Nothing of the runtime's plumbing reaches hooks or the user process.
	os.Unsetenv(EnvSyncFD)
	os.Unsetenv(nsenter.EnvVar)
	os.Unsetenv("GODEBUG")
	os.Unsetenv("GOMAXPROCS")

	p := &initProcess{sock: os.NewFile(uintptr(fd), "sync"), procFD: -1}
	b, err := ReadBootstrap(p.sock)
	if err != nil {
		p.send(Message{Type: MsgError, Msg: fmt.Sprintf("init: read bootstrap: %v", err)})
		return 1
	}
	p.b = b
	if err := joinCgroup(b.CgroupFiles); err != nil {
		p.send(Message{Type: MsgError, Msg: err.Error()})
		return 1
	}
	prepare := p.create
	if b.Exec {
		prepare = p.prepareExec
	}
	if err := prepare(); err != nil {
		p.send(Message{Type: MsgError, Msg: err.Error()})
		return 1
	}
	report, err := p.waitStart()
	if err != nil {
		// Nobody listens any more: start sees the init gone.
		fmt.Fprintln(os.Stderr, "berth-runtime init:", err)
		return 1
	}
	err = p.start()
	fmt.Fprint(report, err.Error())
	return 1
}

// joinCgroup moves the calling thread (locked: it is the one that execs)
// into the container's cgroup.
func joinCgroup(files []string) error {
	for _, f := range files {
		if err := os.WriteFile(f, []byte("0"), 0); err != nil {
			return fmt.Errorf("join cgroup %s: %w", f, err)
		}
	}
	return nil
}

func (p *initProcess) send(m Message) {
	b, _ := json.Marshal(m)
	p.sock.Write(append(b, '\n'))
}

// errorMessages writes what the init reports as "error" messages.
type errorMessages struct{ p *initProcess }

func (w errorMessages) Write(b []byte) (int, error) {
	w.p.send(Message{Type: MsgError, Msg: string(b)})
	return len(b), nil
}

// waitStart blocks until `start` opens exec.fifo, and returns where to
// report a failure from then on. With NoWait it returns at once.
func (p *initProcess) waitStart() (io.Writer, error) {
	if p.b.NoWait {
		unix.Close(p.procFD)
		return errorMessages{p}, nil
	}
	name := strconv.Itoa(p.b.FifoFD)
	for {
		fd, err := unix.Openat(p.procFD, name, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open exec.fifo: %w", err)
		}
		unix.Close(p.procFD)
		unix.Close(p.b.FifoFD)
		return os.NewFile(uintptr(fd), "exec.fifo"), nil
	}
}
