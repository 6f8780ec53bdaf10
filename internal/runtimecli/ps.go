package runtimecli

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

func newPs(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "ps [command options] <container-id> [ps options]",
		Short: "list the processes of a container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pids, err := g.runtime().Pids(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch format {
			case "json":
				if pids == nil {
					pids = []int{}
				}
				return json.NewEncoder(out).Encode(pids)
			case "table":
				psArgs := args[1:]
				if len(psArgs) == 0 {
					psArgs = []string{"-ef"}
				}
				table, err := exec.Command("ps", psArgs...).Output()
				if err != nil {
					return fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err)
				}
				_, err = fmt.Fprint(out, filterPs(string(table), pids))
				return err
			}
			return fmt.Errorf("invalid format option %q (want table or json)", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output `FORMAT`: table or json")
	return cmd
}

// filterPs keeps the header of ps's table and the lines of the pids.
func filterPs(table string, pids []int) string {
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	col := -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "PID" {
			col = i
		}
	}
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if col >= 0 && col < len(f) {
			if p, err := strconv.Atoi(f[col]); err == nil && want[p] {
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}
