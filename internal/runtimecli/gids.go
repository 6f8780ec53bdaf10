package runtimecli

import (
	"fmt"
	"strconv"
	"strings"
)

// gidsValue is a repeatable --additional-gids flag.
type gidsValue struct{ gids *[]uint32 }

func newGidsValue(g *[]uint32) *gidsValue { return &gidsValue{gids: g} }

func (v *gidsValue) String() string { return fmt.Sprint(*v.gids) }
func (v *gidsValue) Type() string   { return "gid" }
func (v *gidsValue) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 32)
		if err != nil {
			return fmt.Errorf("additional gid %q is not a number", f)
		}
		*v.gids = append(*v.gids, uint32(n))
	}
	return nil
}
