package runtimecli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// normalizeArgs accepts runc's single-dash long flags (-bundle, -root=x,
// as Go's flag package and urfave/cli do) by rewriting them to --bundle.
// It stops at "--" and at the first argument that is not a flag after the
// command name, so a container's own arguments are never touched.
func normalizeArgs(root *cobra.Command, args []string) []string {
	out := make([]string, 0, len(args))
	cmd := root
	sawCommand := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if sawCommand {
				return append(out, args[i:]...)
			}
			if sub, _, err := root.Find([]string{a}); err == nil && sub != root {
				cmd, sawCommand = sub, true
			}
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := lookupFlag(cmd, name)
		if !strings.HasPrefix(a, "--") && len(name) > 1 && f != nil {
			a = "-" + a
		}
		out = append(out, a)
		// A flag that takes a value given as the next argument.
		if f != nil && !hasValue && f.NoOptDefVal == "" && i+1 < len(args) && strings.HasPrefix(a, "--") {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	if f := cmd.Flags().Lookup(name); f != nil {
		return f
	}
	if f := cmd.InheritedFlags().Lookup(name); f != nil {
		return f
	}
	return cmd.Root().PersistentFlags().Lookup(name)
}
