package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/linux/cgroups"
	"github.com/berth-oci/berth/runtime/linux/initproc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CreateOpts are the options of create (and run).
type CreateOpts struct {
	Bundle        string // default: the current directory
	PidFile       string
	ConsoleSocket string // AF_UNIX socket that receives the pty master
	NoPivot       bool
	NoNewKeyring  bool
	PreserveFDs   int // fds 3.. (after LISTEN_FDS) passed to the container
	// Stdio of the container; nil means the runtime's own.
	Stdin, Stdout, Stderr *os.File
	// console, when set (run with a terminal and no console socket), is the
	// socket over which the init sends the pty master.
	console *os.File
	// beforeBootstrap, when set, runs right before the init is sent its
	// bootstrap: until then the init has booted but done nothing.
	beforeBootstrap func()
	// noWait (run): the init goes on to the user process without waiting
	// on exec.fifo; the parent learns the outcome on the sync socket.
	noWait bool
}

// Create creates container id from a bundle: the init runs in its
// namespaces with its mounts done and waits for Start. It returns once the
// container is created; the init is left to whoever reaps orphans.
func (r *Runtime) Create(ctx context.Context, id string, o CreateOpts) error {
	warmUp()
	_, err := r.create(ctx, id, o, nil)
	return err
}

// warmUp starts in the background what the first create of a process
// would otherwise wait for on its way to the fork, so that it overlaps
// reading the config: the cgroup layout (cgroups.Prefetch).
func warmUp() { cgroups.Prefetch() }

// creation is a container just created by this process.
type creation struct {
	rec *record
	cmd *child
	s   *starter
}

// create creates container id; rec is the bundle's record when the
// caller read it already (nil: read it here).
func (r *Runtime) create(ctx context.Context, id string, o CreateOpts, rec *record) (c *creation, err error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if r.SystemdCgroup {
		return nil, fmt.Errorf("create %s: --systemd-cgroup: the systemd cgroup driver: %w", id, errdefs.ErrNotImplemented)
	}
	if rec == nil {
		if rec, err = r.newRecord(id, o.Bundle); err != nil {
			return nil, err
		}
	}
	spec := rec.Spec
	plan, err := planNamespaces(spec)
	if err != nil {
		return nil, err
	}
	filter, notify, err := r.compileSeccomp(spec)
	if err != nil {
		return nil, err
	}
	dir := r.dir(id)
	if err := os.MkdirAll(r.root(), 0o700); err != nil {
		return nil, fmt.Errorf("create state root %s: %w", r.root(), err)
	}
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("container %s: %w", id, errdefs.ErrAlreadyExists)
		}
		return nil, fmt.Errorf("create state directory of %s: %w", id, err)
	}
	l, err := lockDir(dir)
	if err != nil {
		os.Remove(dir)
		return nil, err
	}
	defer l.unlock()
	r.log().Debug("create: state directory locked", "id", id)
	s := &starter{r: r, rec: rec, plan: plan, opts: o, seccomp: filter, seccompNotify: notify}
	defer func() {
		if err != nil {
			s.abort()
			os.RemoveAll(dir)
			err = fmt.Errorf("create container %s: %w", id, err)
		}
	}()
	if err := s.launch(ctx); err != nil {
		return nil, err
	}
	if err := r.save(rec); err != nil {
		return nil, err
	}
	if o.PidFile != "" {
		if err := replaceFile(o.PidFile, []byte(itoa(rec.Pid)), 0o644); err != nil {
			return nil, fmt.Errorf("write pid file: %w", err)
		}
	}
	return &creation{rec: rec, cmd: s.cmd, s: s}, nil
}

// newRecord reads and validates the bundle's config.
func (r *Runtime) newRecord(id, bundle string) (*record, error) {
	if bundle == "" {
		bundle = "."
	}
	bundle, err := filepath.Abs(bundle)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", bundle, err)
	}
	spec, raw, err := loadSpec(bundle)
	if err != nil {
		return nil, err
	}
	rootfs := ""
	if spec.Root != nil {
		rootfs = spec.Root.Path
		if !filepath.IsAbs(rootfs) {
			rootfs = filepath.Join(bundle, rootfs)
		}
	}
	notes, err := validate(spec, rootfs)
	if err != nil {
		return nil, err
	}
	r.logNotes(id, notes)
	return &record{
		ID:      id,
		Bundle:  bundle,
		Rootfs:  rootfs,
		Created: time.Now().UTC(),
		Owner:   itoa(os.Geteuid()),
		Spec:    spec,
		RawSpec: raw,
	}, nil
}

