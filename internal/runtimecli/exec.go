package runtimecli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/berth-oci/berth/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

func newExec(g *globals) *cobra.Command {
	var o runtime.ExecOpts
	var processFile, cwd, user string
	var env, caps []string
	var gids []uint32
	var tty, noNewPrivs bool
	var label, apparmor, cgroup string
	cmd := &cobra.Command{
		Use:   "exec [command options] <container-id> <command> [command options]  || -p process.json <container-id>",
		Short: "run another process in a running container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if label != "" || apparmor != "" {
				return fmt.Errorf("--process-label and --apparmor: SELinux and AppArmor are not supported")
			}
			if cgroup != "" {
				return fmt.Errorf("--cgroup: running in a sub-cgroup is not supported")
			}
			r := g.runtime()
			proc, err := execProcess(r, args, processFile)
			if err != nil {
				return err
			}
			if processFile == "" {
				if cwd != "" {
					proc.Cwd = cwd
				}
				proc.Env = append(proc.Env, env...)
				if cmd.Flags().Changed("tty") {
					proc.Terminal = tty
				}
				if user != "" {
					if proc.User, err = runtime.ParseUser(user); err != nil {
						return err
					}
				}
				proc.User.AdditionalGids = append(proc.User.AdditionalGids, gids...)
				if noNewPrivs {
					proc.NoNewPrivileges = true
				}
				if len(caps) > 0 && proc.Capabilities != nil {
					c := proc.Capabilities
					c.Bounding, c.Effective, c.Permitted = append(c.Bounding, caps...), append(c.Effective, caps...), append(c.Permitted, caps...)
				}
			}
			o.Process = proc
			code, err := r.Exec(g.ctx(), args[0], o)
			if err != nil {
				return err
			}
			if code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ConsoleSocket, "console-socket", "", "unix socket `PATH` to send the terminal's master fd to")
	f.StringVar(&cwd, "cwd", "", "working directory of the process")
	f.StringArrayVarP(&env, "env", "e", nil, "add `NAME=VALUE` to the process's environment")
	f.BoolVarP(&tty, "tty", "t", false, "give the process a terminal")
	f.StringVarP(&user, "user", "u", "", "run as `UID[:GID]`")
	f.VarP(newGidsValue(&gids), "additional-gids", "g", "supplementary group `GID`s")
	f.StringVarP(&processFile, "process", "p", "", "read the process from `FILE` (a runtime-spec process object)")
	f.BoolVarP(&o.Detach, "detach", "d", false, "return once the process runs, without waiting for it")
	f.StringVar(&o.PidFile, "pid-file", "", "write the process's pid to `FILE`")
	f.StringVar(&label, "process-label", "", "SELinux `LABEL` of the process")
	f.StringVar(&apparmor, "apparmor", "", "AppArmor `PROFILE` of the process")
	f.BoolVar(&noNewPrivs, "no-new-privs", false, "set no_new_privs for the process")
	f.StringArrayVarP(&caps, "cap", "c", nil, "give the process `CAP` as well")
	f.IntVar(&o.PreserveFDs, "preserve-fds", 0, "hand `N` more descriptors (3 onwards, after $LISTEN_FDS) to the process")
	f.StringVar(&cgroup, "cgroup", "", "put the process in an existing sub-cgroup (`[CONTROLLER:]PATH`)")
	f.BoolVar(&o.IgnorePaused, "ignore-paused", false, "run even when the container is paused")
	return cmd
}

// execProcess is the process of --process, or the container's own process
// with the command line's arguments.
func execProcess(r *runtime.Runtime, args []string, file string) (*specs.Process, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read process: %w", err)
		}
		var p specs.Process
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("parse process %s: %w", file, err)
		}
		return &p, nil
	}
	if len(args) < 2 {
		return nil, fmt.Errorf("exec needs a command to run after the container id")
	}
	p, err := r.ContainerProcess(args[0])
	if err != nil {
		return nil, err
	}
	p.Args = args[1:]
	p.Terminal = false
	return p, nil
}
