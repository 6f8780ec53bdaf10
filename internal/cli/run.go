package cli

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newRunCommand() *cobra.Command {
	var f createFlags
	var detach bool
	cmd := &cobra.Command{
		Use:   "run [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Create and run a container",
		Long: `Create a container of IMAGE and run it: in the foreground, streaming its output
and returning its exit status (125 when berth or the runtime failed, 126 when
the command cannot be invoked, 127 when it is not found), or with -d in the
background, printing its ID. The image is pulled when the store lacks it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			c, err := f.create(cmd, e, args)
			if err != nil {
				return err
			}
			if detach {
				if err := e.Start(cmd.Context(), c.ID); err != nil {
					return exitErr(err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), c.ID)
				return nil
			}
			return runAttached(cmd, e, c.ID, f.interactive, f.tty)
		},
	}
	f.add(cmd.Flags())
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "run in the background and print the container's ID")
	return cmd
}

// runAttached runs container id in the foreground with berth's stdio and
// exits with its status.
func runAttached(cmd *cobra.Command, e *engine.Engine, id string, interactive, tty bool) error {
	defer holdSignals()()
	stdio := engine.Stdio{Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()}
	if interactive {
		stdio.Stdin = os.Stdin
	}
	if tty && term.IsTerminal(int(os.Stdin.Fd())) {
		stdio.Terminal = os.Stdin
		if interactive {
			old, err := term.MakeRaw(int(os.Stdin.Fd()))
			if err == nil {
				defer term.Restore(int(os.Stdin.Fd()), old)
			}
		}
	}
	code, err := e.Run(cmd.Context(), id, stdio)
	if err != nil {
		return exitErr(err)
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// exitErr carries the status an engine error asks for (126, 127) up to
// Main; other errors exit 125.
func exitErr(err error) error {
	var ee *engine.ExitError
	if asExitError(err, &ee) {
		return &exitError{code: ee.Code, err: err}
	}
	return err
}

// holdSignals keeps the signals a user sends from ending berth while it
// supervises a container: the engine forwards them to the container
// while it runs, and berth must outlive it to clean up after it.
func holdSignals() func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	return func() { signal.Stop(ch) }
}