// starter launches one init and talks to it until "created".
type starter struct {
	r    *Runtime
	rec  *record
	plan *nsPlan
	opts CreateOpts
	cg   cgroups.Manager
	cmd  *child
	sock *os.File // the parent's end of the sync socket

	seccomp       []byte
	seccompNotify bool

	in  *syncReader // what the init sends, with its descriptors
	dec *json.Decoder

	cgroupFiles []string // "tasks" files the init writes "0" to

	cgroupMountinfo []byte // for the init's cgroup mount, read while it boots

	exec bool // a process joining a running container, not its init
}

// abort undoes a create that failed half way: the init is killed and
// reaped, its cgroup removed; the poststop hooks run as the spec's step 12
// asks for a container stopped by a failed hook.
func (s *starter) abort() {
	if s.cmd.started() {
		s.cmd.Kill()
		s.cmd.Wait()
	}
	if s.sock != nil {
		s.sock.Close()
	}
	if s.exec {
		return // the container's cgroup and hooks are not this process's
	}
	if s.cg != nil {
		if err := s.cg.Destroy(); err != nil {
			s.r.log().Warn("remove cgroup of failed container", "id", s.rec.ID, "err", err)
		}
	}
	if h := s.rec.Spec.Hooks; h != nil && s.cmd != nil && len(h.Poststop) > 0 {
		s.r.runPoststop(s.rec)
	}
}

func (s *starter) launch(ctx context.Context) error {
	spec := s.rec.Spec
	log := s.r.log()
	var err error
	if s.cg, err = s.r.cgroupManager(s.rec); err != nil {
		return err
	}
	fds, err := s.childFiles()
	if err != nil {
		return err
	}
	defer fds.close()
	if !s.plan.inUserNS() {
		if s.cgroupFiles, err = s.joinPlan(fds); err != nil {
			return err
		}
	}
	s.plan.enter.ErrFD = fds.syncFD
	if s.cmd, err = s.command(fds); err != nil {
		return err
	}
	// The init starts before its cgroup is complete: it boots (execve, the
	// Go runtime) while the cgroup is made, and joins it once told so by
	// the bootstrap. Only the cgroup2 directory, which the clone puts it
	// in, must exist already (joinPlan made it).
	if err := s.start(); err != nil {
		return fmt.Errorf("start init: %w", err)
	}
	s.rec.Pid = s.cmd.pid
	log.Debug("create: init started", "id", s.rec.ID, "pid", s.rec.Pid)
	if s.rec.PidStart, _, err = procStart(s.rec.Pid); err != nil {
		return fmt.Errorf("read start time of init %d: %w", s.rec.Pid, err)
	}
	fds.closeChildEnds()
	if err := s.r.createCgroup(s.rec, s.cg); err != nil {
		return err
	}
	log.Debug("create: cgroup made", "id", s.rec.ID)
	if s.plan.inUserNS() {
		// From inside its user namespace the init cannot write the
		// host's cgroup files: the parent moves it.
		if err := s.cg.Add(s.rec.Pid); err != nil {
			return err
		}
	}
	// Read here, while the init boots, rather than by the init on its
	// way to "created".
	s.cgroupMountinfo = cgroupMountinfo(spec)
	if p := spec.Process; p != nil && p.OOMScoreAdj != nil {
		path := "/proc/" + itoa(s.rec.Pid) + "/oom_score_adj"
		if err := os.WriteFile(path, []byte(itoa(*p.OOMScoreAdj)), 0); err != nil {
			return fmt.Errorf("set oom_score_adj %d: %w", *p.OOMScoreAdj, err)
		}
	}
	return s.talk(ctx, fds)
}

// start forks the init. Joining a pid namespace is done here, on a thread
// of our own that never runs anything else: setns(CLONE_NEWPID) places
// only the children of the thread, which is all we need.
func (s *starter) start() error {
	if s.plan.pidPath == "" {
		return s.cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtimeLockOSThread() // not unlocked: the thread dies with the goroutine
		fd, err := unix.Open(s.plan.pidPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open pid namespace %s: %w", s.plan.pidPath, err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWPID); err != nil {
			errc <- fmt.Errorf("join pid namespace %s: %w", s.plan.pidPath, err)
			return
		}
		errc <- s.cmd.Start()
	}()
	return <-errc
}

