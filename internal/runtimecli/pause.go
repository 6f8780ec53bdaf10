package runtimecli

import "github.com/spf13/cobra"

func newPause(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "pause <container-id>",
		Short: "freeze every process of a container",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return g.runtime().Pause(args[0]) },
	}
}

func newResume(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume <container-id>",
		Short: "thaw a paused container",
		Args:  cobra.ExactArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return g.runtime().Resume(args[0]) },
	}
}
