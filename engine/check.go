package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/engine/network"
	"github.com/berth-oci/berth/engine/snapshot"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// Problem is one thing Check found wrong with the store.
type Problem struct {
	// Kind names the kind of problem ("snapshot-temporary", ...).
	Kind string `json:"kind"`
	// Object is what it concerns: a path, an ID, a name.
	Object string `json:"object"`
	Detail string `json:"detail"`
	// Repaired is true once a repair fixed it.
	Repaired bool `json:"repaired"`
}

// checker collects problems and repairs them when asked.
type checker struct {
	e        *Engine
	ctx      context.Context
	repair   bool
	problems []Problem
}

// found records a problem, running fix when repairing.
func (c *checker) found(kind, object, detail string, fix func() error) {
	p := Problem{Kind: kind, Object: object, Detail: detail}
	if c.repair && fix != nil {
		if err := fix(); err != nil {
			p.Detail += " (repair failed: " + err.Error() + ")"
		} else {
			p.Repaired = true
		}
	}
	c.problems = append(c.problems, p)
}

// Check looks for what crashes and kills leave in the store, and with
// repair fixes it: temporary snapshot directories and unfinished blob
// writes, records whose data is gone (images missing blobs, snapshots
// missing directories, containers missing directories) and data no record
// names, containers whose monitor or runtime state is gone, runtime state
// and mounts of containers that do not run, and the database's own
// consistency. It holds the store's collection lock, so no pull, load or
// create runs meanwhile; running containers are not disturbed.
func (e *Engine) Check(ctx context.Context, repair bool) ([]Problem, error) {
	lk, err := e.collectStore()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	c := &checker{e: e, ctx: ctx, repair: repair}
	steps := []func() error{c.database, c.containers, c.runtimeStates, c.networks, c.imageNames, c.images, c.snapshots, c.volumes, c.garbage}
	for _, step := range steps {
		if err := step(); err != nil {
			return c.problems, err
		}
	}
	return c.problems, nil
}

// database runs bbolt's own consistency check.
func (c *checker) database() error {
	return c.e.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			c.found("database", dbFile, err.Error(), nil)
		}
		return nil
	})
}

func (c *checker) containers() error {
	var recs []*containerRecord
	if err := c.e.view(func(tx *bolt.Tx) error { var err error; recs, err = allContainers(tx); return err }); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, r := range recs {
		known[r.ID] = true
		c.container(r)
	}
	entries, err := os.ReadDir(c.e.path(containersDir))
	if err != nil {
		return err
	}
	for _, ent := range entries {
		id := ent.Name()
		if known[id] {
			continue
		}
		dir := c.e.ctrDir(id)
		c.found("container-directory", dir, "a container directory without a record", func() error {
			if err := snapshot.Unmount(filepath.Join(dir, ctrRootfs)); err != nil {
				return err
			}
			return os.RemoveAll(dir)
		})
	}
	return c.e.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketContainerNames).ForEach(func(k, v []byte) error {
			if !known[string(v)] {
				name := string(k)
				c.found("container-name", name, "a container name of no container", func() error {
					return c.e.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketContainerNames).Delete([]byte(name)) })
				})
			}
			return nil
		})
	})
}

// container checks one container against its directory, processes,
// mount and runtime state.
func (c *checker) container(r *containerRecord) {
	e := c.e
	if _, err := os.Stat(e.ctrDir(r.ID)); errors.Is(err, os.ErrNotExist) {
		c.found("container-record", r.ID, fmt.Sprintf("container %s has no directory", r.Name), func() error {
			return e.update(func(tx *bolt.Tx) error {
				if string(tx.Bucket(bucketContainerNames).Get([]byte(r.Name))) == r.ID {
					tx.Bucket(bucketContainerNames).Delete([]byte(r.Name))
				}
				return tx.Bucket(bucketContainers).Delete([]byte(r.ID))
			})
		})
		return
	}
	recorded, _ := e.readState(r.ID)
	st := e.currentState(r.ID)
	running := st.Status == StatusRunning || st.Status == StatusPaused
	switch {
	case running && !alive(st.MonitorPid, st.MonitorStart):
		c.found("container-monitor", r.ID, fmt.Sprintf("container %s runs without its monitor: nobody will record its end", r.Name), func() error {
			e.kill(c.ctx, r, unix.SIGKILL, true)
			e.waitExit(c.ctx, r, 10*time.Second)
			if err := e.runtime(r).Delete(c.ctx, r.ID, true); err != nil {
				return err
			}
			return e.finish(c.ctx, r, 137, errors.New("killed by a repair: its monitor was gone"))
		})
		return
	case running:
		return
	case recorded.Status == StatusRunning || recorded.Status == StatusPaused:
		c.found("container-state", r.ID, fmt.Sprintf("container %s ended without its end being recorded", r.Name), func() error {
			return e.finish(c.ctx, r, -1, errors.New(st.Error))
		})
		return
	}
	if ok, _ := snapshot.IsMounted(e.ctrPath(r.ID, ctrRootfs)); ok {
		c.found("container-mount", e.ctrPath(r.ID, ctrRootfs), fmt.Sprintf("container %s is not running but its root filesystem is mounted", r.Name), func() error {
			return snapshot.Unmount(e.ctrPath(r.ID, ctrRootfs))
		})
	}
	if _, err := os.Stat(filepath.Join(e.runtime(r).Root, r.ID)); err == nil {
		c.found("runtime-state", r.ID, fmt.Sprintf("container %s is not running but its runtime still has it", r.Name), func() error {
			return e.runtime(r).Delete(c.ctx, r.ID, true)
		})
	}
}

