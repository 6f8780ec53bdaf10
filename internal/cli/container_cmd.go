package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/berth-oci/berth/engine"
	"github.com/berth-oci/berth/errdefs"
	"github.com/spf13/cobra"
)

// newContainerCommand is `berth container`: the container verbs under one
// name, as podman has them, and `container inspect`.
func newContainerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "container", Short: "Manage containers"}
	inspect := &cobra.Command{
		Use:   "inspect [flags] CONTAINER...",
		Short: "Show containers' configuration and state as JSON",
		Args:  cobra.MinimumNArgs(1),
	}
	var format string
	inspect.Flags().StringVarP(&format, "format", "f", "", "a Go template over each container instead of JSON")
	inspect.RunE = func(cmd *cobra.Command, args []string) error {
		return inspectEngine(cmd, args, format, "container")
	}
	ls := newPsCommand()
	ls.Use, ls.Aliases = "ls [flags]", []string{"list", "ps"}
	cmd.AddCommand(inspect, ls, newCreateCommand(), newRunCommand(), newStartCommand(), newStopCommand(),
		newRestartCommand(), newKillCommand(), newRmCommand(), newWaitCommand(), newLogsCommand())
	return cmd
}

// inspectEngine prints containers or images of the store (kind is
// "container", "image" or "" for whichever the name finds, containers
// first) as a JSON array, or each through the Go template format. It is
// also what `berth inspect NAME` joins for names that are not docker://.
func inspectEngine(cmd *cobra.Command, args []string, format, kind string) error {
	e, err := openEngine(cmd)
	if err != nil {
		return err
	}
	var tmpl *template.Template
	if format != "" && format != "json" {
		format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
		if tmpl, err = template.New("format").Funcs(templateFuncs).Parse(format); err != nil {
			return fmt.Errorf("--format: %v: %w", err, errdefs.ErrInvalidArgument)
		}
	}
	var out []any
	var errs []error
	for _, a := range args {
		v, err := inspectOne(cmd, e, a, kind)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, v)
	}
	if tmpl != nil {
		for _, v := range out {
			// Through JSON, so templates see the JSON field names.
			var generic any
			data, _ := json.Marshal(v)
			json.Unmarshal(data, &generic)
			var b strings.Builder
			if err := tmpl.Execute(&b, generic); err != nil {
				return fmt.Errorf("--format: %v: %w", err, errdefs.ErrInvalidArgument)
			}
			fmt.Fprintln(cmd.OutOrStdout(), b.String())
		}
	} else {
		if out == nil {
			out = []any{}
		}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "    ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func inspectOne(cmd *cobra.Command, e *engine.Engine, name, kind string) (any, error) {
	if kind != "image" {
		ci, err := e.Inspect(cmd.Context(), name)
		if err == nil || kind == "container" {
			return ci, err
		}
	}
	img, err := e.LookupImage(cmd.Context(), name)
	if err != nil {
		if kind == "" {
			return nil, fmt.Errorf("no container or image %q: %w", name, errdefs.ErrNotFound)
		}
		return nil, err
	}
	return imageInspectOf(cmd, e, img)
}
