package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// ContainerInspect is a container as `berth inspect` shows it, in the
// shape of `podman inspect` (the fields berth has).
type ContainerInspect struct {
	ID              string            `json:"Id"`
	Created         time.Time         `json:"Created"`
	Path            string            `json:"Path"`
	Args            []string          `json:"Args"`
	State           InspectState      `json:"State"`
	Image           string            `json:"Image"`
	ImageName       string            `json:"ImageName"`
	Name            string            `json:"Name"`
	Driver          string            `json:"Driver"`
	OCIRuntime      string            `json:"OCIRuntime"`
	OCIConfigPath   string            `json:"OCIConfigPath"`
	LogPath         string            `json:"LogPath"`
	Mounts          []InspectMount    `json:"Mounts"`
	Config          InspectConfig     `json:"Config"`
	HostConfig      InspectHostConfig `json:"HostConfig"`
	NetworkSettings InspectNetwork    `json:"NetworkSettings"`
	GraphDriver     InspectDriver     `json:"GraphDriver"`
}

// InspectState is the State of ContainerInspect.
type InspectState struct {
	Status     string    `json:"Status"`
	Running    bool      `json:"Running"`
	Paused     bool      `json:"Paused"`
	Pid        int       `json:"Pid"`
	ConmonPid  int       `json:"ConmonPid"`
	ExitCode   int       `json:"ExitCode"`
	Error      string    `json:"Error"`
	StartedAt  time.Time `json:"StartedAt"`
	FinishedAt time.Time `json:"FinishedAt"`
}

// InspectMount is one mount of ContainerInspect.
type InspectMount struct {
	Type        string   `json:"Type"`
	Name        string   `json:"Name,omitempty"`
	Source      string   `json:"Source"`
	Destination string   `json:"Destination"`
	Options     []string `json:"Options"`
	RW          bool     `json:"RW"`
}

// InspectConfig is the Config of ContainerInspect.
type InspectConfig struct {
	Hostname    string            `json:"Hostname"`
	User        string            `json:"User"`
	Env         []string          `json:"Env"`
	Cmd         []string          `json:"Cmd"`
	Entrypoint  []string          `json:"Entrypoint"`
	Image       string            `json:"Image"`
	WorkingDir  string            `json:"WorkingDir"`
	Labels      map[string]string `json:"Labels"`
	StopSignal  string            `json:"StopSignal"`
	StopTimeout int               `json:"StopTimeout"`
	Tty         bool              `json:"Tty"`
	OpenStdin   bool              `json:"OpenStdin"`
}

// InspectHostConfig is the HostConfig of ContainerInspect.
type InspectHostConfig struct {
	Memory         int64    `json:"Memory"`
	NanoCpus       int64    `json:"NanoCpus"`
	PidsLimit      int64    `json:"PidsLimit"`
	CapAdd         []string `json:"CapAdd"`
	CapDrop        []string `json:"CapDrop"`
	Privileged     bool     `json:"Privileged"`
	ReadonlyRootfs bool     `json:"ReadonlyRootfs"`
	NetworkMode    string   `json:"NetworkMode"`
	SecurityOpt    []string `json:"SecurityOpt"`
	AutoRemove     bool     `json:"AutoRemove"`
	Init           bool     `json:"Init"`
	Runtime        string   `json:"Runtime"`
	Tmpfs          []string `json:"Tmpfs"`
}

// InspectNetwork is the NetworkSettings of ContainerInspect.
type InspectNetwork struct {
	IPAddress string                              `json:"IPAddress"`
	Gateway   string                              `json:"Gateway"`
	Ports     map[string][]InspectPort            `json:"Ports"`
	Networks  map[string]InspectNetworkAttachment `json:"Networks,omitempty"`
}

// InspectNetworkAttachment is the container's interface on one network.
type InspectNetworkAttachment struct {
	NetworkID   string `json:"NetworkID"`
	IPAddress   string `json:"IPAddress"`
	IPPrefixLen int    `json:"IPPrefixLen"`
	Gateway     string `json:"Gateway"`
	MacAddress  string `json:"MacAddress"`
}

// InspectPort is one host binding of a published port.
type InspectPort struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// InspectDriver is the GraphDriver of ContainerInspect.
type InspectDriver struct {
	Name string            `json:"Name"`
	Data map[string]string `json:"Data"`
}

