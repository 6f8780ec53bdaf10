package runtimecli

import (
	"github.com/berth-oci/berth/runtime"
	"github.com/spf13/cobra"
)

func newRun(g *globals) *cobra.Command {
	var o runtime.RunOpts
	cmd := &cobra.Command{
		Use:   "run [command options] <container-id>",
		Short: "create and run a container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code, err := g.runtime().Run(g.ctx(), args[0], o)
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	createFlags(cmd.Flags(), &o.CreateOpts)
	cmd.Flags().BoolVarP(&o.Detach, "detach", "d", false, "detach from the container's process")
	cmd.Flags().BoolVar(&o.Keep, "keep", false, "do not delete the container after it exits")
	cmd.Flags().BoolVar(&o.NoSubreaper, "no-subreaper", false, "disable the use of the subreaper used to reap reparented processes")
	return cmd
}
