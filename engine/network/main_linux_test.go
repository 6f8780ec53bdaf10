package network

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// crashChildEnv makes the test binary a process that sets up a container's
// network and then waits to be killed (see TestRepairAfterCrash).
const crashChildEnv = "BERTH_NETWORK_CRASH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(crashChildEnv); spec != "" {
		os.Exit(crashChild(spec))
	}
	var before map[string]bool
	if os.Geteuid() == 0 {
		before = sharedChains()
	}
	code := m.Run()
	if before != nil {
		removeSharedChains(before)
	}
	os.Exit(code)
}

type crashSpec struct {
	Options Options
	ID      string
}

func crashChild(spec string) int {
	var s crashSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	m, err := New(s.Options)
	if err == nil {
		var ns string
		if ns, err = NewNetNS(s.Options.RunRoot, s.ID); err == nil {
			_, err = m.Setup(context.Background(), s.ID, ns, Request{Ports: []PortMapping{{ContainerPort: 80}}})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	select {}
}

// The chains the CNI plugins share between all containers, which they
// create on first use and never remove.
var shared = map[string][]string{
	"nat":    {"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"},
	"filter": {"CNI-FORWARD", "CNI-ADMIN"},
}

// families are the firewall tools of IPv4 and IPv6.
var families = []string{"iptables", "ip6tables"}

// sharedChains names those of the shared chains that exist
// ("tool/table/chain").
func sharedChains() map[string]bool {
	out := map[string]bool{}
	for _, tool := range families {
		for table, chains := range shared {
			rules, _ := exec.Command(tool, "-w", "-t", table, "-S").Output()
			for _, c := range chains {
				if strings.Contains(string(rules), "-N "+c+"\n") {
					out[tool+"/"+table+"/"+c] = true
				}
			}
		}
	}
	return out
}

// removeSharedChains removes the shared chains the tests created, when no
// container's rule (of anyone's) is left in them: the tests leave the
// host's firewall as they found it.
func removeSharedChains(before map[string]bool) {
	for _, tool := range families {
		for table, chains := range shared {
			rules, err := exec.Command(tool, "-w", "-t", table, "-S").Output()
			if err != nil {
				continue
			}
			script, ok := sharedScript(string(rules), tool+"/"+table, table, chains, before)
			if !ok {
				continue
			}
			cmd := exec.Command(tool+"-restore", "-w", "--noflush")
			cmd.Stdin = strings.NewReader(script)
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "remove the CNI chains of %s %s: %v\n%s", tool, table, err, out)
			}
		}
	}
}

func sharedScript(rules, key, table string, chains []string, before map[string]bool) (string, bool) {
	isShared := map[string]bool{}
	for _, c := range chains {
		if before[key+"/"+c] || !strings.Contains(rules, "-N "+c+"\n") {
			return "", false
		}
		isShared[c] = true
	}
	var del []string
	for _, line := range strings.Split(rules, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "-A" {
			continue
		}
		target := f[len(f)-1]
		switch {
		case !isShared[f[1]] && isShared[target]:
			del = append(del, "-D "+line[3:])
		case isShared[f[1]] && !isShared[target] && target != "MASQUERADE" && !strings.Contains(line, "MARK --set-xmark"):
			return "", false // a container's rule
		}
	}
	for _, c := range chains {
		del = append(del, "-F "+c)
	}
	for _, c := range chains {
		del = append(del, "-X "+c)
	}
	return "*" + table + "\n" + strings.Join(del, "\n") + "\nCOMMIT\n", true
}
