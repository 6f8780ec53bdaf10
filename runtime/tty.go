package runtime

import (
	"fmt"
	"io"
	"os"

	"github.com/berth-oci/berth/runtime/linux/console"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// ttyRelay connects the runtime's own stdio to the container's terminal
// when run is attached and no console socket was given, as runc does.
type ttyRelay struct {
	ours, theirs *os.File // the console socket pair
	master       *os.File
	saved        *term.State
	copied       chan struct{}
}

// attachConsole relays the terminal of proc through the runtime's stdio
// when it wants one and no console socket takes it; o.console is set to
// the socket the init sends the master to.
func (r *Runtime) attachConsole(o *CreateOpts, proc *specs.Process) (*ttyRelay, error) {
	if o.ConsoleSocket != "" || proc == nil || !proc.Terminal {
		return nil, nil
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("console socketpair: %w", err)
	}
	t := &ttyRelay{ours: os.NewFile(uintptr(pair[0]), "console"), theirs: os.NewFile(uintptr(pair[1]), "console")}
	o.console = t.theirs
	return t, nil
}

func (t *ttyRelay) closeChildEnd() { t.theirs.Close() }

// receive takes the pty master from the init and starts relaying.
func (t *ttyRelay) receive() error {
	m, err := console.RecvFD(t.ours)
	t.ours.Close()
	if err != nil {
		return err
	}
	t.master = m
	if term.IsTerminal(int(os.Stdin.Fd())) {
		if t.saved, err = term.MakeRaw(int(os.Stdin.Fd())); err != nil {
			return fmt.Errorf("set terminal raw: %w", err)
		}
	}
	t.resize()
	t.copied = make(chan struct{})
	go func() {
		io.Copy(os.Stdout, t.master) // ends with EIO once the last slave closes
		close(t.copied)
	}()
	go io.Copy(t.master, os.Stdin)
	return nil
}

func (t *ttyRelay) resize() {
	if cols, rows, err := console.Size(os.Stdin); err == nil && t.master != nil {
		console.SetSize(t.master, cols, rows)
	}
}

// drain waits for the container's last output.
func (t *ttyRelay) drain() {
	if t.copied != nil {
		<-t.copied
	}
}

func (t *ttyRelay) restore() {
	if t.saved != nil {
		term.Restore(int(os.Stdin.Fd()), t.saved)
	}
}
