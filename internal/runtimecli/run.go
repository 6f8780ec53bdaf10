package runtimecli

import (
	"github.com/berth-oci/berth/runtime"
	"github.com/spf13/cobra"
)

func newRun(g *globals) *cobra.Command {
	var o runtime.RunOpts
	cmd := &cobra.Command{
		Use:   "run [command options] <container-id>",
		Short: "create a container and start it, staying attached to it",
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
	cmd.Flags().BoolVarP(&o.Detach, "detach", "d", false, "return once the process runs, without waiting for it")
	cmd.Flags().BoolVar(&o.Keep, "keep", false, "keep the container after its process exits")
	cmd.Flags().BoolVar(&o.NoSubreaper, "no-subreaper", false, "do not become a child subreaper for the container's orphans")
	return cmd
}
