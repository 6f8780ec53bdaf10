package network

import (
	"os"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
)

// The default bridge is judged available by where the plugins look, not
// by the caller's PATH: a root shell whose PATH lacks /usr/sbin still has
// iptables for the plugins, which run with the sbin directories added.
func TestBridgeAvailableLooksWhereThePluginsDo(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/iptables"); err != nil {
		fixture.Unmet(t, "iptables is not installed in /usr/sbin")
	}
	t.Setenv("PATH", "/nonexistent")
	if !onPluginPath("iptables") {
		t.Error("iptables not found on the plugins' PATH though it is in /usr/sbin")
	}
	if onPluginPath("no-such-program-berth") {
		t.Error("a missing program was found")
	}
	if findPlugin([]string{t.TempDir()}, "bridge") {
		t.Error("a bridge plugin was found in an empty directory")
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err == nil && !BridgeAvailable() {
		t.Error("the bridge plugin and iptables are installed, yet the bridge is not available")
	}
}