// networks finds network attachments, namespaces and addresses of
// containers that do not run (or do not exist).
func (c *checker) networks() error {
	if _, err := os.Stat(filepath.Join(c.e.runRoot, "networks")); err != nil {
		return nil // no container ever joined a network
	}
	m, err := c.e.networks()
	if err != nil {
		return err
	}
	inUse := func(id string) bool {
		st := c.e.currentState(id)
		if st.Status == StatusRunning || st.Status == StatusPaused {
			return true
		}
		// A container on its way up (or down) holds its lock: its network
		// may be attached before its state says running.
		lk, err := tryLock(c.e.ctrPath(id, ctrLock), true)
		if lk == nil {
			return err == nil || !errors.Is(err, os.ErrNotExist)
		}
		lk.Unlock()
		return false
	}
	found, err := m.Check(c.ctx, inUse)
	if err != nil {
		return err
	}
	for _, l := range found {
		l := l
		c.found("network-"+l.Kind, l.Path, l.String(), func() error { return m.Repair(c.ctx, []network.Leftover{l}) })
	}
	return nil
}

// runtimeStates finds runtime state of containers the store does not have.
func (c *checker) runtimeStates() error {
	var recs []*containerRecord
	if err := c.e.view(func(tx *bolt.Tx) error { var err error; recs, err = allContainers(tx); return err }); err != nil {
		return err
	}
	known := map[string]bool{}
	runtimes := map[string]string{} // state directory → binary
	for _, r := range recs {
		known[r.ID] = true
		runtimes[c.e.runtime(r).Root] = r.Runtime
	}
	if def, err := c.e.DefaultRuntime(); err == nil {
		runtimes[c.e.runtime(&containerRecord{Runtime: def}).Root] = def
	}
	dirs, _ := filepath.Glob(filepath.Join(c.e.runRoot, "runtime", "*", "*"))
	for _, d := range dirs {
		id := filepath.Base(d)
		if known[id] || !isContainerID(id) {
			continue
		}
		root := filepath.Dir(d)
		c.found("runtime-state", d, "runtime state of a container the store does not have", func() error {
			if bin, ok := runtimes[root]; ok {
				r := &containerRecord{ID: id, Runtime: bin}
				if err := c.e.runtime(r).Delete(c.ctx, id, true); err == nil {
					return nil
				}
			}
			return os.RemoveAll(d)
		})
	}
	return nil
}

func isContainerID(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// imageNames checks that names and images point at each other.
func (c *checker) imageNames() error {
	return c.e.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketImageNames).ForEach(func(k, v []byte) error {
			name, id := string(k), digest.Digest(v)
			img, err := getImage(tx, id)
			if err == nil && slices.Contains(img.Names, name) {
				return nil
			}
			c.found("image-name", name, "a name of no image", func() error {
				return c.e.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketImageNames).Delete([]byte(name)) })
			})
			return nil
		})
	})
}

// images checks that every image's blobs are stored.
func (c *checker) images() error {
	imgs, err := c.e.Images(c.ctx)
	if err != nil {
		return err
	}
	for _, img := range imgs {
		missing := c.missingBlobs(img)
		if len(missing) == 0 {
			continue
		}
		id := img.ID
		c.found("image-blobs", id.String(), fmt.Sprintf("image %s (%s) lacks %d blobs, the first %s", shortID(id), strings.Join(img.Names, ", "), len(missing), missing[0]), func() error {
			return c.e.deleteImageRecords(id)
		})
	}
	return nil
}

