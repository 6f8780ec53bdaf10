package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newStartCommand() *cobra.Command {
	var attach, interactive bool
	cmd := &cobra.Command{
		Use:   "start [flags] CONTAINER...",
		Short: "Start created or stopped containers",
		Long: `Start containers in the background (their monitor logs their output), or with
--attach one container in the foreground, returning its exit status.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			if attach {
				if len(args) != 1 {
					return usageError(cmd, "--attach starts one container")
				}
				c, err := e.Container(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return runAttached(cmd, e, c.ID, interactive || c.Options.Interactive, c.Options.Tty)
			}
			var errs []error
			for _, a := range args {
				if err := e.Start(cmd.Context(), a); err != nil {
					errs = append(errs, exitErr(err))
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), a)
			}
			if len(errs) == 1 {
				return errs[0]
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&attach, "attach", "a", false, "run in the foreground with berth's stdio")
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "with --attach, connect stdin")
	return cmd
}
