package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/berth-oci/berth/layout/dockerarchive"
	"github.com/spf13/cobra"
)

// The engine's store as a transport of `berth save` and `berth load`, as
// podman's save and load work on its store. The save and load verbs
// (save.go, load.go) call these for arguments that are not oci: layouts.

// saveEngineImages writes images of the store as a docker archive to file
// (standard output when file is empty or "-").
func saveEngineImages(cmd *cobra.Command, names []string, file string, f dockerarchive.Format) error {
	e, err := openEngine(cmd)
	if err != nil {
		return err
	}
	if file != "" && file != "-" {
		return e.Save(cmd.Context(), file, names, f)
	}
	tmp, err := os.CreateTemp("", "berth-save-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	tmp.Close()
	if err := e.Save(cmd.Context(), tmp.Name(), names, f); err != nil {
		return err
	}
	return writeOut("-", func(w io.Writer) error {
		in, err := os.Open(tmp.Name())
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(w, in)
		return err
	})
}

// loadEngineImages reads the images of a docker archive (file, or
// standard input when it is empty or "-") into the store.
func loadEngineImages(cmd *cobra.Command, file string) error {
	e, err := openEngine(cmd)
	if err != nil {
		return err
	}
	if file == "" || file == "-" {
		tmp, err := os.CreateTemp("", "berth-load-*.tar")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		_, err = io.Copy(tmp, cmd.InOrStdin())
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		file = tmp.Name()
	}
	imgs, err := e.Load(cmd.Context(), file)
	if err != nil {
		return err
	}
	for _, img := range imgs {
		for _, n := range img.Names {
			fmt.Fprintf(cmd.OutOrStdout(), "Loaded image: %s\n", n)
		}
		if len(img.Names) == 0 {
			fmt.Fprintf(cmd.OutOrStdout(), "Loaded image: %s\n", img.ID)
		}
	}
	return nil
}
