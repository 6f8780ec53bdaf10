package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newImageValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate oci:PATH[:NAME]",
		Short: "Check a layout (or one image of it) against the image spec",
		Long: `Check a layout, or one image of it, against the OCI image spec: oci-layout and
index.json, every reachable blob present with the size and digest its descriptor
gives, manifests, indexes and configs valid against the spec's JSON schemas and
rules, configs consistent with their manifests. Every problem is printed on a
line of its own naming the file; the exit status is non-zero when there is one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, r, err := openLayout(args[0])
			if err != nil {
				return err
			}
			if err := l.Validate(cmd.Context(), r.Name); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid\n", r)
			return nil
		},
	}
}