func (c *checker) missingBlobs(img *Image) []digest.Digest {
	var out []digest.Digest
	need := []digest.Digest{img.Manifest.Digest, img.Config.Digest}
	if data, err := content.ReadBlob(c.ctx, c.e.content, img.Manifest); err == nil {
		if children, err := content.Children(c.ctx, c.e.content, img.Manifest); err == nil {
			for _, ch := range children {
				need = append(need, ch.Digest)
			}
		}
		_ = data
	}
	for _, d := range need {
		if _, err := c.e.content.Info(c.ctx, d); err != nil {
			out = append(out, d)
		}
	}
	return out
}

// snapshots checks records against directories, and temporaries.
func (c *checker) snapshots() error {
	var ls *liveSet
	if err := c.e.view(func(tx *bolt.Tx) error { var err error; ls, err = readLive(tx); return err }); err != nil {
		return err
	}
	for chain := range ls.snaps {
		if c.e.snaps.Exists(chain) {
			continue
		}
		key := chain.String()
		c.found("snapshot-record", key, "a snapshot record without its directory", func() error {
			return c.e.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSnapshots).Delete([]byte(key)) })
		})
	}
	onDisk, err := c.e.snaps.List()
	if err != nil {
		return err
	}
	for _, chain := range onDisk {
		if _, ok := ls.snaps[chain]; ok {
			continue
		}
		chain := chain
		c.found("snapshot-directory", c.e.snaps.Path(chain), "a snapshot directory without a record", func() error {
			return c.e.snaps.Remove(chain)
		})
	}
	temps, err := c.e.snaps.Temps()
	if err != nil {
		return err
	}
	for _, t := range temps {
		c.found("snapshot-temporary", t, "a snapshot left half made or half removed", func() error { return os.RemoveAll(t) })
	}
	return nil
}

// volumes checks volume records against their directories.
func (c *checker) volumes() error {
	vols, err := c.e.Volumes(c.ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, v := range vols {
		known[v.Name] = true
		if _, err := os.Stat(v.Mountpoint); err != nil {
			c.found("volume-directory", v.Name, "a volume without its directory", func() error { return os.MkdirAll(v.Mountpoint, 0o755) })
		}
	}
	entries, _ := os.ReadDir(c.e.path(volumesDir))
	for _, ent := range entries {
		name := ent.Name()
		if known[name] || !validName(name) {
			continue
		}
		c.found("volume-record", name, "a volume directory without a record: recorded again", func() error {
			return c.e.update(func(tx *bolt.Tx) error {
				return putJSON(tx, bucketVolumes, name, &Volume{Name: name, Mountpoint: c.e.volumeDir(name)})
			})
		})
	}
	return nil
}

// garbage finds what no record names (blobs, snapshots) and unfinished
// writes; a repair collects them.
func (c *checker) garbage() error {
	var ls *liveSet
	if err := c.e.view(func(tx *bolt.Tx) error { var err error; ls, err = readLive(tx); return err }); err != nil {
		return err
	}
	kept, err := content.Reachable(c.ctx, c.e.content, ls.roots)
	if err != nil {
		return err
	}
	var dead []string
	c.e.content.Walk(c.ctx, func(i content.Info) error {
		if _, ok := kept[i.Digest]; !ok {
			dead = append(dead, i.Digest.String())
		}
		return nil
	})
	onDisk, _ := c.e.snaps.List()
	for _, s := range onDisk {
		if !ls.chains[s] {
			dead = append(dead, "snapshot "+s.String())
		}
	}
	sort.Strings(dead)
	stale := c.staleWrites()
	if len(dead) == 0 && len(stale) == 0 {
		return nil
	}
	detail := fmt.Sprintf("%d blobs or snapshots no image needs, %d unfinished writes", len(dead), len(stale))
	c.found("leftovers", c.e.root, detail, func() error {
		for _, p := range stale {
			os.Remove(p)
		}
		_, err := c.e.collectLocked(c.ctx)
		return err
	})
	return nil
}

// staleWrites lists unfinished blob writes and commit layers nobody holds:
// under the collection lock no pull or commit runs.
func (c *checker) staleWrites() []string {
	var out []string
	if entries, err := os.ReadDir(c.e.content.IngestDir()); err == nil {
		for _, ent := range entries {
			p := filepath.Join(c.e.content.IngestDir(), ent.Name())
			if held, err := tryLock(p, true); err == nil && held != nil {
				held.Unlock()
				out = append(out, p)
			}
		}
	}
	commits, _ := filepath.Glob(c.e.path("content", "commit-*"))
	return append(out, commits...)
}
