package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// binPaths are where etcd is looked for, after PATH.
var binPaths = []string{"/usr/bin/etcd", "/usr/local/bin/etcd"}

// ErrNoEtcd is returned by Start when the etcd program cannot be found.
var ErrNoEtcd = errors.New("etcd is not installed (no etcd in PATH, /usr/bin or /usr/local/bin; Debian package etcd-server)")

const (
	// startTimeout bounds the wait for a started etcd to answer /health.
	startTimeout = 60 * time.Second
	// stopTimeout bounds the wait for etcd to exit after SIGTERM, before
	// Stop kills it.
	stopTimeout = 20 * time.Second
	// bindTries is how many times Start picks new ports when another
	// process took one between the pick and etcd's bind.
	bindTries = 3
)

// Server is a throw-away one-member etcd cluster listening on loopback.
// Its methods are for one goroutine, the test's: they are not safe for
// concurrent use.
type Server struct {
	bin, dir     string
	client, peer string // host:port of the client and peer URLs
	proc         *process
}

// process is one run of the etcd program.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the program exited
	err  error         // cmd.Wait's error, set before done is closed
}

// findEtcd returns the path of the etcd program.
func findEtcd() (string, error) {
	if p, err := exec.LookPath("etcd"); err == nil {
		return p, nil
	}
	for _, p := range binPaths {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", ErrNoEtcd
}

// Start starts an etcd server with its data in a new temporary directory
// and returns once it answers /health. Stop ends it and removes the
// directory.
func Start() (*Server, error) {
	bin, err := findEtcd()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "starling-etcd-")
	if err != nil {
		return nil, fmt.Errorf("make the etcd directory: %w", err)
	}
	s := &Server{bin: bin, dir: dir}
	for try := 1; ; try++ {
		err = s.startFresh()
		if err == nil || try == bindTries || !s.lostPortRace() {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// startFresh picks two free ports and starts etcd on an empty data
// directory (a failed try may have begun one with the old ports).
func (s *Server) startFresh() error {
	if err := os.RemoveAll(s.data()); err != nil {
		return fmt.Errorf("empty the etcd data directory: %w", err)
	}
	var err error
	if s.client, err = freeAddr(); err != nil {
		return err
	}
	if s.peer, err = freeAddr(); err != nil {
		return err
	}
	return s.start()
}

// lostPortRace tells whether the last run failed because a port was
// taken, as its log says.
func (s *Server) lostPortRace() bool {
	return strings.Contains(s.logTail(), "address already in use")
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// data is the server's data directory; the log file sits beside it.
func (s *Server) data() string    { return filepath.Join(s.dir, "data") }
func (s *Server) logPath() string { return filepath.Join(s.dir, "etcd.log") }

// start runs etcd on s's ports and data directory and waits until it is
// healthy.
func (s *Server) start() error {
	log, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open the etcd log: %w", err)
	}
	defer log.Close() // the child holds its own descriptor
	cmd := exec.Command(s.bin,
		"--name", "starling-test",
		"--data-dir", s.data(),
		"--listen-client-urls", s.ClientURL(),
		"--advertise-client-urls", s.ClientURL(),
		"--listen-peer-urls", "http://"+s.peer,
		"--initial-advertise-peer-urls", "http://"+s.peer,
		"--initial-cluster", "starling-test=http://"+s.peer,
		"--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
	)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = log, log
	orphanProof(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.proc = p
	if err := s.waitHealthy(); err != nil {
		s.kill()
		return err
	}
	return nil
}

// waitHealthy polls /health until etcd says it is healthy, the program
// exits, or startTimeout passes.
func (s *Server) waitHealthy() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.healthy(ctx) {
			return nil
		}
		select {
		case <-s.proc.done:
			return fmt.Errorf("etcd exited before answering (%v); its log ends:\n%s", s.proc.err, s.logTail())
		case <-ctx.Done():
			return fmt.Errorf("etcd did not answer %s/health within %s; its log ends:\n%s", s.ClientURL(), startTimeout, s.logTail())
		case <-tick.C:
		}
	}
}

// healthy tells whether GET /health answers {"health":"true"}.
func (s *Server) healthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.ClientURL()+"/health", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`)
}

// logTail returns the end of etcd's log, for error messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 4096
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// Endpoints returns the server's client endpoint as cluster.etcd.endpoints
// and etcd's v3 client take it: {"127.0.0.1:port"}.
func (s *Server) Endpoints() []string { return []string{s.client} }

// ClientURL returns the server's client URL, "http://127.0.0.1:port".
func (s *Server) ClientURL() string { return "http://" + s.client }

// Running tells whether the etcd program is running (started, and neither
// killed nor stopped, nor exited by itself).
func (s *Server) Running() bool {
	if s.proc == nil {
		return false
	}
	select {
	case <-s.proc.done:
		return false
	default:
		return true
	}
}

// Kill ends etcd with SIGKILL, as a crash would, and waits until it is
// gone; its data stays for Restart. Clients see their connections refused
// from the moment Kill returns.
func (s *Server) Kill() error {
	if s.proc == nil {
		return errors.New("etcd is not running")
	}
	s.kill()
	return nil
}

// kill sends SIGKILL and waits for the program to exit.
func (s *Server) kill() {
	_ = s.proc.cmd.Process.Kill()
	<-s.proc.done
	s.proc = nil
}

// Restart starts etcd again after Kill, on the same ports and data, and
// returns once it is healthy: what was written before Kill is there.
func (s *Server) Restart() error {
	if s.Running() {
		return errors.New("restart etcd: it is still running")
	}
	if s.dir == "" {
		return errors.New("restart etcd: it was stopped for good")
	}
	s.proc = nil
	if err := s.start(); err != nil {
		return fmt.Errorf("restart etcd: %w", err)
	}
	return nil
}

// Stop ends etcd (SIGTERM, then SIGKILL if it has not exited within
// stopTimeout) and removes its directory. Stopping a stopped server does
// nothing.
func (s *Server) Stop() error {
	var err error
	if s.proc != nil {
		_ = s.proc.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.proc.done:
		case <-time.After(stopTimeout):
			err = fmt.Errorf("etcd ignored SIGTERM for %s: killed", stopTimeout)
			_ = s.proc.cmd.Process.Kill()
			<-s.proc.done
		}
		s.proc = nil
	}
	if s.dir != "" {
		err = errors.Join(err, os.RemoveAll(s.dir))
		s.dir = ""
	}
	return err
}
