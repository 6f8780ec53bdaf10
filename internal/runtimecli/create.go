package runtimecli

import (
	"github.com/berth-oci/berth/runtime"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func createFlags(f *pflag.FlagSet, o *runtime.CreateOpts) {
	f.StringVarP(&o.Bundle, "bundle", "b", "", "path to the root of the bundle directory, defaults to the current directory")
	f.StringVar(&o.ConsoleSocket, "console-socket", "", "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal")
	f.StringVar(&o.PidFile, "pid-file", "", "specify the file to write the process id to")
	f.BoolVar(&o.NoPivot, "no-pivot", false, "do not use pivot root to jail process inside rootfs (for a rootfs on a ramdisk)")
	f.BoolVar(&o.NoNewKeyring, "no-new-keyring", false, "do not create a new session keyring for the container")
	f.IntVar(&o.PreserveFDs, "preserve-fds", 0, "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)")
}

func newCreate(g *globals) *cobra.Command {
	var o runtime.CreateOpts
	cmd := &cobra.Command{
		Use:   "create [command options] <container-id>",
		Short: "create a container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runtime().Create(g.ctx(), args[0], o)
		},
	}
	createFlags(cmd.Flags(), &o)
	return cmd
}
