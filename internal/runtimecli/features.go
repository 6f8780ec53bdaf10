package runtimecli

import (
	"encoding/json"

	"github.com/berth-oci/berth/runtime"
	"github.com/spf13/cobra"
)

func newFeatures(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "features",
		Short: "print what this runtime supports, as JSON (runtime-spec features.md)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "    ")
			return enc.Encode(runtime.Features())
		},
	}
}
