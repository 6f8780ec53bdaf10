package cli

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/berth-oci/berth/engine"
	"github.com/berth-oci/berth/engine/logfile"
	"github.com/berth-oci/berth/errdefs"
	"github.com/spf13/cobra"
)

func newLogsCommand() *cobra.Command {
	var follow, timestamps bool
	var tail, since, until string
	cmd := &cobra.Command{
		Use:   "logs [flags] CONTAINER",
		Short: "Show a container's output",
		Long: `Show what a container wrote to stdout and stderr (each to its own stream), from
its log. --follow keeps showing new output until the container stops.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			o := engine.LogOptions{Follow: follow, Tail: -1}
			if tail != "" && tail != "all" {
				if o.Tail, err = strconv.Atoi(tail); err != nil || o.Tail < 0 {
					return fmt.Errorf("--tail %q: want a number of lines or all: %w", tail, errdefs.ErrInvalidArgument)
				}
			}
			if o.Since, err = parseSince(since); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if o.Until, err = parseSince(until); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			return e.Logs(cmd.Context(), args[0], o, func(stream string, t time.Time, line []byte) error {
				w := out
				if stream == logfile.Stderr {
					w = errOut
				}
				if timestamps {
					if _, err := io.WriteString(w, t.Format(logfile.TimeFormat)+" "); err != nil {
						return err
					}
				}
				_, err := w.Write(line)
				return err
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "keep showing output until the container stops")
	f.BoolVarP(&timestamps, "timestamps", "t", false, "show when each line was written")
	f.StringVar(&tail, "tail", "all", "show only the last N lines")
	f.StringVar(&since, "since", "", "show lines since a time (RFC 3339, Unix seconds) or a duration ago (10m)")
	f.StringVar(&until, "until", "", "show lines until a time or a duration ago")
	return cmd
}

// parseSince reads a point in time as podman's --since: RFC 3339 (with or
// without a zone), a date, Unix seconds, or a duration before now.
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time or duration: %w", s, errdefs.ErrInvalidArgument)
}
