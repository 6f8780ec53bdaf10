package runtimecli

import "github.com/spf13/cobra"

func newPause(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "pause <container-id>",
		Short: "pause suspends all processes inside the container",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return g.runtime().Pause(args[0]) },
	}
}

func newResume(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume <container-id>",
		Short: "resumes all processes that have been previously paused",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return g.runtime().Resume(args[0]) },
	}
}
