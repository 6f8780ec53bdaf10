package initproc

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/berth-oci/berth/runtime/linux/caps"
	"github.com/berth-oci/berth/runtime/linux/hooks"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// start turns the init into the user process: limits, user, capabilities,
// no_new_privs, startContainer hooks, then execve. It returns only on
// failure.
func (p *initProcess) start() error {
	proc := p.b.Spec.Process
	if proc == nil {
		return fmt.Errorf("cannot start: config has no process")
	}
	if err := setRlimits(proc.Rlimits); err != nil {
		return err
	}
	if !proc.NoNewPrivileges {
		// Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load
		// it while still root, as runc does.
		if err := p.loadSeccompLate(); err != nil {
			return err
		}
	}
	if err := setUser(proc); err != nil {
		return err
	}
	if proc.User.Umask != nil {
		unix.Umask(int(*proc.User.Umask))
	}
	if err := os.Chdir(proc.Cwd); err != nil {
		return fmt.Errorf("change to process.cwd: %w", err)
	}
	if proc.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	env := append(append([]string(nil), proc.Env...), p.b.Env...)
	env = withHome(env, int(proc.User.UID))
	if h := p.b.Spec.Hooks; h != nil && len(h.StartContainer) > 0 && !p.b.Exec {
		if err := hooks.Run(context.Background(), "startContainer", h.StartContainer, p.state(specs.StateCreated)); err != nil {
			return err
		}
	}
	path, err := lookPath(proc.Args[0], env)
	if err != nil {
		return err
	}
	// Everything above stdio and the fds passed on is the runtime's.
	if err := unix.CloseRange(uint(3+p.b.ExtraFDs), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("mark runtime fds close-on-exec: %w", err)
	}
	if err := p.loadSeccompLate(); err != nil {
		return err
	}
	if err := syscall.Exec(path, proc.Args, env); err != nil {
		return fmt.Errorf("exec %q: %w", proc.Args[0], err)
	}
	return nil
}

// setUser switches to process.user keeping the capabilities asked for:
// the bounding set is cut while still root, the permitted set survives
// the uid change through keepcaps, and the sets are applied after it.
func setUser(proc *specs.Process) error {
	wanted, _ := caps.FromSpec(proc.Capabilities)
	_, permitted, _, err := caps.Current()
	if err != nil {
		return err
	}
	sets, _ := wanted.Grantable(permitted)
	if err := sets.DropBounding(); err != nil {
		return err
	}
	if err := caps.KeepCaps(true); err != nil {
		return err
	}
	u := proc.User
	if setgroupsAllowed() {
		gids := make([]int, len(u.AdditionalGids))
		for i, g := range u.AdditionalGids {
			gids[i] = int(g)
		}
		if err := unix.Setgroups(gids); err != nil {
			return fmt.Errorf("setgroups %v: %w", u.AdditionalGids, err)
		}
	} else if len(u.AdditionalGids) > 0 {
		return fmt.Errorf("additionalGids %v: setgroups is denied in this user namespace", u.AdditionalGids)
	}
	// Raw syscalls on this thread only: unix.Setresuid and the libc
	// wrappers stop every other thread of the runtime to change it too
	// (0.2 ms each), and only this one survives the execve (hooks are
	// forked from it as well).
	if err := threadSetres(unix.SYS_SETRESGID, u.GID); err != nil {
		return fmt.Errorf("setresgid %d: %w", u.GID, err)
	}
	if err := threadSetres(unix.SYS_SETRESUID, u.UID); err != nil {
		return fmt.Errorf("setresuid %d: %w", u.UID, err)
	}
	if err := sets.Apply(); err != nil {
		return err
	}
	return caps.KeepCaps(false)
}

// threadSetres sets the real, effective and saved uid (SYS_SETRESUID) or
// gid (SYS_SETRESGID) of the calling thread alone.
func threadSetres(trap uintptr, id uint32) error {
	if _, _, e := unix.RawSyscall(trap, uintptr(id), uintptr(id), uintptr(id)); e != 0 {
		return e
	}
	return nil
}

func setgroupsAllowed() bool {
	b, err := os.ReadFile("/proc/self/setgroups")
	return err != nil || strings.TrimSpace(string(b)) != "deny"
}

// withHome sets HOME from the container's /etc/passwd when process.env
// lacks it, as runc does; "/" when the user has no entry.
func withHome(env []string, uid int) []string {
	for _, e := range env {
		if strings.HasPrefix(e, "HOME=") {
			return env
		}
	}
	home := "/"
	if b, err := os.ReadFile("/etc/passwd"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(line, ":")
			if len(f) >= 6 && f[2] == fmt.Sprint(uid) && f[5] != "" {
				home = f[5]
				break
			}
		}
	}
	return append(env, "HOME="+home)
}

// lookPath resolves args[0] as execvp does, with the PATH of the process.
func lookPath(name string, env []string) (string, error) {
	path := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	os.Setenv("PATH", path)
	p, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	return p, nil
}
