package network

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
)

// The bridge plugin (up to 1.1 at least) finds the masquerading rules of a
// container through the addresses of its interface, so a DEL without the
// namespace leaves them behind. removeMasq removes them by the chain the
// plugin names after the network and container: "CNI-" and the first 24
// hex digits of SHA-512(network + container ID).
func masqChain(network, id string) string {
	sum := sha512.Sum512([]byte(network + id))
	return ("CNI-" + hex.EncodeToString(sum[:]))[:28]
}

// removeMasq deletes the jump to container id's masquerading chain on
// network, and the chain, from the IPv4 and IPv6 nat tables, in one
// iptables-restore each. Missing chains and tools are not errors.
func removeMasq(ctx context.Context, network, id string) error {
	chain := masqChain(network, id)
	for _, tool := range []string{"iptables", "ip6tables"} {
		bin, err := lookSbin(tool)
		if err != nil {
			continue
		}
		rules, err := exec.CommandContext(ctx, bin, "-w", "-t", "nat", "-S").Output()
		if err != nil {
			return fmt.Errorf("list %s nat rules: %w", tool, err)
		}
		script := masqScript(rules, chain)
		if script == "" {
			continue
		}
		restore, err := lookSbin(tool + "-restore")
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, restore, "-w", "--noflush")
		cmd.Stdin = strings.NewReader(script)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("remove masquerading chain %s: %s: %w", chain, bytes.TrimSpace(out), err)
		}
	}
	return nil
}

// masqScript is the iptables-restore input that removes chain and the
// rules jumping to it, given `iptables -S` output; "" when there is no
// such chain. -S prints rules quoted the way -restore reads them.
func masqScript(rules []byte, chain string) string {
	var del []string
	found := false
	for _, line := range strings.Split(string(rules), "\n") {
		switch {
		case line == "-N "+chain:
			found = true
		case strings.HasPrefix(line, "-A ") && strings.HasSuffix(line, " -j "+chain):
			del = append(del, "-D "+line[3:])
		}
	}
	if !found {
		return ""
	}
	return "*nat\n" + strings.Join(append(del, "-F "+chain, "-X "+chain), "\n") + "\nCOMMIT\n"
}

// lookSbin finds a tool in PATH or the sbin directories.
func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if p, err := exec.LookPath(d + "/" + name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not installed", name)
}
