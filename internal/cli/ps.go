package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/berth-oci/berth/engine"
	"github.com/spf13/cobra"
)

// psRow is one line of `berth ps`; its fields are what --format templates use.
type psRow struct {
	ID, Image, Command, CreatedHuman, CreatedAt, Status, State, Ports, Names string
	Created                                                                  time.Time
	ExitCode                                                                 int
	Pid                                                                      int
	Labels                                                                   map[string]string
}

// psJSON is a container as `podman ps --format json` shows it.
type psJSON struct {
	AutoRemove bool                 `json:"AutoRemove"`
	Command    []string             `json:"Command"`
	Created    int64                `json:"Created"`
	CreatedAt  string               `json:"CreatedAt"`
	Exited     bool                 `json:"Exited"`
	ExitedAt   int64                `json:"ExitedAt"`
	ExitCode   int                  `json:"ExitCode"`
	ID         string               `json:"Id"`
	Image      string               `json:"Image"`
	ImageID    string               `json:"ImageID"`
	Labels     map[string]string    `json:"Labels"`
	Mounts     []string             `json:"Mounts"`
	Names      []string             `json:"Names"`
	Pid        int                  `json:"Pid"`
	Ports      []engine.PortMapping `json:"Ports"`
	StartedAt  int64                `json:"StartedAt"`
	State      string               `json:"State"`
	Status     string               `json:"Status"`
}

const psDefaultFormat = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

func newPsCommand() *cobra.Command {
	var all, quiet, noTrunc, latest bool
	var format string
	cmd := &cobra.Command{
		Use:     "ps [flags]",
		Aliases: []string{"container-list"},
		Short:   "List containers",
		Long: `List the running containers (every one with --all). --format takes json, a Go
template over the fields ID, Image, Command, CreatedHuman, CreatedAt, Status,
State, Ports, Names, ExitCode, Pid and Labels, or "table TEMPLATE".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			cs, err := e.Containers(cmd.Context(), all || latest)
			if err != nil {
				return err
			}
			if latest && len(cs) > 1 {
				cs = cs[:1]
			}
			if quiet {
				for _, c := range cs {
					fmt.Fprintln(cmd.OutOrStdout(), trunc(c.ID, noTrunc))
				}
				return nil
			}
			f, err := parseRowFormat(format, psDefaultFormat, map[string]string{"ID": "CONTAINER ID"})
			if err != nil {
				return err
			}
			rows := []any{}
			js := []psJSON{}
			for _, c := range cs {
				rows = append(rows, toPsRow(c, noTrunc))
				js = append(js, toPsJSON(c))
			}
			return f.print(cmd.OutOrStdout(), rows, js)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "list every container, not only running ones")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print container IDs only")
	fl.BoolVar(&noTrunc, "no-trunc", false, "print full IDs and commands")
	fl.BoolVarP(&latest, "latest", "l", false, "the most recently created container only")
	fl.StringVar(&format, "format", "", "json, a Go template, or table TEMPLATE")
	return cmd
}

func trunc(id string, full bool) string {
	if full || len(id) <= 12 {
		return id
	}
	return id[:12]
}

// statusOf says what a container is doing, as podman's STATUS column does.
func statusOf(c *engine.Container) string {
	switch c.State.Status {
	case engine.StatusRunning:
		return "Up " + humanDuration(time.Since(c.State.StartedAt))
	case engine.StatusPaused:
		return "Paused"
	case engine.StatusExited:
		return fmt.Sprintf("Exited (%d) %s", c.State.ExitCode, ago(c.State.FinishedAt))
	}
	return "Created"
}

func toPsRow(c *engine.Container, noTrunc bool) psRow {
	command := strings.Join(c.Command, " ")
	if command == "" {
		command = strings.Join(c.Options.Command, " ")
	}
	if !noTrunc && len(command) > 20 {
		command = command[:17] + "..."
	}
	var ports []string
	for _, p := range c.Ports {
		ports = append(ports, p.String())
	}
	return psRow{
		ID: trunc(c.ID, noTrunc), Image: c.ImageName, Command: command, CreatedHuman: ago(c.Created),
		CreatedAt: c.Created.Format("2006-01-02 15:04:05 -0700 MST"), Created: c.Created, Status: statusOf(c),
		State: string(c.State.Status), Ports: strings.Join(ports, ", "), Names: c.Name, ExitCode: c.State.ExitCode,
		Pid: c.State.Pid, Labels: c.Options.Labels,
	}
}

func toPsJSON(c *engine.Container) psJSON {
	j := psJSON{
		AutoRemove: c.Options.Remove, Command: c.Command, Created: c.Created.Unix(), CreatedAt: c.Created.Format(time.RFC3339),
		Exited: c.State.Status == engine.StatusExited, ExitCode: c.State.ExitCode, ID: c.ID, Image: c.ImageName,
		ImageID: c.ImageID.Encoded(), Labels: c.Options.Labels, Mounts: []string{}, Names: []string{c.Name},
		Pid: c.State.Pid, Ports: c.Ports, State: string(c.State.Status), Status: statusOf(c),
	}
	if !c.State.StartedAt.IsZero() {
		j.StartedAt = c.State.StartedAt.Unix()
	}
	if !c.State.FinishedAt.IsZero() {
		j.ExitedAt = c.State.FinishedAt.Unix()
	}
	for _, m := range c.Options.Mounts {
		j.Mounts = append(j.Mounts, m.Destination)
	}
	if j.Ports == nil {
		j.Ports = []engine.PortMapping{}
	}
	return j
}
