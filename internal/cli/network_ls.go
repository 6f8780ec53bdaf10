package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newNetworkLsCommand() *cobra.Command {
	var format string
	var quiet bool
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List networks",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, formatTable, formatJSON); err != nil {
				return err
			}
			m, err := openNetworks(cmd)
			if err != nil {
				return err
			}
			nets, err := m.List(cmd.Context())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			switch {
			case format == formatJSON:
				return printJSON(w, nets)
			case quiet:
				for _, n := range nets {
					fmt.Fprintln(w, n.Name)
				}
				return nil
			}
			t := newTable(w, "NETWORK ID", "NAME", "DRIVER", "SUBNETS")
			for _, n := range nets {
				var subnets []string
				for _, s := range n.Subnets {
					subnets = append(subnets, s.Subnet.String())
				}
				t.row(n.ID[:12], n.Name, n.Driver, strings.Join(subnets, ","))
			}
			return t.flush()
		},
	}
	addFormatFlag(cmd, &format, formatTable)
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print the names only")
	return cmd
}
