package bundle

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// passwdEntry and groupEntry are the fields of /etc/passwd and /etc/group
// that a container's user needs.
type passwdEntry struct {
	name     string
	uid, gid uint32
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// ResolveUser turns an image's User ("user", "uid", "user:group",
// "uid:gid", …) into the process user of conversion.md, reading
// /etc/passwd and /etc/group inside rootfs (never following a symbolic link
// out of it). A name that is not there is an error; numbers need no entry.
// Supplementary groups are looked up only for a user given by name without
// a group.
func ResolveUser(rootfs, spec string) (specs.User, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" || (hasGroup && groupPart == "") {
		return specs.User{}, fmt.Errorf("user %q: want user[:group]: %w", spec, errdefs.ErrInvalidArgument)
	}
	users, err := readPasswd(rootfs)
	if err != nil {
		return specs.User{}, err
	}
	var u specs.User
	entry, found := lookupUser(users, userPart)
	uid, numeric := parseID(userPart)
	switch {
	case numeric:
		u.UID = uid
		if found {
			u.GID = entry.gid
		}
	case found:
		u.UID, u.GID = entry.uid, entry.gid
	default:
		return specs.User{}, fmt.Errorf("user %q: no such user in the image's /etc/passwd: %w", userPart, errdefs.ErrNotFound)
	}
	groups, err := readGroup(rootfs)
	if err != nil {
		return specs.User{}, err
	}
	if hasGroup {
		gid, ok := resolveGroup(groups, groupPart)
		if !ok {
			return specs.User{}, fmt.Errorf("group %q: no such group in the image's /etc/group: %w", groupPart, errdefs.ErrNotFound)
		}
		u.GID = gid
		return u, nil
	}
	if !numeric {
		u.AdditionalGids = memberOf(groups, entry.name, u.GID)
	}
	return u, nil
}

func parseID(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

func lookupUser(users []passwdEntry, s string) (passwdEntry, bool) {
	id, numeric := parseID(s)
	for _, u := range users {
		if (numeric && u.uid == id) || (!numeric && u.name == s) {
			return u, true
		}
	}
	return passwdEntry{}, false
}

func resolveGroup(groups []groupEntry, s string) (uint32, bool) {
	if id, ok := parseID(s); ok {
		return id, true
	}
	for _, g := range groups {
		if g.name == s {
			return g.gid, true
		}
	}
	return 0, false
}

// memberOf lists the groups naming user as a member, other than primary.
func memberOf(groups []groupEntry, user string, primary uint32) []uint32 {
	var out []uint32
	seen := map[uint32]bool{primary: true}
	for _, g := range groups {
		for _, m := range g.members {
			if m == user && !seen[g.gid] {
				seen[g.gid] = true
				out = append(out, g.gid)
			}
		}
	}
	return out
}

func readPasswd(rootfs string) ([]passwdEntry, error) {
	var out []passwdEntry
	err := readColonFile(rootfs, "etc/passwd", func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if ok1 && ok2 {
			out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid})
		}
	})
	return out, err
}

func readGroup(rootfs string) ([]groupEntry, error) {
	var out []groupEntry
	err := readColonFile(rootfs, "etc/group", func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, ok := parseID(f[2])
		if !ok {
			return
		}
		g := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	})
	return out, err
}

// maxDBSize bounds what is read of /etc/passwd or /etc/group: an image is
// untrusted input.
const maxDBSize = 16 << 20

// readColonFile calls fn with the fields of each line of the file rel
// inside rootfs; a missing file has no lines.
func readColonFile(rootfs, rel string, fn func([]string)) error {
	f, err := openInRoot(rootfs, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the image's /%s: %w", rel, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxDBSize))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the image's /%s: %w", rel, err)
	}
	return nil
}
