package runtime

import (
	"fmt"
	"os"
	goruntime "runtime"
	"strconv"
	"syscall"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/linux/initproc"
	"github.com/berth-oci/berth/runtime/linux/nsenter"
	"golang.org/x/sys/unix"
)

func runtimeLockOSThread() { goruntime.LockOSThread() }

// childFiles are the descriptors the init starts with. The ones passed to
// the user process come first (fd 3 up), the init's own after them, so
// the init can mark everything past the first group close-on-exec.
type childFiles struct {
	extra   []*os.File // LISTEN_FDS then --preserve-fds
	env     []string   // LISTEN_FDS / LISTEN_PID for the process
	private []*os.File // sync socket, fifo, console socket, binary
	parent  *os.File   // the parent's end of the sync socket

	syncFD, fifoFD, consoleFD, exeFD int  // numbers in the init
	exeJoins                         bool // the init binary has the nsenter constructor

	cgroupFD int // cgroup2 directory for CLONE_INTO_CGROUP, or -1
}

func (s *starter) childFiles() (_ *childFiles, err error) {
	f := &childFiles{consoleFD: -1, cgroupFD: -1}
	defer func() {
		if err != nil {
			f.close()
		}
	}()
	if err := f.passOn(s.opts.PreserveFDs); err != nil {
		return nil, err
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	f.parent = os.NewFile(uintptr(pair[0]), "sync")
	s.sock = f.parent
	f.syncFD = f.add(os.NewFile(uintptr(pair[1]), "sync"))

	f.fifoFD = -1
	if !s.opts.noWait {
		if f.fifoFD, err = f.addFifo(s.r.dir(s.rec.ID)); err != nil {
			return nil, err
		}
	}
	if c, err := s.consoleFile(); err != nil {
		return nil, err
	} else if c != nil {
		f.consoleFD = f.add(c)
	}
	s.r.log().Debug("create: console ready", "id", s.rec.ID)
	joiner, err := s.needsJoiner()
	if err != nil {
		return nil, err
	}
	exe, err := s.r.initBinary(joiner)
	if err != nil {
		return nil, err
	}
	f.exeFD = f.add(exe)
	f.exeJoins = joiner || nsenter.Available()
	return f, nil
}

// needsJoiner reports whether the init must be the joiner: it joins
// namespaces (an exec always does), and this binary lacks the constructor.
func (s *starter) needsJoiner() (bool, error) {
	if nsenter.Available() || (!s.exec && s.plan.enter.Empty()) {
		return false, nil
	}
	if joinerBinary == nil {
		return false, fmt.Errorf("this berth-runtime was built without cgo and without its joiner: it cannot join namespaces by path or exec into a container (build it with make build): %w", errdefs.ErrNotImplemented)
	}
	return true, nil
}

// addFifo makes exec.fifo, which start opens to let the init go on.
func (f *childFiles) addFifo(dir string) (int, error) {
	fifo := dir + "/" + fifoFile
	if err := unix.Mkfifo(fifo, 0o622); err != nil {
		return -1, fmt.Errorf("mkfifo %s: %w", fifo, err)
	}
	// The umask may have cut the mode: the container's user must be able
	// to open the fifo for writing.
	if err := os.Chmod(fifo, 0o622); err != nil {
		return -1, err
	}
	fd, err := unix.Open(fifo, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", fifo, err)
	}
	return f.add(os.NewFile(uintptr(fd), fifoFile)), nil
}

// passOn collects the descriptors the container inherits: systemd's socket
// activation fds when LISTEN_PID names us, then n more (--preserve-fds).
func (f *childFiles) passOn(n int) error {
	next := 3
	if os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) {
		if k, err := strconv.Atoi(os.Getenv("LISTEN_FDS")); err == nil && k > 0 {
			for i := 0; i < k; i++ {
				f.extra = append(f.extra, os.NewFile(uintptr(next), "LISTEN_FD_"+strconv.Itoa(next)))
				next++
			}
			f.env = []string{"LISTEN_FDS=" + strconv.Itoa(k), "LISTEN_PID=1"}
		}
	}
	for i := 0; i < n; i++ {
		if _, err := unix.FcntlInt(uintptr(next), unix.F_GETFD, 0); err != nil {
			return fmt.Errorf("--preserve-fds %d: fd %d is not open: %w", n, next, errdefs.ErrInvalidArgument)
		}
		f.extra = append(f.extra, os.NewFile(uintptr(next), "fd"+strconv.Itoa(next)))
		next++
	}
	return nil
}

