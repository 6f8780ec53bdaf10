package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
)

func newVolumeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "volume", Short: "Manage named volumes"}
	cmd.AddCommand(newVolumeCreateCommand(), newVolumeLsCommand(), newVolumeRmCommand(), newVolumeInspectCommand(), newVolumePruneCommand())
	return cmd
}

func newVolumeCreateCommand() *cobra.Command {
	var labels []string
	cmd := &cobra.Command{
		Use:   "create [flags] [NAME]",
		Short: "Create a named volume (a random name when none is given)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			var l map[string]string
			for _, kv := range labels {
				if l == nil {
					l = map[string]string{}
				}
				k, v, _ := splitKV(kv)
				l[k] = v
			}
			v, err := e.CreateVolume(cmd.Context(), name, l)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), v.Name)
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&labels, "label", "l", nil, "set a label: NAME=VALUE")
	return cmd
}

func newVolumeLsCommand() *cobra.Command {
	var format string
	var quiet bool
	cmd := &cobra.Command{
		Use:     "ls [flags]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			vs, err := e.Volumes(cmd.Context())
			if err != nil {
				return err
			}
			if quiet {
				for _, v := range vs {
					fmt.Fprintln(cmd.OutOrStdout(), v.Name)
				}
				return nil
			}
			f, err := parseRowFormat(format, "table {{.Driver}}\t{{.Name}}", map[string]string{"Name": "VOLUME NAME"})
			if err != nil {
				return err
			}
			rows := []any{}
			for _, v := range vs {
				rows = append(rows, volumeRow{Volume: *v, Driver: "local"})
			}
			if vs == nil {
				vs = []*engine.Volume{}
			}
			return f.print(cmd.OutOrStdout(), rows, vs)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "json, a Go template, or table TEMPLATE")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print volume names only")
	return cmd
}

type volumeRow struct {
	engine.Volume
	Driver string
}

func newVolumeRmCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [flags] NAME...",
		Aliases: []string{"remove"},
		Short:   "Remove volumes and their data",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			var errs []error
			for _, a := range args {
				if err := e.RemoveVolume(cmd.Context(), a, force); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), a)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove the containers that use them too")
	return cmd
}

func newVolumeInspectCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect NAME...",
		Short: "Show volumes as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			out := []*engine.Volume{}
			for _, a := range args {
				v, err := e.Volume(cmd.Context(), a)
				if err != nil {
					return err
				}
				out = append(out, v)
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "    ")
			return enc.Encode(out)
		},
	}
}

func newVolumePruneCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [flags]",
		Short: "Remove the volumes no container uses",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			names, err := e.PruneVolumes(cmd.Context())
			for _, n := range names {
				fmt.Fprintln(cmd.OutOrStdout(), n)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask (berth never asks)")
	return cmd
}
