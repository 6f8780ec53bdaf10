package cli

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	"github.com/spf13/cobra"
)

func usageError(cmd *cobra.Command, msg string) error {
	return fmt.Errorf("%s: %s (see %s --help): %w", cmd.CommandPath(), msg, cmd.CommandPath(), errdefs.ErrInvalidArgument)
}
