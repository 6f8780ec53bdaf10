package rootfs

import (
	"testing"
)

func TestRootRuncDefault(t *testing.T) {
	c := newContainer(t)
	out := c.run(t, "cat /proc/self/mountinfo; ls -la /dev; stat -c '%t:%T %a %F' /dev/null")
	t.Log(out)
}
