package initproc

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/berth-oci/berth/runtime/linux/console"
	"github.com/berth-oci/berth/runtime/linux/hooks"
	"github.com/berth-oci/berth/runtime/linux/rootfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// create builds the container around the init, in the order the spec sets:
// mounts, the parent's createRuntime hooks, createContainer hooks, the
// pivot, the console, the final read-only and masked paths; then reports
// "created".
func (p *initProcess) create() error {
	spec := p.b.Spec
	if p.b.NewCgroupNS {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("unshare cgroup namespace: %w", err)
		}
	}
	// The runtime's procfs, opened before the pivot hides it: exec.fifo is
	// reopened through it whether or not the container mounts /proc.
	fd, err := unix.Open("/proc/self/fd", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /proc/self/fd: %w", err)
	}
	p.procFD = fd

	opts := p.rootfsOptions()
	if err := rootfs.Prepare(spec, opts); err != nil {
		return err
	}
	if p.b.HooksSync {
		if err := p.waitHooks(); err != nil {
			return err
		}
	}
	if spec.Hooks != nil && len(spec.Hooks.CreateContainer) > 0 {
		if err := hooks.Run(context.Background(), "createContainer", spec.Hooks.CreateContainer, p.state(specs.StateCreating)); err != nil {
			return err
		}
	}
	if err := rootfs.Pivot(spec, opts); err != nil {
		return err
	}
	if spec.Process != nil && spec.Process.Terminal {
		if err := p.setupConsole(spec.Process); err != nil {
			return err
		}
	}
	if err := rootfs.Finish(spec, opts); err != nil {
		return err
	}
	if p.b.SeccompNotify {
		if err := p.loadSeccompNotify(); err != nil {
			return err
		}
	}
	if err := setNames(spec); err != nil {
		return err
	}
	if !p.b.NoNewKeyring {
		if err := joinSessionKeyring(p.b.ID); err != nil {
			return err
		}
	}
	p.send(Message{Type: MsgCreated})
	if p.b.NoWait {
		return nil // the socket stays for a failure to start
	}
	return p.sock.Close()
}

// prepareExec readies a process joining a running container: the
// constructor joined its namespaces (the root and cwd are the container's)
// and cgroup; what is left is the terminal.
func (p *initProcess) prepareExec() error {
	if proc := p.b.Spec.Process; proc != nil && proc.Terminal {
		return p.openConsole(proc)
	}
	return nil
}

// waitHooks hands over to the parent, which runs prestart and
// createRuntime hooks in the runtime namespace, and waits for it.
func (p *initProcess) waitHooks() error {
	p.send(Message{Type: MsgPrepared})
	var m Message
	if p.dec == nil {
		p.dec = json.NewDecoder(p.sock)
	}
	if err := p.dec.Decode(&m); err != nil {
		return fmt.Errorf("wait for createRuntime hooks: %w", err)
	}
	if m.Type != MsgResume {
		return fmt.Errorf("wait for createRuntime hooks: parent sent %q", m.Type)
	}
	return nil
}

// state is the container state as the container sees it, for the hooks
// that run inside.
func (p *initProcess) state(status specs.ContainerState) []byte {
	b, _ := json.Marshal(specs.State{
		Version:     specs.Version,
		ID:          p.b.ID,
		Status:      status,
		Pid:         os.Getpid(),
		Bundle:      p.b.Bundle,
		Annotations: p.b.Spec.Annotations,
	})
	return b
}

// setupConsole allocates the pty in the container's devpts, makes its
// slave /dev/console and the init's controlling terminal and stdio, and
// sends the master to the console socket.
func (p *initProcess) setupConsole(proc *specs.Process) error {
	if p.b.ConsoleFD < 0 {
		return fmt.Errorf("process.terminal is set but no console socket was given")
	}
	master, slave, err := console.Open("/dev/ptmx")
	if err != nil {
		return err
	}
	defer master.Close()
	defer slave.Close()
	if err := mountConsole(slave.Name()); err != nil {
		return err
	}
	return p.handOver(proc, master, slave)
}

// openConsole gives an exec'd process a terminal of its own in the
// container's devpts.
func (p *initProcess) openConsole(proc *specs.Process) error {
	if p.b.ConsoleFD < 0 {
		return fmt.Errorf("process.terminal is set but no console socket was given")
	}
	master, slave, err := console.Open("/dev/ptmx")
	if err != nil {
		return err
	}
	defer master.Close()
	defer slave.Close()
	return p.handOver(proc, master, slave)
}

// handOver sizes the terminal, sends its master to the console socket and
// makes the slave the process's controlling terminal and stdio.
func (p *initProcess) handOver(proc *specs.Process, master, slave *os.File) error {
	if proc.ConsoleSize != nil {
		if err := console.SetSize(slave, uint16(proc.ConsoleSize.Width), uint16(proc.ConsoleSize.Height)); err != nil {
			return err
		}
	}
	sock := os.NewFile(uintptr(p.b.ConsoleFD), "console-socket")
	defer sock.Close()
	if err := console.SendFD(sock, master); err != nil {
		return err
	}
	return console.MakeControlling(slave)
}

func setNames(spec *specs.Spec) error {
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			return fmt.Errorf("set hostname %q: %w", spec.Hostname, err)
		}
	}
	if spec.Domainname != "" {
		if err := unix.Setdomainname([]byte(spec.Domainname)); err != nil {
			return fmt.Errorf("set domainname %q: %w", spec.Domainname, err)
		}
	}
	return nil
}

// joinSessionKeyring gives the container a session keyring of its own, so
// it does not share the caller's keys.
func joinSessionKeyring(id string) error {
	if _, err := unix.KeyctlJoinSessionKeyring("_ses." + id); err != nil && err != unix.ENOSYS {
		return fmt.Errorf("join session keyring: %w", err)
	}
	return nil
}
