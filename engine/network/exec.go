package network

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/version"
)

// pluginExec runs CNI plugins as libcni's default does, with a PATH that
// has the sbin directories: the plugins run iptables, which a user's PATH
// may lack even when root.
func pluginExec() invoke.Exec {
	return &sbinExec{DefaultExec: invoke.DefaultExec{RawExec: &invoke.RawExec{}, PluginDecoder: version.PluginDecoder{}}}
}

type sbinExec struct{ invoke.DefaultExec }

func (e *sbinExec) ExecPlugin(ctx context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	return e.DefaultExec.ExecPlugin(ctx, pluginPath, stdin, withSbin(environ))
}

// BridgeAvailable reports whether the default bridge can work here: the
// bridge plugin is in one of DefaultPluginDirs, and iptables, which it and
// the portmap and firewall plugins run, is on the PATH they get.
func BridgeAvailable() bool {
	return findPlugin(DefaultPluginDirs, "bridge") && onPluginPath("iptables")
}

func findPlugin(dirs []string, name string) bool {
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, name)) {
			return true
		}
	}
	return false
}

// onPluginPath reports whether name is a program on the PATH the plugins
// run with (withSbin).
func onPluginPath(name string) bool {
	for _, kv := range withSbin(os.Environ()) {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			return findPlugin(filepath.SplitList(v), name)
		}
	}
	return false
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// withSbin returns environ with /usr/sbin and /sbin added to PATH where
// missing.
func withSbin(environ []string) []string {
	out := make([]string, 0, len(environ)+1)
	found := false
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			found = true
			for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
				if !strings.Contains(":"+v+":", ":"+d+":") {
					v += ":" + d
				}
			}
			kv = "PATH=" + v
		}
		out = append(out, kv)
	}
	if !found {
		out = append(out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	return out
}
