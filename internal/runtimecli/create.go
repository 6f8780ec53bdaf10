package runtimecli

import (
	"github.com/berth-oci/berth/runtime"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func createFlags(f *pflag.FlagSet, o *runtime.CreateOpts) {
	f.StringVarP(&o.Bundle, "bundle", "b", "", "bundle directory holding config.json (default: the working directory)")
	f.StringVar(&o.ConsoleSocket, "console-socket", "", "unix socket `PATH` to send the terminal's master fd to")
	f.StringVar(&o.PidFile, "pid-file", "", "write the process's pid to `FILE`")
	f.BoolVar(&o.NoPivot, "no-pivot", false, "move the rootfs onto / and chroot instead of pivot_root (a rootfs on ramfs needs it)")
	f.BoolVar(&o.NoNewKeyring, "no-new-keyring", false, "keep the caller's session keyring instead of a new one")
	f.IntVar(&o.PreserveFDs, "preserve-fds", 0, "hand `N` more descriptors (3 onwards, after $LISTEN_FDS) to the process")
}

func newCreate(g *globals) *cobra.Command {
	var o runtime.CreateOpts
	cmd := &cobra.Command{
		Use:   "create [command options] <container-id>",
		Short: "set a container up from a bundle; its process waits for start",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runtime().Create(g.ctx(), args[0], o)
		},
	}
	createFlags(cmd.Flags(), &o)
	return cmd
}
