package cgroups

// setV1Devices resets the list to deny everything, then applies the rules in
// order, as the spec asks: an allow rule is written to devices.allow, a deny
// rule to devices.deny. No rules leaves the list alone.
//
// On a running container the reset opens a moment in which its processes
// can open no device; berth-runtime update only gets there when the update
// names devices.
func setV1Devices(dir string, rules []deviceRule) error {
	if len(rules) == 0 {
		return nil
	}
	if err := writeFile(dir, "devices.deny", "a"); err != nil {
		return err
	}
	for _, r := range rules {
		file := "devices.deny"
		if r.allow {
			file = "devices.allow"
		}
		for _, line := range r.v1Lines() {
			if err := writeFile(dir, file, line); err != nil {
				return err
			}
		}
	}
	return nil
}
