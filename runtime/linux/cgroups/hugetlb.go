package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setHugetlb writes each page size's limit. The spec wants the reservation
// limit where the kernel has one (Linux 5.7: enforced at mmap time, so a
// process gets ENOMEM rather than SIGBUS at fault time) and the usage limit
// otherwise; both are written, so the usage limit never undercuts the
// reservation. The file names differ: v1 hugetlb.2MB.limit_in_bytes and
// hugetlb.2MB.rsvd.limit_in_bytes, v2 hugetlb.2MB.max and hugetlb.2MB.rsvd.max.
func setHugetlb(dir string, limits []specs.LinuxHugepageLimit, v2 bool) error {
	for _, l := range limits {
		usage, rsvd := hugetlbFiles(l.Pagesize, v2)
		value := fmt.Sprint(l.Limit)
		if err := writeKnob(dir, usage, value, "hugepageLimits "+l.Pagesize); err != nil {
			return err
		}
		if exists(dir, rsvd) {
			if err := writeFile(dir, rsvd, value); err != nil {
				return err
			}
		}
	}
	return nil
}

func hugetlbFiles(size string, v2 bool) (usage, rsvd string) {
	if v2 {
		return "hugetlb." + size + ".max", "hugetlb." + size + ".rsvd.max"
	}
	return "hugetlb." + size + ".limit_in_bytes", "hugetlb." + size + ".rsvd.limit_in_bytes"
}