// add appends a private file and returns its fd number in the init.
func (f *childFiles) add(file *os.File) int {
	f.private = append(f.private, file)
	return 3 + len(f.extra) + len(f.private) - 1
}

// closeChildEnds closes our copies of what only the init needs.
func (f *childFiles) closeChildEnds() {
	for _, p := range f.private {
		p.Close()
	}
	f.private = nil
	if f.cgroupFD >= 0 {
		unix.Close(f.cgroupFD)
		f.cgroupFD = -1
	}
}

func (f *childFiles) close() {
	f.closeChildEnds()
	if f.parent != nil {
		f.parent.Close()
	}
}

// consoleFile is the socket the init sends the pty master to.
func (s *starter) consoleFile() (*os.File, error) {
	terminal := s.rec.Spec.Process != nil && s.rec.Spec.Process.Terminal
	switch {
	case !terminal && (s.opts.ConsoleSocket != "" || s.opts.console != nil):
		return nil, fmt.Errorf("--console-socket given but process.terminal is false: %w", errdefs.ErrInvalidArgument)
	case !terminal:
		return nil, nil
	case s.opts.console != nil:
		return s.opts.console, nil
	case s.opts.ConsoleSocket == "":
		return nil, fmt.Errorf("process.terminal is true but no --console-socket was given: %w", errdefs.ErrInvalidArgument)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: s.opts.ConsoleSocket}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("connect to console socket %s: %w", s.opts.ConsoleSocket, err)
	}
	return os.NewFile(uintptr(fd), s.opts.ConsoleSocket), nil
}

// command builds the re-execution of the sealed binary as init.
func (s *starter) command(f *childFiles) (*child, error) {
	// The Go runtime of the init need not watch the cgroup's CPU limit:
	// it lives for a few milliseconds before execve.
	// One P: the init runs one goroutine, and fewer threads start faster.
	env := []string{initproc.EnvSyncFD + "=" + strconv.Itoa(f.syncFD), "GODEBUG=containermaxprocs=0,updatemaxprocs=0", "GOMAXPROCS=1"}
	if !s.plan.enter.Empty() {
		if !f.exeJoins {
			return nil, fmt.Errorf("the init binary cannot join namespaces: %w", errdefs.ErrNotImplemented)
		}
		v, err := s.plan.enter.Encode()
		if err != nil {
			return nil, err
		}
		env = append(env, nsenter.EnvVar+"="+v)
	}
	stdin, stdout, stderr := s.opts.Stdin, s.opts.Stdout, s.opts.Stderr
	if stdin == nil {
		stdin = os.Stdin
	}
	if stdout == nil {
		stdout = os.Stdout
	}
	if stderr == nil {
		stderr = os.Stderr
	}
	// Without root, the kernel lets a gid_map be written only once
	// setgroups is denied in the namespace, as runc does rootless.
	rootless := os.Geteuid() != 0
	attr := &syscall.SysProcAttr{
		Cloneflags:                 s.plan.cloneflags,
		Setsid:                     true,
		UidMappings:                s.plan.uidMaps,
		GidMappings:                s.plan.gidMaps,
		GidMappingsEnableSetgroups: !rootless,
	}
	if f.cgroupFD >= 0 {
		attr.UseCgroupFD, attr.CgroupFD = true, f.cgroupFD
	}
	if s.plan.newUser {
		// Root of the new namespace from the start, so that the execve of
		// the init keeps the capabilities there.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: rootless}
	}
	files := append([]*os.File{stdin, stdout, stderr}, f.extra...)
	return &child{
		path:  "/proc/self/fd/" + strconv.Itoa(f.exeFD),
		args:  []string{"berth-runtime", "init"},
		env:   env,
		files: append(files, f.private...),
		attr:  attr,
	}, nil
}
