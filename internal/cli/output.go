package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/berth-oci/berth/errdefs"
	"github.com/spf13/cobra"
)

// Output formats of the verbs that print data.
const (
	formatTable = "table"
	formatJSON  = "json"
)

func addFormatFlag(cmd *cobra.Command, p *string, def string) {
	cmd.Flags().StringVar(p, "format", def, "output format: "+def+" or json")
}

func checkFormat(f string, allowed ...string) error {
	for _, a := range allowed {
		if f == a {
			return nil
		}
	}
	return fmt.Errorf("--format %q: want one of %s: %w", f, strings.Join(allowed, ", "), errdefs.ErrInvalidArgument)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cols ...string) { fmt.Fprintln(t.tw, strings.Join(cols, "\t")) }
func (t *table) flush() error       { return t.tw.Flush() }

// humanSize formats n bytes as podman does (decimal units).
func humanSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB"} {
		f /= unit
		if f < unit {
			return fmt.Sprintf("%.3g %s", f, u)
		}
	}
	return fmt.Sprintf("%.3g PB", f/unit)
}

// shortDigest is the first 12 hex digits of a digest.
func shortDigest(d fmt.Stringer) string {
	s := d.String()
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}
