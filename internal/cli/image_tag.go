package cli

import (
	"fmt"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/spf13/cobra"
)

func newImageTagCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "tag oci:PATH[:NAME] NEWNAME...",
		Short: "Give an image of a layout more names",
		Long:  "Give an image of a layout more names. A name that another image had moves to this one.",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, r, err := openLayout(args[0])
			if err != nil {
				return err
			}
			d, err := l.Resolve(cmd.Context(), r.Name)
			if err != nil {
				return err
			}
			for _, name := range args[1:] {
				if strings.HasPrefix(name, "oci:") {
					return fmt.Errorf("tag %q: give the new name alone, the image stays in %s: %w", name, r.Path, errdefs.ErrInvalidArgument)
				}
				if err := l.Tag(cmd.Context(), d, name); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
