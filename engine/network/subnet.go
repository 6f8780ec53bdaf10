package network

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// autoSubnets is the pool `network create` takes /24s from when given no
// subnet: 10.89.1.0/24, 10.89.2.0/24, ... (10.89.0.0/24 is the default
// network's).
var autoSubnets = netip.MustParsePrefix("10.89.0.0/16")

// freeSubnet is the first /24 of the pool that overlaps none of used.
func freeSubnet(used []netip.Prefix) (netip.Prefix, error) {
	base := autoSubnets.Addr().As4()
	for i := 1; i < 256; i++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{base[0], base[1], byte(i), 0}), 24)
		if !overlapsAny(p, used) {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free subnet left in %s (give one with --subnet): %w", autoSubnets, errdefs.ErrUnavailable)
}

func overlapsAny(p netip.Prefix, used []netip.Prefix) bool {
	for _, u := range used {
		if u.Overlaps(p) {
			return true
		}
	}
	return false
}

// hostRoutes are the destinations of the host's routes other than the
// default ones: subnets a new network must not shadow.
func hostRoutes() []netip.Prefix {
	// /proc/net is the main thread's namespace's; thread-self is this
	// thread's, which is the host's (see onFreshThread).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out []netip.Prefix
	if data, err := os.ReadFile("/proc/thread-self/net/route"); err == nil {
		out = append(out, parseRoutes4(data)...)
	}
	if data, err := os.ReadFile("/proc/thread-self/net/ipv6_route"); err == nil {
		out = append(out, parseRoutes6(data)...)
	}
	return out
}

// parseRoutes4 reads /proc/net/route: a header line, then per route the
// interface, destination, gateway, flags, refcnt, use, metric and mask,
// addresses in hex in the machine's byte order.
func parseRoutes4(data []byte) []netip.Prefix {
	var out []netip.Prefix
	sc := bufio.NewScanner(bytes.NewReader(data))
	for first := true; sc.Scan(); first = false {
		f := strings.Fields(sc.Text())
		if first || len(f) < 8 {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		mask, err2 := strconv.ParseUint(f[7], 16, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		var d, m [4]byte
		binary.NativeEndian.PutUint32(d[:], uint32(dst))
		binary.NativeEndian.PutUint32(m[:], uint32(mask))
		bits := 0
		for _, b := range m {
			bits += onesCount(b)
		}
		if p, err := netip.AddrFrom4(d).Prefix(bits); err == nil && bits > 0 {
			out = append(out, p)
		}
	}
	return out
}

func onesCount(b byte) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

// parseRoutes6 reads /proc/net/ipv6_route: destination (32 hex digits)
// and prefix length (hex) first on each line. Link-local, multicast and
// host routes are not subnets anyone would pick, and are skipped.
func parseRoutes6(data []byte) []netip.Prefix {
	var out []netip.Prefix
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || len(f[0]) != 32 {
			continue
		}
		raw, err := hex.DecodeString(f[0])
		bits, err2 := strconv.ParseUint(f[1], 16, 8)
		if err != nil || err2 != nil || bits == 0 || bits > 127 {
			continue
		}
		a := netip.AddrFrom16([16]byte(raw))
		if a.IsLinkLocalUnicast() || a.IsMulticast() {
			continue
		}
		if p, err := a.Prefix(int(bits)); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// checkInterfaceName refuses bridge names the kernel would.
func checkInterfaceName(name string) error {
	if name == "" || len(name) > 15 || name == "." || name == ".." || strings.ContainsAny(name, "/: \t\n") {
		return fmt.Errorf("interface name %q: want 1 to 15 characters without '/', ':' or spaces: %w", name, errdefs.ErrInvalidArgument)
	}
	return nil
}

// linkExists reports whether the host has an interface called name.
func linkExists(name string) bool {
	_, err := os.Lstat("/sys/class/net/" + name)
	return err == nil
}

// freeInterface is the first "berthN" (N from 1) neither in used nor on
// the host.
func freeInterface(used map[string]bool) (string, error) {
	for i := 1; i < 10000; i++ {
		name := "berth" + strconv.Itoa(i)
		if !used[name] && !linkExists(name) {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free bridge name left: %w", errdefs.ErrUnavailable)
}
