package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/berth-oci/berth/errdefs"
)

// rowFormat prints the rows of a listing verb as podman does with
// --format: "json" (a JSON array of the rows' JSON forms), "table TEMPLATE"
// (a header of the field names, then aligned columns), or a Go template
// executed per row. An empty format is the verb's default table.
type rowFormat struct {
	json bool
	tmpl *template.Template
	// header is set for a table: one title per column.
	header []string
}

var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":  strings.Join,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"truncate": func(s string, n int) string {
		if len(s) > n {
			return s[:n]
		}
		return s
	},
}

// parseRowFormat compiles format; def is the default table template and
// titles name the columns where the field name is not the title.
func parseRowFormat(format, def string, titles map[string]string) (*rowFormat, error) {
	if format == "" {
		format = def
	}
	if format == "json" {
		return &rowFormat{json: true}, nil
	}
	f := &rowFormat{}
	if t, ok := strings.CutPrefix(format, "table"); ok && (t == "" || t[0] == ' ' || t[0] == '\t') {
		t = strings.TrimLeft(t, " \t")
		if t == "" {
			t = strings.TrimPrefix(def, "table ")
		}
		format = t
		f.header = headerOf(t, titles)
	}
	format = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(format)
	tmpl, err := template.New("format").Funcs(templateFuncs).Parse(format)
	if err != nil {
		return nil, fmt.Errorf("--format: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	f.tmpl = tmpl
	return f, nil
}

// headerOf turns "{{.ID}}\t{{.CreatedSince}}" into ID, CREATED SINCE.
func headerOf(t string, titles map[string]string) []string {
	var out []string
	for _, col := range strings.Split(strings.NewReplacer(`\t`, "\t").Replace(t), "\t") {
		name := col
		if i := strings.Index(col, "{{"); i >= 0 {
			name = strings.Trim(col[i+2:], " }")
			if j := strings.Index(name, "}}"); j >= 0 {
				name = name[:j]
			}
			name = strings.TrimPrefix(strings.Fields(name + " x")[0], ".")
		}
		if title, ok := titles[name]; ok {
			out = append(out, title)
			continue
		}
		out = append(out, headerTitle(name))
	}
	return out
}

// headerTitle spells a field name as podman's headers do: ID stays,
// CreatedSince is CREATED, RepoTags is REPO TAGS.
func headerTitle(name string) string {
	if t, ok := headerTitles[name]; ok {
		return t
	}
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' && !(name[i-1] >= 'A' && name[i-1] <= 'Z') {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

var headerTitles = map[string]string{
	"ID": "ID", "CreatedSince": "CREATED", "CreatedHuman": "CREATED", "Names": "NAMES", "Repository": "REPOSITORY",
}

// print writes rows; jsonRows are what --format json shows of them.
func (f *rowFormat) print(w io.Writer, rows []any, jsonRows any) error {
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "    ")
		enc.SetEscapeHTML(false)
		return enc.Encode(jsonRows)
	}
	out := w
	var tw *tabwriter.Writer
	if f.header != nil {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		out = tw
		fmt.Fprintln(tw, strings.Join(f.header, "\t"))
	}
	for _, r := range rows {
		var b strings.Builder
		if err := f.tmpl.Execute(&b, r); err != nil {
			return fmt.Errorf("--format: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), "\n"))
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// humanDuration says how long d is as docker and podman do ("About a
// minute", "3 hours").
func humanDuration(d time.Duration) string {
	s := int(d.Seconds())
	switch {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	}
	m := int(d.Minutes())
	switch {
	case m == 1:
		return "About a minute"
	case m < 60:
		return fmt.Sprintf("%d minutes", m)
	}
	h := int(d.Round(time.Hour).Hours())
	switch {
	case h == 1:
		return "About an hour"
	case h < 48:
		return fmt.Sprintf("%d hours", h)
	case h < 24*7*2:
		return fmt.Sprintf("%d days", h/24)
	case h < 24*30*2:
		return fmt.Sprintf("%d weeks", h/24/7)
	case h < 24*365*2:
		return fmt.Sprintf("%d months", h/24/30)
	}
	return fmt.Sprintf("%d years", h/24/365)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return humanDuration(time.Since(t)) + " ago"
}
