package runtimecli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/berth-oci/berth/runtime"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
)

// globals are runc's global options.
type globals struct {
	root          string
	logFile       string
	logFormat     string
	debug         bool
	systemdCgroup bool
	rootless      string
	criu          string

	log      *slog.Logger
	closeLog func() error
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "berth-runtime",
		Short:         "an OCI runtime with runc's command line",
		Version:       runtime.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.openLog()
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetVersionTemplate(fmt.Sprintf("berth-runtime version %s\nspec: %s\n", runtime.Version, specs.Version))
	f := root.PersistentFlags()
	f.StringVar(&g.root, "root", runtime.DefaultRoot, "`DIR` of container state (best on a tmpfs)")
	f.StringVar(&g.logFile, "log", "", "write log messages to `FILE` instead of stderr")
	f.StringVar(&g.logFormat, "log-format", "text", "log message `FORMAT`: text or json")
	f.BoolVar(&g.debug, "debug", false, "log debug messages too")
	f.BoolVar(&g.systemdCgroup, "systemd-cgroup", false, "enable systemd cgroup support (not implemented: create fails with it)")
	f.StringVar(&g.rootless, "rootless", "auto", "rootless mode: true, false or auto (tolerate cgroup permission errors)")
	f.Lookup("rootless").NoOptDefVal = "true"
	f.StringVar(&g.criu, "criu", "criu", "path to the criu binary (checkpoint and restore are not supported)")
	root.Flags().BoolP("version", "v", false, "print the version and exit")
	root.AddCommand(newSpec(g), newCreate(g), newStart(g), newRun(g), newState(g), newKill(g),
		newDelete(g), newList(g), newFeatures(g), newPause(g), newResume(g), newPs(g), newUpdate(g), newEvents(g), newExec(g))
	for _, c := range root.Commands() {
		// As urfave/cli: flags come before the arguments, and what follows
		// the container id is not ours to parse.
		c.Flags().SetInterspersed(false)
	}
	return root
}

func (g *globals) runtime() *runtime.Runtime {
	return &runtime.Runtime{Root: g.root, SystemdCgroup: g.systemdCgroup, Rootless: g.rootless, Log: g.logger()}
}

func (g *globals) ctx() context.Context { return context.Background() }

func (g *globals) logger() *slog.Logger {
	if g.log == nil {
		g.log = newLogger(os.Stderr, g.logFormat, g.debug)
	}
	return g.log
}

// openLog honours --log and --log-format: json lines {"level","msg","time"}
// as runc writes them, which containerd's shim reads back.
func (g *globals) openLog() error {
	if g.logFormat != "text" && g.logFormat != "json" {
		return fmt.Errorf("invalid log-format %q (want text or json)", g.logFormat)
	}
	var w io.Writer = os.Stderr
	if g.logFile != "" {
		f, err := os.OpenFile(g.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("open log file: %w", err)
		}
		w, g.closeLog = f, f.Close
	}
	g.log = newLogger(w, g.logFormat, g.debug)
	return nil
}

func newLogger(w io.Writer, format string, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: logrusNames}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// logrusNames spells levels as runc's logrus does ("error", "warning").
func logrusNames(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey && len(groups) == 0 {
		l := strings.ToLower(a.Value.String())
		if l == "warn" {
			l = "warning"
		}
		return slog.String(slog.LevelKey, l)
	}
	return a
}
