package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
)

// List returns the state of every container under Root, by ID. A
// directory whose state cannot be read (a create in progress) is skipped.
func (r *Runtime) List() ([]*State, error) {
	entries, err := os.ReadDir(r.root())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers in %s: %w", r.root(), err)
	}
	var out []*State
	for _, e := range entries {
		if !e.IsDir() || checkID(e.Name()) != nil {
			continue
		}
		rec, err := r.load(e.Name())
		if err != nil {
			continue
		}
		out = append(out, r.stateOf(rec))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
