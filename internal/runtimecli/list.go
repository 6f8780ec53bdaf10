package runtimecli

import (
	"encoding/json"
	"fmt"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newList(g *globals) *cobra.Command {
	var format string
	var quiet bool
	cmd := &cobra.Command{
		Use:     "list [command options]",
		Aliases: []string{"ls"},
		Short:   "list the containers whose state is kept under --root",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := g.runtime().List()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if quiet {
				for _, s := range list {
					fmt.Fprintln(out, s.ID)
				}
				return nil
			}
			switch format {
			case "json":
				for _, s := range list {
					s.Owner = ownerName(s.Owner)
				}
				return json.NewEncoder(out).Encode(list)
			case "table":
				w := tabwriter.NewWriter(out, 12, 1, 3, ' ', 0)
				fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
				for _, s := range list {
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle,
						s.Created.Format(time.RFC3339Nano), ownerName(s.Owner))
				}
				return w.Flush()
			}
			return fmt.Errorf("invalid format option %q (want table or json)", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "table", "output `FORMAT`: table or json")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the IDs")
	return cmd
}

// ownerName turns the uid recorded at create into a user name.
func ownerName(uid string) string {
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return "#" + uid
}
