package cli

import (
	"fmt"

	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// createFlags are the flags create and run share, as podman spells them.
type createFlags struct {
	name, workdir, user, hostname, entrypoint, network, memory, pull, platform   string
	stopSignal                                                                   string
	stopTimeout                                                                  int
	env, envFiles, volumes, tmpfs, capAdd, capDrop, securityOpt, publish, labels []string
	rm, interactive, tty, readOnly, readOnlyTmpfs, privileged, init              bool
	cpus                                                                         float64
	pidsLimit                                                                    int64
	entrypointSet                                                                bool
}

func (f *createFlags) add(fs *pflag.FlagSet) {
	fs.SetInterspersed(false) // flags after the image belong to the command
	fs.StringVar(&f.name, "name", "", "name of the container")
	fs.BoolVar(&f.rm, "rm", false, "remove the container when it exits")
	fs.BoolVarP(&f.interactive, "interactive", "i", false, "keep stdin open")
	fs.BoolVarP(&f.tty, "tty", "t", false, "give the container a terminal")
	fs.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable (NAME=VALUE, or NAME to pass berth's)")
	fs.StringArrayVar(&f.envFiles, "env-file", nil, "read environment variables from a file")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fs.StringVarP(&f.user, "user", "u", "", "user[:group] to run as (names or ids)")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "replace the image's entrypoint")
	fs.StringVar(&f.hostname, "hostname", "", "the container's host name")
	fs.StringArrayVarP(&f.volumes, "volume", "v", nil, "mount a host path or named volume: SOURCE:DEST[:ro,...], or DEST for a new volume")
	fs.StringArrayVar(&f.tmpfs, "tmpfs", nil, "mount a tmpfs: DEST[:OPTIONS]")
	fs.BoolVar(&f.readOnly, "read-only", false, "mount the root filesystem read-only")
	fs.BoolVar(&f.readOnlyTmpfs, "read-only-tmpfs", true, "with --read-only, mount a tmpfs on /tmp, /var/tmp and /run")
	fs.StringVarP(&f.memory, "memory", "m", "", "memory limit (e.g. 512m, 1g)")
	fs.Float64Var(&f.cpus, "cpus", 0, "number of CPUs' worth of CPU time")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "limit on the number of processes")
	fs.StringArrayVar(&f.capAdd, "cap-add", nil, "add a capability (or ALL)")
	fs.StringArrayVar(&f.capDrop, "cap-drop", nil, "drop a capability (or ALL)")
	fs.BoolVar(&f.privileged, "privileged", false, "give every capability and device, no seccomp")
	fs.StringArrayVar(&f.securityOpt, "security-opt", nil, "seccomp=PROFILE|unconfined, no-new-privileges")
	fs.BoolVar(&f.init, "init", false, "run an init that reaps zombies and forwards signals")
	fs.StringVar(&f.network, "network", "", "network: bridge (the default for root; none without root), none, host, or a network of berth network create")
	fs.StringVar(&f.network, "net", "", "same as --network")
	fs.StringArrayVarP(&f.publish, "publish", "p", nil, "publish a port: [[IP:][HOSTPORT]:]PORT[/PROTO] (through a network)")
	fs.StringVar(&f.pull, "pull", "missing", "pull the image: always, missing or never")
	fs.StringVar(&f.platform, "platform", "", "platform of the image to pull (os/arch[/variant])")
	fs.StringArrayVarP(&f.labels, "label", "l", nil, "set a label: NAME=VALUE")
	fs.StringVar(&f.stopSignal, "stop-signal", "", "signal that stops the container (default: the image's, or SIGTERM)")
	fs.IntVar(&f.stopTimeout, "stop-timeout", -1, "seconds stop waits before SIGKILL (default 10)")
	fs.Lookup("net").Hidden = true
}

// options turns the flags into the engine's create options.
func (f *createFlags) options(cmd *cobra.Command, command []string) (engine.CreateOptions, error) {
	o := engine.CreateOptions{
		Name: f.name, Command: command, WorkingDir: f.workdir, User: f.user, Hostname: f.hostname,
		Tty: f.tty, Interactive: f.interactive, Remove: f.rm, ReadOnly: f.readOnly, ReadOnlyTmpfs: f.readOnlyTmpfs, CPUs: f.cpus,
		PidsLimit: f.pidsLimit, CapAdd: f.capAdd, CapDrop: f.capDrop, Privileged: f.privileged,
		Init: f.init, Network: f.network, StopSignal: f.stopSignal,
	}
	o.Runtime, _ = cmd.Root().PersistentFlags().GetString("runtime")
	if cmd.Flags().Changed("entrypoint") {
		ep := []string{}
		if f.entrypoint != "" {
			ep = []string{f.entrypoint}
		}
		o.Entrypoint = &ep
	}
	for _, file := range f.envFiles {
		env, err := engine.ParseEnvFile(file)
		if err != nil {
			return o, err
		}
		o.Env = append(o.Env, env...)
	}
	o.Env = append(o.Env, engine.ExpandEnv(f.env)...)
	for _, v := range f.volumes {
		m, err := engine.ParseVolume(v)
		if err != nil {
			return o, err
		}
		o.Mounts = append(o.Mounts, m)
	}
	for _, v := range f.tmpfs {
		m, err := engine.ParseTmpfs(v)
		if err != nil {
			return o, err
		}
		o.Mounts = append(o.Mounts, m)
	}
	if f.memory != "" {
		n, err := engine.ParseSize(f.memory)
		if err != nil {
			return o, fmt.Errorf("--memory: %w", err)
		}
		o.Memory = n
	}
	for _, s := range f.securityOpt {
		if err := o.ParseSecurityOpt(s); err != nil {
			return o, err
		}
	}
	for _, p := range f.publish {
		pm, err := engine.ParsePublish(p)
		if err != nil {
			return o, err
		}
		o.Publish = append(o.Publish, pm...)
	}
	if len(f.labels) > 0 {
		o.Labels = map[string]string{}
		for _, l := range f.labels {
			k, v, _ := splitKV(l)
			o.Labels[k] = v
		}
	}
	if f.stopTimeout >= 0 {
		t := f.stopTimeout
		o.StopTimeout = &t
	}
	return o, nil
}

func splitKV(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '=' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// create makes the container of args (IMAGE [COMMAND...]), pulling the
// image as --pull says.
func (f *createFlags) create(cmd *cobra.Command, e *engine.Engine, args []string) (*engine.Container, error) {
	o, err := f.options(cmd, args[1:])
	if err != nil {
		return nil, err
	}
	policy, err := engine.ParsePullPolicy(f.pull)
	if err != nil {
		return nil, err
	}
	p, err := platformFlag(f.platform)
	if err != nil {
		return nil, err
	}
	img, err := e.EnsureImage(cmd.Context(), args[0], policy, p)
	if err != nil {
		return nil, err
	}
	return e.Create(cmd.Context(), img, args[0], o)
}

func newCreateCommand() *cobra.Command {
	var f createFlags
	cmd := &cobra.Command{
		Use:   "create [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Create a container (start it with berth start)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			c, err := f.create(cmd, e, args)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), c.ID)
			return nil
		},
	}
	f.add(cmd.Flags())
	return cmd
}
