package engine

import (
	"errors"
	"fmt"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ExitError is a container's exit status, or podman's status for a
// command that could not run: 125 when the engine or runtime failed, 126
// when the command cannot be invoked, 127 when it was not found.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// checkCommand finds the container's command in rootfs as the runtime
// would (PATH from its environment), so that a missing or non-executable
// command fails with 127 or 126 before a runtime is started. Paths under a
// mount of the container cannot be seen from here and pass.
func checkCommand(rootfs string, s *specs.Spec) error {
	if s.Process == nil || len(s.Process.Args) == 0 {
		return nil
	}
	arg0 := s.Process.Args[0]
	covered := func(p string) bool {
		for _, m := range s.Mounts {
			if p == m.Destination || strings.HasPrefix(p, strings.TrimSuffix(m.Destination, "/")+"/") {
				return true
			}
		}
		return false
	}
	root, err := unix.Open(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil // the runtime will say what is wrong
	}
	defer unix.Close(root)
	if strings.Contains(arg0, "/") {
		p := arg0
		if !path.IsAbs(p) {
			p = path.Join(s.Process.Cwd, p)
		}
		if covered(p) {
			return nil
		}
		return execError(arg0, probe(root, p))
	}
	var denied error
	for _, dir := range strings.Split(envPath(s.Process.Env), ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, arg0)
		if !path.IsAbs(p) {
			p = path.Join(s.Process.Cwd, p)
		}
		if covered(p) {
			return nil
		}
		switch err := probe(root, p); {
		case err == nil:
			return nil
		case !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) && denied == nil:
			denied = err
		}
	}
	if denied != nil {
		return execError(arg0, denied)
	}
	return &ExitError{Code: 127, Err: fmt.Errorf("%s: executable file not found in $PATH: no such file or directory", arg0)}
}

func execError(arg0 string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENOTDIR):
		return &ExitError{Code: 127, Err: fmt.Errorf("%s: no such file or directory", arg0)}
	}
	return &ExitError{Code: 126, Err: fmt.Errorf("%s: %w", arg0, err)}
}

// probe checks that p (inside root) is an executable regular file.
func probe(root int, p string) error {
	fd, err := unix.Openat2(root, p, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT})
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	switch {
	case st.Mode&unix.S_IFMT == unix.S_IFDIR:
		return errors.New("is a directory")
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return unix.EACCES
	case st.Mode&0o111 == 0:
		return errors.New("permission denied")
	}
	return nil
}

func envPath(env []string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			return v
		}
	}
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}
