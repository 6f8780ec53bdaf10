package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/auth"
	"github.com/spf13/pflag"
)

// registryFlags are how a verb reaches a registry: skopeo's --tls-verify,
// --cert-dir, --creds, --no-creds and --authfile, with a prefix (src-,
// dest-) where a verb talks to two.
type registryFlags struct {
	tlsVerify bool
	certDir   string
	creds     string
	noCreds   bool
	authfile  string
}

func (f *registryFlags) add(fs *pflag.FlagSet, prefix string, withCreds bool) {
	fs.BoolVar(&f.tlsVerify, prefix+"tls-verify", true, "require HTTPS and verify certificates (false also allows plain HTTP)")
	fs.StringVar(&f.certDir, prefix+"cert-dir", "", "use certificates (*.crt CAs, *.cert/*.key client pairs) from `DIR` instead of /etc/containers/certs.d/HOST")
	if withCreds {
		fs.StringVar(&f.creds, prefix+"creds", "", "`USER:PASSWORD` to present to the registry")
		fs.BoolVar(&f.noCreds, prefix+"no-creds", false, "access the registry anonymously")
		fs.StringVar(&f.authfile, prefix+"authfile", "", "read credentials from `FILE` (default: $REGISTRY_AUTH_FILE, auth.json, ~/.docker/config.json)")
	}
}

// clientFor builds the client for ref's registry.
// parallel bounds parallel transfers; 0 means the client's default.
func (f *registryFlags) clientFor(ref registry.Reference, rep progress.Reporter, parallel int) (*registry.Client, error) {
	src, err := f.credentials(ref.Registry)
	if err != nil {
		return nil, err
	}
	return registry.New(registry.Options{
		Credentials:        src,
		CertDir:            f.certDir,
		InsecureSkipVerify: !f.tlsVerify,
		PlainHTTP:          !f.tlsVerify,
		Progress:           rep,
		Concurrency:        parallel,
	}), nil
}

func (f *registryFlags) credentials(host string) (auth.Source, error) {
	switch {
	case f.noCreds && f.creds != "":
		return nil, fmt.Errorf("--creds and --no-creds contradict each other: %w", errdefs.ErrInvalidArgument)
	case f.noCreds:
		return auth.Anonymous, nil
	case f.creds != "":
		user, pass, ok := strings.Cut(f.creds, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("--creds: want USER:PASSWORD: %w", errdefs.ErrInvalidArgument)
		}
		return auth.Static{host: {Username: user, Password: pass}}, nil
	case f.authfile != "":
		files := auth.DefaultFiles()
		files.Paths = append([]string{f.authfile}, files.Paths[1:]...)
		return files, nil
	}
	return auth.DefaultFiles(), nil
}

// parseDockerRef parses REF or docker://REF.
func parseDockerRef(s string) (registry.Reference, error) {
	return registry.ParseReference(strings.TrimPrefix(s, "docker://"))
}

// parseDockerRepo parses REPO or docker://REPO, with no default tag.
func parseDockerRepo(s string) (registry.Reference, error) {
	return registry.ParseRepository(strings.TrimPrefix(s, "docker://"))
}

// renderer shows transfers on w unless quiet; Close it when done.
func renderer(w io.Writer, quiet bool) progress.Renderer {
	if quiet {
		return quietRenderer{}
	}
	return progress.NewRenderer(w)
}

type quietRenderer struct{}

func (quietRenderer) Report(progress.Event) {}
func (quietRenderer) Close() error          { return nil }
