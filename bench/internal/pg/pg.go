package pg

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// binDirs are where PostgreSQL's server programs are looked for, after
// PATH.
var binDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"}

// ErrNotInstalled is returned by Start when initdb or pg_ctl cannot be
// found.
var ErrNotInstalled = errors.New("PostgreSQL is not installed (no initdb and pg_ctl in PATH or /usr/lib/postgresql/*/bin)")

// Options are a cluster's settings.
type Options struct {
	// CPUs is a taskset CPU list the server runs on; "" for any.
	CPUs string
	// MaxConnections is max_connections; 0 for 200.
	MaxConnections int
}

// Cluster is a running throw-away PostgreSQL cluster, reached through a
// unix socket in its directory. Stop ends it and removes the directory.
type Cluster struct {
	dir, port, pgctl string
	opts             Options
	cred             *credential
}

// credential is the system user the server runs as under root.
type credential struct{ uid, gid int }

// Available says why a cluster cannot be started here, if it cannot.
func Available() error {
	for _, tool := range []string{"initdb", "pg_ctl"} {
		if _, err := findTool(tool); err != nil {
			return err
		}
	}
	return nil
}

// findTool returns the path of a PostgreSQL program.
func findTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range binDirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// Start makes a cluster in a new directory under the system's temporary
// directory (the postgres user must reach it) and starts it; it returns
// once the server accepts connections.
func Start(opts Options) (*Cluster, error) {
	initdb, err := findTool("initdb")
	if err != nil {
		return nil, err
	}
	pgctl, err := findTool("pg_ctl")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "starling-bench-pg-")
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL directory: %w", err)
	}
	c := &Cluster{dir: dir, pgctl: pgctl, opts: opts}
	if err := c.init(initdb); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// init runs initdb, as the postgres user under root.
func (c *Cluster) init(initdb string) error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, PostgreSQL needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &credential{uid, gid}
		if err := os.Chmod(c.dir, 0o755); err != nil {
			return fmt.Errorf("open the PostgreSQL directory: %w", err)
		}
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return fmt.Errorf("give the PostgreSQL directory to postgres: %w", err)
		}
	}
	return c.run(initdb, "-D", c.data(), "-U", "starling", "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync")
}

// data is the cluster's data directory.
func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs a PostgreSQL program as the cluster's user, on its CPUs.
func (c *Cluster) run(prog string, args ...string) error {
	argv := append([]string{prog}, args...)
	if c.cred != nil {
		argv = append([]string{"setpriv", "--reuid=" + strconv.Itoa(c.cred.uid), "--regid=" + strconv.Itoa(c.cred.gid), "--clear-groups"}, argv...)
	}
	if c.opts.CPUs != "" {
		argv = append([]string{"taskset", "-c", c.opts.CPUs}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(prog), strings.Join(args, " "), err, out)
	}
	return nil
}

// start runs pg_ctl start and waits until the server accepts connections.
func (c *Cluster) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("free port: %w", err)
	}
	c.port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) // names the socket file only
	ln.Close()
	maxConns := c.opts.MaxConnections
	if maxConns <= 0 {
		maxConns = 200
	}
	o := "-c listen_addresses='' -k " + c.dir + " -p " + c.port + " -c max_connections=" + strconv.Itoa(maxConns)
	return c.run(c.pgctl, "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", o, "-w", "-t", "60", "start")
}

// URL returns the libpq URL of the cluster's database "postgres", as the
// user starling (trusted).
func (c *Cluster) URL() string {
	return "postgres://starling@/postgres?host=" + c.dir + "&port=" + c.port + "&sslmode=disable"
}

// PID returns the postmaster's process id, the first line of its
// postmaster.pid; its children are the server's other processes.
func (c *Cluster) PID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("PostgreSQL's pid: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("PostgreSQL's pid: postmaster.pid starts with %q", line)
	}
	return pid, nil
}

// Log returns the server's log, for error messages.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	return string(b)
}

// Stop stops the server at once and removes its directory.
func (c *Cluster) Stop() error {
	err := c.run(c.pgctl, "-D", c.data(), "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(c.dir))
}
