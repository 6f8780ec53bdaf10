// Package cli is berth's command line: one file per verb, each parsing its
// flags and calling one library function.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
func Main(args []string) int { return Run(args, os.Stdout, os.Stderr) }

// Run is Main with the output streams given, for tests.
func Run(args []string, stdout, stderr io.Writer) int {
	if code, ok := runHidden(args); ok {
		return code
	}
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	code := 125
	var ee *exitError
	if errors.As(err, &ee) {
		code, err = ee.code, ee.err
	}
	if err != nil {
		printError(stderr, err)
	}
	return code
}

// printError writes err, one "berth: " line per problem.
func printError(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line != "" {
			fmt.Fprintln(w, "berth:", line)
		}
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Build, ship and run OCI images and containers",
		Long:          "berth works with OCI images (layouts, docker archives, registries) and runs them as containers,\nwithout a daemon.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newImageCommand(), newSaveCommand(), newLoadCommand())
	root.AddCommand(newCopyCommand(), newInspectCommand(), newTagsCommand(), newLoginCommand(), newLogoutCommand(), newArtifactCommand())
	addEngineCommands(root)
	root.AddCommand(newNetworkCommand())
	return root
}