// Inspect describes container s.
func (e *Engine) Inspect(ctx context.Context, s string) (*ContainerInspect, error) {
	r, err := e.lookupRecord(s)
	if err != nil {
		return nil, err
	}
	c := e.container(r)
	o := r.Options
	ci := &ContainerInspect{
		ID: r.ID, Created: r.Created, Image: r.ImageID.Encoded(), ImageName: r.ImageName, Name: r.Name,
		Driver: "overlay", OCIRuntime: r.Runtime, OCIConfigPath: e.ctrPath(r.ID, "config.json"),
		LogPath: e.ctrPath(r.ID, ctrLog), Mounts: []InspectMount{},
		State: InspectState{
			Status: string(c.State.Status), Running: c.State.Status == StatusRunning, Paused: c.State.Status == StatusPaused,
			Pid: c.State.Pid, ConmonPid: c.State.MonitorPid, ExitCode: c.State.ExitCode, Error: c.State.Error,
			StartedAt: c.State.StartedAt, FinishedAt: c.State.FinishedAt,
		},
		Config: InspectConfig{
			Hostname: hostnameOf(r), User: o.User, Env: o.Env, Cmd: o.Command, Image: r.ImageName,
			WorkingDir: o.WorkingDir, Labels: o.Labels, StopSignal: o.StopSignal, Tty: o.Tty, OpenStdin: o.Interactive,
			StopTimeout: DefaultStopTimeout,
		},
		HostConfig: InspectHostConfig{
			Memory: o.Memory, NanoCpus: int64(o.CPUs * 1e9), PidsLimit: o.PidsLimit, CapAdd: o.CapAdd, CapDrop: o.CapDrop,
			Privileged: o.Privileged, ReadonlyRootfs: o.ReadOnly, NetworkMode: o.Network, AutoRemove: o.Remove,
			Init: o.Init, Runtime: r.Runtime,
		},
		NetworkSettings: InspectNetwork{Ports: map[string][]InspectPort{}},
		GraphDriver: InspectDriver{Name: "overlay", Data: map[string]string{
			"MergedDir": e.ctrPath(r.ID, ctrRootfs), "UpperDir": e.ctrPath(r.ID, ctrUpper), "WorkDir": e.ctrPath(r.ID, ctrWork),
		}},
	}
	if len(c.Command) > 0 {
		ci.Path, ci.Args = c.Command[0], c.Command[1:]
	}
	if o.StopTimeout != nil {
		ci.Config.StopTimeout = *o.StopTimeout
	}
	if o.Entrypoint != nil {
		ci.Config.Entrypoint = *o.Entrypoint
	}
	if o.Seccomp != nil {
		ci.HostConfig.SecurityOpt = append(ci.HostConfig.SecurityOpt, "seccomp=custom")
	} else if o.SeccompUnconfined {
		ci.HostConfig.SecurityOpt = append(ci.HostConfig.SecurityOpt, "seccomp=unconfined")
	}
	if o.NoNewPrivileges {
		ci.HostConfig.SecurityOpt = append(ci.HostConfig.SecurityOpt, "no-new-privileges")
	}
	var lowers []string
	for i := len(r.ChainIDs) - 1; i >= 0; i-- {
		lowers = append(lowers, e.snaps.Path(r.ChainIDs[i]))
	}
	ci.GraphDriver.Data["LowerDir"] = strings.Join(lowers, ":")
	for _, m := range o.Mounts {
		im := InspectMount{Type: m.Type, Source: m.Source, Destination: m.Destination, Options: m.Options, RW: !m.ReadOnly}
		switch m.Type {
		case MountVolume:
			im.Name, im.Source = m.Source, e.volumeDir(m.Source)
		case MountTmpfs:
			ci.HostConfig.Tmpfs = append(ci.HostConfig.Tmpfs, m.Destination)
		}
		ci.Mounts = append(ci.Mounts, im)
	}
	ports := o.Publish
	if a := e.attachment(ctx, r); a != nil {
		ports = a.Ports
		for _, n := range a.Networks {
			in := InspectNetworkAttachment{NetworkID: n.Network, MacAddress: n.MAC}
			for _, ip := range n.IPs {
				in.IPAddress, in.IPPrefixLen = ip.Addr().String(), ip.Bits()
			}
			if len(n.Gateways) > 0 {
				in.Gateway = n.Gateways[0].String()
			}
			if ci.NetworkSettings.IPAddress == "" {
				ci.NetworkSettings.IPAddress, ci.NetworkSettings.Gateway = in.IPAddress, in.Gateway
			}
			if ci.NetworkSettings.Networks == nil {
				ci.NetworkSettings.Networks = map[string]InspectNetworkAttachment{}
			}
			ci.NetworkSettings.Networks[n.Network] = in
		}
	}
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		key := fmt.Sprintf("%d/%s", p.ContainerPort, proto)
		ip := ""
		if p.HostIP.IsValid() {
			ip = p.HostIP.String()
		}
		ci.NetworkSettings.Ports[key] = append(ci.NetworkSettings.Ports[key], InspectPort{HostIP: ip, HostPort: fmt.Sprint(p.HostPort)})
	}
	return ci, nil
}

// LogPath is the log file of container c.
func (e *Engine) LogPath(c *Container) string { return filepath.Join(c.Dir, ctrLog) }
