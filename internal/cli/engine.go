package cli

import (
	"errors"
	"os"

	"github.com/berth-oci/berth/engine"
	"github.com/berth-oci/berth/engine/reaper"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// runHidden runs the verbs berth re-executes itself for, before any flag
// parsing: a container's monitor and its --init.
func runHidden(args []string) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case engine.MonitorVerb:
		return engine.MonitorMain(args[1:]), true
	case engine.InitVerb:
		return reaper.Main(args[1:]), true
	}
	return 0, false
}

// addEngineCommands adds the global store flags and the verbs of the
// container engine.
func addEngineCommands(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.String("root", engine.DefaultRoot, "directory of the image and container store")
	pf.String("runroot", engine.DefaultRunRoot, "directory of the store's volatile state")
	pf.String("runtime", "", "OCI runtime (path or name) for new containers (default: berth-runtime)")
	root.AddCommand(
		newPullCommand(), newImagesCommand(), newRmiCommand(), newTagCommand(),
		newCreateCommand(), newRunCommand(), newStartCommand(), newStopCommand(), newRestartCommand(),
		newKillCommand(), newRmCommand(), newWaitCommand(), newPsCommand(), newLogsCommand(), newContainerCommand(),
		newExecCommand(), newTopCommand(), newPortCommand(), newCpCommand(), newCommitCommand(),
		newVolumeCommand(), newSystemCommand(), newPushCommand(), newPauseCommand(true), newPauseCommand(false),
	)
	for _, c := range root.Commands() {
		if c.Name() == "image" {
			c.AddCommand(newImagePruneCommand())
		}
	}
}

// openEngine opens the store the global flags name; mods adjust the
// options (progress, registry settings) for one verb.
func openEngine(cmd *cobra.Command, mods ...func(*engine.Options)) (*engine.Engine, error) {
	pf := cmd.Root().PersistentFlags()
	root, _ := pf.GetString("root")
	runRoot, _ := pf.GetString("runroot")
	rt, _ := pf.GetString("runtime")
	o := engine.Options{Root: root, RunRoot: runRoot, Runtime: rt}
	o.Warn = func(msg string) { cmd.PrintErrln("berth: warning:", msg) }
	for _, m := range mods {
		m(&o)
	}
	return engine.Open(o)
}

// progressFor renders transfer progress on stderr when it is a terminal.
func progressFor(cmd *cobra.Command, quiet bool) (progress.Reporter, func()) {
	if quiet {
		return nil, func() {}
	}
	if f, ok := cmd.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r := progress.NewRenderer(f)
		return r, func() { r.Close() }
	}
	return nil, func() {}
}

func asExitError(err error, target **engine.ExitError) bool { return errors.As(err, target) }
