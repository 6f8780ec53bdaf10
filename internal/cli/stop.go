package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
)

// eachContainer runs fn for each argument (or every container with all),
// printing each name done and joining the errors.
func eachContainer(cmd *cobra.Command, e *engine.Engine, args []string, all bool, fn func(string) error) error {
	if all {
		cs, err := e.Containers(cmd.Context(), true)
		if err != nil {
			return err
		}
		for _, c := range cs {
			args = append(args, c.ID)
		}
	}
	var errs []error
	for _, a := range args {
		if err := fn(a); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(cmd.OutOrStdout(), a)
	}
	return errors.Join(errs...)
}

func newStopCommand() *cobra.Command {
	var timeout int
	var all bool
	cmd := &cobra.Command{
		Use:   "stop [flags] CONTAINER...",
		Short: "Stop running containers",
		Long: `Send each container its stop signal (the image's StopSignal, else SIGTERM),
wait --time seconds for it to exit, then kill it with SIGKILL.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			d := time.Duration(-1)
			if cmd.Flags().Changed("time") {
				d = time.Duration(timeout) * time.Second
			}
			return eachContainer(cmd, e, args, all, func(a string) error { return e.Stop(cmd.Context(), a, d) })
		},
	}
	cmd.Flags().IntVarP(&timeout, "time", "t", engine.DefaultStopTimeout, "seconds to wait before SIGKILL")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "stop every running container")
	return cmd
}

func newRestartCommand() *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "restart [flags] CONTAINER...",
		Short: "Stop and start containers again",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			d := time.Duration(-1)
			if cmd.Flags().Changed("time") {
				d = time.Duration(timeout) * time.Second
			}
			return eachContainer(cmd, e, args, false, func(a string) error { return e.Restart(cmd.Context(), a, d) })
		},
	}
	cmd.Flags().IntVarP(&timeout, "time", "t", engine.DefaultStopTimeout, "seconds to wait before SIGKILL")
	return cmd
}

func newKillCommand() *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [flags] CONTAINER...",
		Short: "Send a signal to running containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig, err := engine.ParseSignal(signal)
			if err != nil {
				return err
			}
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			return eachContainer(cmd, e, args, false, func(a string) error { return e.Kill(cmd.Context(), a, sig) })
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "KILL", "signal to send (name or number)")
	return cmd
}

func newRmCommand() *cobra.Command {
	var force, volumes, all bool
	cmd := &cobra.Command{
		Use:   "rm [flags] CONTAINER...",
		Short: "Remove containers",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			if len(args) == 0 && !all {
				return usageError(cmd, "give at least one container, or --all")
			}
			return eachContainer(cmd, e, args, all, func(a string) error {
				return e.Remove(cmd.Context(), a, engine.RemoveOptions{Force: force, Volumes: volumes})
			})
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill running containers first")
	cmd.Flags().BoolVarP(&volumes, "volumes", "v", false, "remove the containers' anonymous volumes too")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every container")
	return cmd
}

func newWaitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER...",
		Short: "Wait for containers to exit and print their exit statuses",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			for _, a := range args {
				code, err := e.Wait(cmd.Context(), a)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), code)
			}
			return nil
		},
	}
}

func newPauseCommand(pause bool) *cobra.Command {
	use, short := "pause", "Freeze every process of running containers"
	if !pause {
		use, short = "unpause", "Thaw paused containers"
	}
	return &cobra.Command{
		Use:   use + " CONTAINER...",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			op := e.Pause
			if !pause {
				op = e.Unpause
			}
			return eachContainer(cmd, e, args, false, func(a string) error { return op(cmd.Context(), a) })
		},
	}
}
