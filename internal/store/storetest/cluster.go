package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// binDirs are where PostgreSQL's server programs are looked for, after
// PATH.
var binDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"}

// ErrNoPostgres is returned by StartCluster when initdb or pg_ctl cannot
// be found.
var ErrNoPostgres = errors.New("PostgreSQL is not installed (no initdb and pg_ctl in PATH or /usr/lib/postgresql/*/bin)")

// Cluster is a throw-away PostgreSQL cluster. Its databases are reached
// through a unix socket in its directory; Stop ends it and removes the
// directory.
type Cluster struct {
	dir, socket, port, pgctl string
	cred                     *credential
	admin                    *sql.DB
	next                     atomic.Int64
}

// credential is the system user the server runs as when the tests run as
// root (PostgreSQL refuses to run as root).
type credential struct{ uid, gid int }

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
	return "", ErrNoPostgres
}

// StartCluster makes a cluster in a new temporary directory and starts
// it. When the process runs as root, the cluster runs as the postgres
// system user.
func StartCluster() (*Cluster, error) {
	initdb, err := findTool("initdb")
	if err != nil {
		return nil, err
	}
	pgctl, err := findTool("pg_ctl")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "starling-pg-")
	if err != nil {
		return nil, fmt.Errorf("make the cluster directory: %w", err)
	}
	c := &Cluster{dir: dir, socket: dir, pgctl: pgctl}
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

// init runs initdb.
func (c *Cluster) init(initdb string) error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, the cluster needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &credential{uid, gid}
		if err := os.Chmod(c.dir, 0o755); err != nil {
			return fmt.Errorf("open the cluster directory: %w", err)
		}
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return fmt.Errorf("give the cluster directory to postgres: %w", err)
		}
	}
	return c.run(initdb, "-D", c.data(), "-U", "starling", "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync")
}

// data is the cluster's data directory.
func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs a PostgreSQL program as the cluster's user.
func (c *Cluster) run(prog string, args ...string) error {
	cmd := exec.Command(prog, args...)
	if c.cred != nil {
		all := append([]string{"--reuid=" + strconv.Itoa(c.cred.uid), "--regid=" + strconv.Itoa(c.cred.gid), "--clear-groups", prog}, args...)
		cmd = exec.Command("setpriv", all...)
	}
	cmd.Dir = c.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(prog), strings.Join(args, " "), err, out)
	}
	return nil
}

// freePort returns a TCP port nobody listens on: the socket file's name
// carries it.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// start runs pg_ctl start and waits until the server accepts connections.
func (c *Cluster) start() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.port = port
	opts := "-c listen_addresses='' -k " + c.socket + " -p " + port +
		" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
	if err := c.run(c.pgctl, "-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return err
	}
	admin, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		c.Stop()
		return fmt.Errorf("connect to the cluster: %w", err)
	}
	admin.SetMaxOpenConns(2)
	c.admin = admin
	return nil
}

// URL returns the libpq URL of database db in the cluster.
func (c *Cluster) URL(db string) string {
	return "postgres://starling@/" + db + "?host=" + c.socket + "&port=" + c.port + "&sslmode=disable"
}

// NewDatabase creates an empty database and returns its URL.
func (c *Cluster) NewDatabase(ctx context.Context) (string, error) {
	name := "t" + strconv.FormatInt(c.next.Add(1), 10)
	if _, err := c.admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.URL(name), nil
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() error {
	if c.admin != nil {
		c.admin.Close()
	}
	err := c.run(c.pgctl, "-D", c.data(), "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(c.dir))
}

// Main runs a test binary's tests with a cluster started for them, and
// stops it after; *cluster is nil when PostgreSQL is not installed, and
// the binary fails then if STARLING_REQUIRE_ALL=1. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(storetest.Main(m, &pg)) }
func Main(m *testing.M, cluster **Cluster) int {
	c, err := StartCluster()
	switch {
	case errors.Is(err, ErrNoPostgres) && os.Getenv("STARLING_REQUIRE_ALL") != "1":
	case err != nil:
		fmt.Fprintln(os.Stderr, "start a PostgreSQL cluster:", err)
		return 1
	}
	*cluster = c
	code := m.Run()
	if c != nil {
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop the PostgreSQL cluster:", err)
		}
	}
	return code
}

// Database returns the URL of a new database of c for t, skipping t when
// c is nil (PostgreSQL is not installed).
func Database(t testing.TB, c *Cluster) string {
	t.Helper()
	if c == nil {
		t.Skip(ErrNoPostgres.Error())
	}
	url, err := c.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return url
}
