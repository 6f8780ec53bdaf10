package cli

import (
	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
)

func newPushCommand() *cobra.Command {
	var certDir string
	var tlsVerify, quiet bool
	cmd := &cobra.Command{
		Use:   "push [flags] IMAGE [DESTINATION]",
		Short: "Push an image of the store to a registry, a layout or an archive",
		Long: `Push IMAGE to DESTINATION: a registry (docker://REFERENCE, or a plain reference;
IMAGE's own name when DESTINATION is left out), an OCI layout (oci:PATH[:NAME])
or a docker archive (docker-archive:PATH[:REFERENCE]).`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, done := progressFor(cmd, quiet)
			defer done()
			e, err := openEngine(cmd, func(o *engine.Options) {
				o.Progress = rep
				o.Registry.CertDir = certDir
				o.Registry.InsecureSkipVerify = !tlsVerify
				o.Registry.PlainHTTP = !tlsVerify
			})
			if err != nil {
				return err
			}
			dest := ""
			if len(args) == 2 {
				dest = args[1]
			}
			return e.Push(cmd.Context(), args[0], dest)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "show no progress")
	addEngineRegistryFlags(cmd, &certDir, &tlsVerify)
	return cmd
}
