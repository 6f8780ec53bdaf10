package runtimecli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/runtime"
	"github.com/spf13/cobra"
)

func newSpec(g *globals) *cobra.Command {
	var bundle string
	var rootless bool
	cmd := &cobra.Command{
		Use:   "spec",
		Short: "write a default config.json to start a bundle from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := filepath.Join(bundle, "config.json")
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("file %s exists: remove it first", path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			b, err := json.MarshalIndent(runtime.DefaultSpec(rootless), "", "\t")
			if err != nil {
				return err
			}
			return os.WriteFile(path, append(b, '\n'), 0o666)
		},
	}
	cmd.Flags().StringVarP(&bundle, "bundle", "b", "", "bundle directory to write config.json into")
	cmd.Flags().BoolVar(&rootless, "rootless", false, "write a config for an unprivileged user (user namespace, no cgroups)")
	return cmd
}
