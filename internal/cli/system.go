package cli

import (
	"fmt"

	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
)

func newSystemCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "system", Short: "Manage the store as a whole"}
	cmd.AddCommand(newSystemDfCommand(), newSystemPruneCommand(), newSystemCheckCommand())
	return cmd
}

func newSystemDfCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "df [flags]",
		Short: "Show the store's disk use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, formatTable, formatJSON); err != nil {
				return err
			}
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			du, err := e.DiskUsage(cmd.Context())
			if err != nil {
				return err
			}
			if format == formatJSON {
				return printJSON(cmd.OutOrStdout(), du)
			}
			t := newTable(cmd.OutOrStdout(), "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE")
			for _, row := range []struct {
				name string
				u    engine.Usage
			}{{"Images", du.Images}, {"Containers", du.Containers}, {"Local Volumes", du.Volumes}} {
				t.row(row.name, fmt.Sprint(row.u.Total), fmt.Sprint(row.u.Active), humanSize(row.u.Size),
					fmt.Sprintf("%s (%d%%)", humanSize(row.u.Reclaimable), percent(row.u.Reclaimable, row.u.Size)))
			}
			t.row("Blobs", "", "", humanSize(du.Blobs), "")
			return t.flush()
		},
	}
	addFormatFlag(cmd, &format, formatTable)
	return cmd
}

func percent(part, whole int64) int64 {
	if whole == 0 {
		return 0
	}
	return part * 100 / whole
}

func newSystemPruneCommand() *cobra.Command {
	var o engine.PruneOptions
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [flags]",
		Short: "Remove stopped containers, dangling images and what only they used",
		Long: `Remove every container that is not running, the images without a name (with
--all, every image no container uses), with --volumes the volumes no container
uses, and the blobs and unpacked layers nothing needs any more.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			p, err := e.Prune(cmd.Context(), o)
			w := cmd.OutOrStdout()
			if p != nil {
				section := func(title string, items []string) {
					if len(items) > 0 {
						fmt.Fprintln(w, title)
						for _, i := range items {
							fmt.Fprintln(w, i)
						}
					}
				}
				section("Deleted Containers", p.Containers)
				var imgs []string
				for _, d := range p.Images.Deleted {
					imgs = append(imgs, d.Encoded())
				}
				section("Deleted Images", imgs)
				section("Deleted Volumes", p.Volumes)
				fmt.Fprintf(w, "Total reclaimed space: %s\n", humanSize(p.Images.Reclaimed))
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&o.All, "all", "a", false, "remove every image no container uses")
	cmd.Flags().BoolVar(&o.Volumes, "volumes", false, "remove the volumes no container uses")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask (berth never asks)")
	return cmd
}

func newSystemCheckCommand() *cobra.Command {
	var repair bool
	var format string
	cmd := &cobra.Command{
		Use:   "check [flags]",
		Short: "Find (and with --repair fix) what crashes left in the store",
		Long: `Look for what a killed or crashed berth leaves behind: half-made snapshots and
unfinished blob writes, records whose data is gone and data no record names,
containers whose monitor or runtime state is gone, mounts and runtime state of
containers that do not run. --repair fixes them (removing images whose blobs
are gone). Exits 1 when problems remain.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, formatTable, formatJSON); err != nil {
				return err
			}
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			problems, err := e.Check(cmd.Context(), repair)
			if err != nil {
				return err
			}
			left := 0
			for _, p := range problems {
				if !p.Repaired {
					left++
				}
			}
			w := cmd.OutOrStdout()
			if format == formatJSON {
				if problems == nil {
					problems = []engine.Problem{}
				}
				if err := printJSON(w, problems); err != nil {
					return err
				}
			} else {
				for _, p := range problems {
					state := ""
					if p.Repaired {
						state = " (repaired)"
					}
					fmt.Fprintf(w, "%s %s: %s%s\n", p.Kind, p.Object, p.Detail, state)
				}
				switch {
				case len(problems) == 0:
					fmt.Fprintln(w, "no problems found")
				case left == 0:
					fmt.Fprintf(w, "%d problems found and repaired\n", len(problems))
				default:
					fmt.Fprintf(w, "%d problems found, %d not repaired\n", len(problems), left)
				}
			}
			if left > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&repair, "repair", "r", false, "fix the problems found")
	addFormatFlag(cmd, &format, formatTable)
	return cmd
}
