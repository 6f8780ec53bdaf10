package layer

import (
	"fmt"
	"os/exec"
)

func execOutput(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return out, fmt.Errorf("%s %v: %w: %s", name, args, err, ee.Stderr)
	}
	return out, err
}
