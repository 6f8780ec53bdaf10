package cli

import (
	"fmt"

	"github.com/berth-oci/berth/internal/progress"
	"github.com/spf13/cobra"
)

// tagList is what `berth tags --format json` prints: skopeo list-tags'
// fields.
type tagList struct {
	Repository string   `json:"Repository"`
	Tags       []string `json:"Tags"`
}

func newTagsCommand() *cobra.Command {
	var (
		reg      registryFlags
		format   string
		pageSize int
	)
	cmd := &cobra.Command{
		Use:   "tags [flags] docker://REPOSITORY",
		Short: "List the tags of a repository in a registry",
		Long: `List the tags of a repository in a registry, one per line, following every
page the registry hands out (like skopeo list-tags; --format json prints its
output).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, formatTable, formatJSON); err != nil {
				return err
			}
			ref, err := parseDockerRepo(args[0])
			if err != nil {
				return err
			}
			c, err := reg.clientFor(ref, progress.Discard, 0)
			if err != nil {
				return err
			}
			tags, err := c.ListTags(cmd.Context(), ref, pageSize)
			if err != nil {
				return err
			}
			if format == formatJSON {
				if tags == nil {
					tags = []string{}
				}
				return printJSON(cmd.OutOrStdout(), tagList{Repository: ref.Name(), Tags: tags})
			}
			for _, t := range tags {
				if _, err := fmt.Fprintln(cmd.OutOrStdout(), t); err != nil {
					return err
				}
			}
			return nil
		},
	}
	reg.add(cmd.Flags(), "", true)
	addFormatFlag(cmd, &format, formatTable)
	cmd.Flags().IntVar(&pageSize, "page-size", 0, "ask the registry for `N` tags per page (default: the registry's choice)")
	return cmd
}
