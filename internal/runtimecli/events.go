package runtimecli

import (
	"encoding/json"
	"time"

	"github.com/berth-oci/berth/runtime"
	"github.com/spf13/cobra"
)

func newEvents(g *globals) *cobra.Command {
	var stats bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "events [command options] <container-id>",
		Short: "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			enc := json.NewEncoder(cmd.OutOrStdout())
			if stats {
				ev, err := g.runtime().Stats(args[0])
				if err != nil {
					return err
				}
				return enc.Encode(ev)
			}
			return g.runtime().Events(g.ctx(), args[0], interval, func(ev *runtime.Event) error { return enc.Encode(ev) })
		},
	}
	cmd.Flags().BoolVar(&stats, "stats", false, "display the container's stats then exit")
	cmd.Flags().DurationVar(&interval, "interval", 5*time.Second, "set the stats collection interval")
	return cmd
}
