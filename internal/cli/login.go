package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/auth"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type loginFlags struct {
	reg                 registryFlags
	user, pass          string
	passStdin, getLogin bool
}

func newLoginCommand() *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login [flags] REGISTRY",
		Short: "Log in to a registry",
		Long: `Check a user name and password against REGISTRY and, when it accepts them, keep
them in the auth file ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json,
mode 0600), as podman login does. Missing values are asked for on a terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runLogin(cmd, registryHost(args[0]), &f) },
	}
	fs := cmd.Flags()
	f.reg.add(fs, "", false)
	fs.StringVar(&f.reg.authfile, "authfile", "", "keep the credentials in `FILE`")
	fs.StringVarP(&f.user, "username", "u", "", "user name")
	fs.StringVarP(&f.pass, "password", "p", "", "password (visible to other users of this machine: prefer --password-stdin)")
	fs.BoolVar(&f.passStdin, "password-stdin", false, "read the password from standard input")
	fs.BoolVar(&f.getLogin, "get-login", false, "print the user name logged in to REGISTRY")
	return cmd
}

// registryHost turns docker://HOST, https://HOST/v2/ and the like into
// the host name credentials are kept under.
func registryHost(s string) string {
	return auth.NormalizeHost(strings.TrimPrefix(s, "docker://"))
}

func runLogin(cmd *cobra.Command, host string, f *loginFlags) error {
	if f.getLogin {
		cred, err := (&registryFlags{authfile: f.reg.authfile}).credentials(host)
		if err != nil {
			return err
		}
		c, err := cred.Get(cmd.Context(), host)
		if err != nil {
			return err
		}
		if c.Username == "" {
			return fmt.Errorf("not logged in to %s: %w", host, errdefs.ErrNotFound)
		}
		_, err = fmt.Fprintln(cmd.OutOrStdout(), c.Username)
		return err
	}
	if err := f.complete(cmd.InOrStdin(), cmd.ErrOrStderr()); err != nil {
		return err
	}
	c, err := f.reg.clientFor(registry.Reference{Registry: host}, progress.Discard, 0)
	if err != nil {
		return err
	}
	if err := c.Login(cmd.Context(), host, f.user, f.pass, f.reg.authfile); err != nil {
		return err
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), "Login Succeeded!")
	return err
}

// complete fills the user name and password from standard input: the
// password alone with --password-stdin, else by asking on a terminal.
func (f *loginFlags) complete(in io.Reader, prompt io.Writer) error {
	if f.passStdin {
		if f.pass != "" {
			return fmt.Errorf("--password and --password-stdin: give one: %w", errdefs.ErrInvalidArgument)
		}
		data, err := io.ReadAll(io.LimitReader(in, 64<<10))
		if err != nil {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		f.pass = strings.TrimRight(string(data), "\r\n")
	}
	if f.user != "" && (f.pass != "" || f.passStdin) {
		return nil
	}
	file, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(file.Fd())) {
		return fmt.Errorf("login: give --username and --password (or --password-stdin): %w", errdefs.ErrInvalidArgument)
	}
	if f.user == "" {
		fmt.Fprint(prompt, "Username: ")
		line, err := bufio.NewReader(file).ReadString('\n')
		if err != nil {
			return fmt.Errorf("read user name: %w", err)
		}
		f.user = strings.TrimSpace(line)
	}
	if f.pass == "" {
		fmt.Fprint(prompt, "Password: ")
		pass, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return fmt.Errorf("read password: %w", err)
		}
		f.pass = string(pass)
	}
	return nil
}
