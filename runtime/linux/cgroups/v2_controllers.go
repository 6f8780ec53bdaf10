package cgroups

import (
	"slices"
	"strings"
)

// makeV2Dir creates dir on a cgroup2 mount, enabling on the way down every
// controller each level offers in its cgroup.subtree_control, so that dir
// gets the interface files of all of them. A controller the kernel refuses
// to enable (a level holding processes, a threaded subtree) is skipped: a
// resource that needs it fails in Set with the controller named.
func makeV2Dir(dir string) ([]string, error) {
	var levels []string // the ancestors inside the mount, existing or not
	for d := parentDir(dir); ; d = parentDir(d) {
		if isDir(d) && !exists(d, "cgroup.controllers") {
			break // left the cgroup2 mount
		}
		levels = append(levels, d)
		if d == parentDir(d) {
			break
		}
	}
	var made []string
	for _, d := range slices.Backward(levels) {
		m, err := mkdirTracked(d)
		made = append(made, m...)
		if err != nil {
			return made, err
		}
		enableControllers(d)
	}
	m, err := mkdirTracked(dir)
	return append(made, m...), err
}

// enableControllers writes "+ctrl" for each controller dir has but does not
// yet pass on. One write per controller, so that one refusal does not stop
// the others.
func enableControllers(dir string) {
	avail, err := readFile(dir, "cgroup.controllers")
	if err != nil {
		return
	}
	on, _ := readFile(dir, "cgroup.subtree_control")
	enabled := strings.Fields(on)
	for _, c := range strings.Fields(avail) {
		if !slices.Contains(enabled, c) {
			_ = writeFile(dir, "cgroup.subtree_control", "+"+c)
		}
	}
}

// v2Has reports whether dir's cgroup has controller ctrl (its parent passes
// it on).
func v2Has(dir, ctrl string) bool {
	avail, err := readFile(dir, "cgroup.controllers")
	return err == nil && slices.Contains(strings.Fields(avail), ctrl)
}
