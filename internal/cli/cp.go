package cli

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func newCpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cp [flags] SRC DEST",
		Short: "Copy files between a container and the host",
		Long: `Copy files in or out of a container; one of SRC and DEST is CONTAINER:PATH.
A path ending in /. copies a directory's content. "-" as DEST writes a tar
stream to stdout; "-" as SRC reads one from stdin. Paths in the container are
resolved inside it: its symbolic links never lead outside.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			srcCtr, srcPath, srcIn := splitCtrPath(args[0])
			dstCtr, dstPath, dstIn := splitCtrPath(args[1])
			if srcIn == dstIn {
				return usageError(cmd, "exactly one of SRC and DEST is CONTAINER:PATH")
			}
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			if srcIn {
				return e.CopyOut(cmd.Context(), srcCtr, srcPath, dstPath, cmd.OutOrStdout())
			}
			return e.CopyIn(cmd.Context(), dstCtr, srcPath, dstPath, os.Stdin)
		},
	}
}

// splitCtrPath splits CONTAINER:PATH; a path starting with / or . (or "-")
// is a host path even with a colon in it.
func splitCtrPath(s string) (string, string, bool) {
	if s == "-" || strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return "", s, false
	}
	ctr, p, ok := strings.Cut(s, ":")
	if !ok || ctr == "" {
		return "", s, false
	}
	return ctr, p, true
}
