package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/layer"
	"github.com/spf13/cobra"
)

func newImageUnpackCommand() *cobra.Command {
	var platform string
	var uidMaps, gidMaps []string
	var o bundle.UnpackOptions
	cmd := &cobra.Command{
		Use:   "unpack oci:PATH[:NAME] BUNDLE",
		Short: "Make a runtime bundle (rootfs and config.json) of an image",
		Long: `Make an OCI runtime bundle of an image: BUNDLE/rootfs with every layer applied
(each verified against its digest and diff_id) and BUNDLE/config.json converted
from the image config on top of a secure default. berth-runtime and runc run the
bundle as it is. BUNDLE must not exist or be empty.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := platformFlag(platform)
			if err != nil {
				return err
			}
			if o.UIDMap, err = parseIDMaps("--uid-map", uidMaps); err != nil {
				return err
			}
			if o.GIDMap, err = parseIDMaps("--gid-map", gidMaps); err != nil {
				return err
			}
			l, r, err := openLayout(args[0])
			if err != nil {
				return err
			}
			res, err := l.ResolveImage(cmd.Context(), r.Name, p)
			if err != nil {
				return err
			}
			o.DefaultArgs = []string{"sh"}
			o.Warn = func(msg string) { fmt.Fprintln(cmd.ErrOrStderr(), "berth: warning:", msg) }
			img := bundle.Image{Descriptor: res.Descriptor, Manifest: res.Manifest, Config: res.Config, Store: l.Store()}
			return bundle.Unpack(cmd.Context(), img, args[1], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&platform, "platform", "", "platform to choose from an index (default: this host's)")
	f.BoolVar(&o.Rootless, "rootless", os.Geteuid() != 0, "unpack without privileges (no ownership, no device nodes) and write a rootless config")
	f.StringArrayVar(&uidMaps, "uid-map", nil, "shift file owners: CONTAINERID:HOSTID:SIZE (repeatable)")
	f.StringArrayVar(&gidMaps, "gid-map", nil, "shift file groups: CONTAINERID:HOSTID:SIZE (repeatable)")
	f.BoolVar(&o.Terminal, "terminal", false, "set process.terminal in config.json")
	f.BoolVar(&o.ReadOnly, "read-only", false, "make the root filesystem read-only in config.json")
	f.BoolVar(&o.VolumesTmpfs, "volumes-tmpfs", false, "mount a tmpfs on each of the image's Volumes")
	return cmd
}

func parseIDMaps(flag string, specs []string) ([]layer.IDMap, error) {
	var out []layer.IDMap
	for _, s := range specs {
		parts := strings.Split(s, ":")
		var n [3]uint32
		ok := len(parts) == 3
		for i := 0; ok && i < 3; i++ {
			v, err := strconv.ParseUint(parts[i], 10, 32)
			n[i], ok = uint32(v), err == nil
		}
		if !ok || n[2] == 0 {
			return nil, fmt.Errorf("%s %q: want CONTAINERID:HOSTID:SIZE: %w", flag, s, errdefs.ErrInvalidArgument)
		}
		out = append(out, layer.IDMap{ContainerID: n[0], HostID: n[1], Size: n[2]})
	}
	return out, nil
}
