package cli

import (
	"fmt"

	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
)

func newPullCommand() *cobra.Command {
	var platform, certDir string
	var quiet, tlsVerify bool
	cmd := &cobra.Command{
		Use:   "pull [flags] IMAGE...",
		Short: "Pull images into the store",
		Long: `Pull images into the store and unpack them, from a registry (docker://, the
default), an OCI layout (oci:PATH[:NAME]) or a docker-save archive
(docker-archive:PATH[:REFERENCE]). Prints the ID of each image pulled.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := platformFlag(platform)
			if err != nil {
				return err
			}
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
			for _, ref := range args {
				imgs, err := e.Pull(cmd.Context(), ref, engine.PullOptions{Platform: p})
				if err != nil {
					return err
				}
				for _, img := range imgs {
					fmt.Fprintln(cmd.OutOrStdout(), img.ID.Encoded())
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&platform, "platform", "", "platform to choose from a multi-platform image (default: this host's)")
	f.BoolVarP(&quiet, "quiet", "q", false, "show no progress")
	addEngineRegistryFlags(cmd, &certDir, &tlsVerify)
	return cmd
}

// addEngineRegistryFlags adds podman's --cert-dir and --tls-verify.
func addEngineRegistryFlags(cmd *cobra.Command, certDir *string, tlsVerify *bool) {
	cmd.Flags().StringVar(certDir, "cert-dir", "", "directory of the registry's CA certificates (*.crt) and client keys")
	cmd.Flags().BoolVar(tlsVerify, "tls-verify", true, "require HTTPS with a verified certificate")
}
