// Package cli is berth's command line: one file per verb, each parsing its
// flags and calling one library function.
package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// exitError carries an exit status chosen by a verb (a container's own, or
// podman's 125/126/127 conventions) up to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Main runs the berth command line with args and returns the exit status.
func Main(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "berth:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(os.Stderr, "berth:", err)
	return 125
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Build, ship and run OCI images and containers",
		Long:          "berth works with OCI images (layouts, docker archives, registries) and runs them as containers,\nwithout a daemon.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newImageCommand())
	return root
}
