package cli

import (
	"fmt"

	"github.com/berth-oci/berth/engine"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/layer"
	"github.com/spf13/cobra"
)

func newCommitCommand() *cobra.Command {
	var o engine.CommitOptions
	var compression string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "commit [flags] CONTAINER [IMAGE]",
		Short: "Make an image of a container's changes",
		Long: `Make a new image: the container's image plus one layer of what the container
changed, with its command and settings in the config. Prints the image's ID.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch compression {
			case "gzip":
				o.Compression = layer.Gzip
			case "zstd":
				o.Compression = layer.Zstd
			case "none":
				o.Compression = layer.None
			default:
				return fmt.Errorf("--compression %q: want gzip, zstd or none: %w", compression, errdefs.ErrInvalidArgument)
			}
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			img, err := e.Commit(cmd.Context(), args[0], name, o)
			if err != nil {
				return err
			}
			_ = quiet
			fmt.Fprintln(cmd.OutOrStdout(), img.ID.Encoded())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Author, "author", "a", "", "author of the image")
	f.StringVarP(&o.Message, "message", "m", "", "commit message (in the image's history)")
	f.StringArrayVarP(&o.Changes, "change", "c", nil, "apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, STOPSIGNAL, VOLUME)")
	f.BoolVarP(&o.Pause, "pause", "p", true, "pause the container while committing")
	f.StringVar(&compression, "compression", "gzip", "compression of the new layer: gzip, zstd or none")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the image ID (the default)")
	return cmd
}
