package runtimecli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func newState(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "state <container-id>",
		Short: "print a container's state as JSON (runtime-spec state)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.runtime().State(args[0])
			if err != nil {
				return err
			}
			st.Owner = ownerName(st.Owner)
			b, err := json.MarshalIndent(st, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return err
		},
	}
}
