package runtimecli

import "github.com/spf13/cobra"

func newDelete(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete [command options] <container-id>",
		Short: "remove a stopped container and everything the runtime made for it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runtime().Delete(g.ctx(), args[0], force)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill a running container with SIGKILL first")
	return cmd
}
