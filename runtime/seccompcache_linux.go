package runtime

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/berth-oci/berth/runtime/linux/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Compiling a podman-sized profile costs ~0.4 ms (it was ~10 ms with
// libseccomp), on every create, for the same few profiles again and again.
// The runtime keeps what it compiled under Root, one file per profile:
//
//	@seccomp/<key>: sha256(key || filter) || filter
//
// where filter is seccomp.Filter's MarshalBinary and key the hex SHA-256 of
// everything the compiled program depends on: the profile, the runtime
// binary (its BPF generator and the syscall tables compiled into it) and
// the kernel (the flags and actions it offers). A file is written to a temporary name and
// renamed into place, and read back only when its checksum and its shape
// (UnmarshalBinary) hold: a torn or foreign file is a miss, never a
// filter. Only profiles that compiled are kept, so a bad one fails as
// before, with its error.

// seccompDir holds the cache; "@" keeps it apart from container IDs.
const seccompDir = "@seccomp"

// maxSeccompEntries bounds the cache: beyond it the oldest entries go.
const maxSeccompEntries = 64

// compileSeccomp compiles linux.seccomp once, in create, so that a bad
// profile fails before anything is made; the init loads the result. A
// profile compiled before comes from the cache.
func (r *Runtime) compileSeccomp(spec *specs.Spec) (filter []byte, notify bool, err error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, false, nil
	}
	key, kerr := seccompKey(spec.Linux.Seccomp)
	if kerr == nil {
		if b, f, ok := r.cachedSeccomp(key); ok {
			return b, f.Notify(), nil
		}
	}
	f, err := seccomp.Compile(spec.Linux.Seccomp)
	if err != nil {
		return nil, false, fmt.Errorf("config.json: linux.seccomp: %w", err)
	}
	b, err := f.MarshalBinary()
	if err != nil {
		return nil, false, fmt.Errorf("encode seccomp filter: %w", err)
	}
	if kerr == nil {
		if err := r.storeSeccomp(key, b); err != nil {
			r.log().Debug("seccomp cache: not stored", "err", err)
		}
	}
	return b, f.Notify(), nil
}

// seccompKey names a profile's compiled form on this binary and kernel.
func seccompKey(sc *specs.LinuxSeccomp) (string, error) {
	profile, err := json.Marshal(sc)
	if err != nil {
		return "", err
	}
	var exe unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &exe); err != nil {
		return "", err
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "berth-runtime seccomp cache 1\nbinary %x %x %x %x\nkernel %s %s %s\n",
		exe.Dev, exe.Ino, exe.Size, exe.Mtim.Nano(),
		unix.ByteSliceToString(uts.Release[:]), unix.ByteSliceToString(uts.Version[:]), unix.ByteSliceToString(uts.Machine[:]))
	h.Write(profile)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func seccompSum(key string, filter []byte) []byte {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write(filter)
	return h.Sum(nil)
}

// cachedSeccomp returns the filter stored under key, if it is whole.
func (r *Runtime) cachedSeccomp(key string) ([]byte, *seccomp.Filter, bool) {
	b, err := os.ReadFile(filepath.Join(r.root(), seccompDir, key))
	if err != nil || len(b) < sha256.Size {
		return nil, nil, false
	}
	sum, filter := b[:sha256.Size], b[sha256.Size:]
	if !bytes.Equal(sum, seccompSum(key, filter)) {
		r.log().Debug("seccomp cache: entry fails its checksum", "key", key)
		return nil, nil, false
	}
	var f seccomp.Filter
	if err := f.UnmarshalBinary(filter); err != nil {
		return nil, nil, false
	}
	return filter, &f, true
}

// storeSeccomp writes an entry atomically and keeps the cache bounded.
func (r *Runtime) storeSeccomp(key string, filter []byte) error {
	dir := filepath.Join(r.root(), seccompDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data := append(seccompSum(key, filter), filter...)
	if err := replaceFile(filepath.Join(dir, key), data, 0o600); err != nil {
		return err
	}
	return pruneSeccomp(dir, maxSeccompEntries)
}

// pruneSeccomp removes the oldest entries beyond limit (and temporary
// files a crash left, once they are among the oldest).
func pruneSeccomp(dir string, limit int) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= limit {
		return err
	}
	type aged struct {
		name string
		mod  int64
	}
	var all []aged
	for _, e := range entries {
		if fi, err := e.Info(); err == nil {
			all = append(all, aged{e.Name(), fi.ModTime().UnixNano()})
		}
	}
	slices.SortFunc(all, func(a, b aged) int { return cmp.Compare(a.mod, b.mod) })
	for _, a := range all[:max(len(all)-limit, 0)] {
		os.Remove(filepath.Join(dir, a.name))
	}
	return nil
}
