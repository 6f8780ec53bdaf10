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
		Short: "print a container's OOM events and its resource usage as JSON lines",
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
	cmd.Flags().BoolVar(&stats, "stats", false, "print one sample of usage and exit")
	cmd.Flags().DurationVar(&interval, "interval", 5*time.Second, "how often to sample usage")
	return cmd
}