// talk sends the bootstrap and follows the init until it is created.
func (s *starter) talk(ctx context.Context, fds *childFiles) error {
	if s.opts.beforeBootstrap != nil {
		s.opts.beforeBootstrap()
	}
	b := initproc.Bootstrap{
		ID: s.rec.ID, Bundle: s.rec.Bundle, Rootfs: s.rec.Rootfs, Spec: initSpec(s.rec.Spec),
		NoPivot: s.opts.NoPivot, NoNewKeyring: s.opts.NoNewKeyring,
		ExtraFDs: len(fds.extra), Env: fds.env,
		FifoFD: fds.fifoFD, ConsoleFD: fds.consoleFD,
		HooksSync:     hasRuntimeHooks(s.rec.Spec),
		NewCgroupNS:   s.plan.newCgroupNS,
		Seccomp:       s.seccomp,
		SeccompNotify: s.seccompNotify,
		NoWait:        s.opts.noWait,
		Exec:          s.exec,
		CgroupFiles:   s.cgroupFiles,

		CgroupMountinfo: s.cgroupMountinfo,
	}
	if err := initproc.WriteBootstrap(s.sock, &b); err != nil {
		return s.initGone(fmt.Errorf("send bootstrap to init: %w", err))
	}
	s.in = &syncReader{f: s.sock}
	s.dec = json.NewDecoder(s.in)
	if s.exec {
		fds.parent = nil // waitExec reads on and closes it
		return nil
	}
	for {
		m, err := s.next()
		if err != nil {
			return err
		}
		if m == nil {
			return s.initGone(nil)
		}
		switch m.Type {
		case initproc.MsgCreated:
			s.r.log().Debug("create: init reports created", "id", s.rec.ID)
			if s.opts.noWait {
				fds.parent = nil // the socket is kept to learn how start went
				return nil
			}
			s.in.close()
			return s.sock.Close()
		case initproc.MsgError:
			return errors.New(m.Msg)
		case initproc.MsgSeccompFd:
			fd := s.in.takeFD()
			if fd < 0 {
				return errors.New("init sent no seccomp listener")
			}
			err := s.r.sendSeccompListener(s.rec, fd)
			unix.Close(fd)
			if err != nil {
				return err
			}
		case initproc.MsgPrepared:
			if err := s.r.runCreateHooks(ctx, s.rec); err != nil {
				return err
			}
			if err := json.NewEncoder(s.sock).Encode(initproc.Message{Type: initproc.MsgResume}); err != nil {
				return s.initGone(fmt.Errorf("resume init: %w", err))
			}
		default:
			return fmt.Errorf("init sent unknown message %q", m.Type)
		}
	}
}

// initSpec is the part of the config the init uses: the seccomp profile
// goes compiled, the cgroup is the parent's, of the hooks only those that
// run inside matter, and the other platforms' sections not at all. Less
// to decode, on the init's critical path: a podman config carries a
// profile of several hundred syscall names.
func initSpec(spec *specs.Spec) *specs.Spec {
	c := *spec
	c.Solaris, c.Windows, c.VM, c.ZOS, c.FreeBSD = nil, nil, nil, nil, nil
	if spec.Linux != nil {
		l := *spec.Linux
		l.Seccomp, l.Resources = nil, nil
		c.Linux = &l
	}
	if spec.Hooks != nil {
		c.Hooks = &specs.Hooks{CreateContainer: spec.Hooks.CreateContainer, StartContainer: spec.Hooks.StartContainer}
	}
	return &c
}

// next reads the init's next message; nil at the end of the socket.
func (s *starter) next() (*initproc.Message, error) {
	var m initproc.Message
	if err := s.dec.Decode(&m); err != nil {
		if err == io.EOF || errors.Is(err, unix.ECONNRESET) {
			return nil, nil
		}
		return nil, fmt.Errorf("read from init: %w", err)
	}
	return &m, nil
}

// waitExec follows a NoWait init past "created": the end of the socket
// (close-on-exec) means the user process was executed.
func (s *starter) waitExec() error {
	defer s.sock.Close()
	defer s.in.close()
	m, err := s.next()
	switch {
	case err != nil:
		return err
	case m == nil:
		return nil
	case m.Type == initproc.MsgError:
		return errors.New(m.Msg)
	}
	return fmt.Errorf("init sent unexpected message %q", m.Type)
}

// initGone explains an init that vanished without a word.
func (s *starter) initGone(cause error) error {
	ws, err := s.cmd.Wait() // reaped: abort will not kill a recycled pid
	if err == nil {
		if err = waitError(ws); err == nil {
			err = errors.New("exit status 0")
		}
	}
	if cause != nil {
		return fmt.Errorf("%w (init: %v)", cause, err)
	}
	return fmt.Errorf("init exited before the container was created: %w", err)
}

func hasRuntimeHooks(spec *specs.Spec) bool {
	return spec.Hooks != nil && (len(spec.Hooks.Prestart) > 0 || len(spec.Hooks.CreateRuntime) > 0)
}
