package cli

import (
	"fmt"
	"net"
	"os"

	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newExecCommand() *cobra.Command {
	var o engine.ExecOptions
	var env, envFiles []string
	var interactive bool
	cmd := &cobra.Command{
		Use:   "exec [flags] CONTAINER COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Long: `Run a command in a running container, with the container's environment, user
and confinement unless flags change them, and exit with its status.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			o.Cmd = args[1:]
			for _, f := range envFiles {
				vars, err := engine.ParseEnvFile(f)
				if err != nil {
					return err
				}
				o.Env = append(o.Env, vars...)
			}
			o.Env = append(o.Env, engine.ExpandEnv(env)...)
			stdio := engine.Stdio{Stdout: os.Stdout, Stderr: os.Stderr}
			if f, ok := cmd.OutOrStdout().(*os.File); !ok || f != os.Stdout {
				stdio.Stdout, stdio.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			}
			if interactive {
				stdio.Stdin = os.Stdin
			}
			if o.Tty && interactive && term.IsTerminal(int(os.Stdin.Fd())) {
				// The runtime puts the terminal in raw mode and sizes the
				// process's terminal from it.
				stdio.Terminal = os.Stdin
			}
			defer holdSignals()()
			code, err := e.Exec(cmd.Context(), args[0], o, stdio)
			if err != nil {
				return exitErr(err)
			}
			if o.Detach {
				return nil
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.SetInterspersed(false)
	f.BoolVarP(&interactive, "interactive", "i", false, "connect stdin")
	f.BoolVarP(&o.Tty, "tty", "t", false, "give the command a terminal")
	f.BoolVarP(&o.Detach, "detach", "d", false, "run in the background")
	f.StringArrayVarP(&env, "env", "e", nil, "set an environment variable")
	f.StringArrayVar(&envFiles, "env-file", nil, "read environment variables from a file")
	f.StringVarP(&o.User, "user", "u", "", "user[:group] to run as")
	f.StringVarP(&o.WorkingDir, "workdir", "w", "", "working directory")
	f.BoolVar(&o.Privileged, "privileged", false, "every capability of the container's bounding set")
	return cmd
}

func newTopCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "top CONTAINER [PS-OPTIONS...]",
		Short: "Show the processes of a running container",
		Long:  "Show the processes of a running container as ps(1) shows them (ps -ef unless options are given).",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			header, rows, err := e.Top(cmd.Context(), args[0], args[1:])
			if err != nil {
				return err
			}
			t := newTable(cmd.OutOrStdout(), header...)
			for _, r := range rows {
				t.row(r...)
			}
			return t.flush()
		},
	}
}

func newPortCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PORT[/PROTO]]",
		Short: "List a container's published ports",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			ports, err := e.Ports(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			for _, p := range ports {
				proto := p.Protocol
				if proto == "" {
					proto = "tcp"
				}
				if len(args) == 2 && args[1] != fmt.Sprint(p.ContainerPort) && args[1] != fmt.Sprintf("%d/%s", p.ContainerPort, proto) {
					continue
				}
				ip := "0.0.0.0"
				if p.HostIP.IsValid() {
					ip = p.HostIP.String()
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%d/%s -> %s\n", p.ContainerPort, proto, net.JoinHostPort(ip, fmt.Sprint(p.HostPort)))
			}
			return nil
		},
	}
}
