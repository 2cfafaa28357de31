package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/starlingmq/starling/bench/internal/proc"
)

// Server names, as the tables print them.
const (
	Starling  = "starling"
	Mosquitto = "mosquitto"
	Aedes     = "aedes"
)

// startTimeout bounds a server's start-up; stopTimeout its graceful stop.
const (
	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// Server is a server process the harness started: Starling or a peer.
type Server struct {
	Name string
	Addr string // host:port of its MQTT listener
	// HTTPAddr is host:port of Starling's HTTP and WebSocket listener
	// (server.port), "" for the peers.
	HTTPAddr string
	PID      int

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	tail *logTail
}

// Env is what starting servers needs: the built Starling binary, the npm
// peers, a scratch directory, the CPU the servers run on, and the logger.
type Env struct {
	Starling  string // path of the built binary
	Modules   string // bench/node/node_modules
	AedesJS   string // bench/peers/aedes-broker.js
	Repo      string // the module root
	Dir       string // scratch directory, removed at exit
	ServerCPU string // taskset CPU list for servers, "" for no pinning
	Log       *slog.Logger
}

// Start starts the named server with extra environment for Starling.
func (e *Env) Start(ctx context.Context, name string, starlingEnv ...string) (*Server, error) {
	switch name {
	case Starling:
		return e.startStarling(ctx, starlingEnv)
	case Mosquitto:
		return e.startMosquitto(ctx)
	case Aedes:
		return e.startAedes(ctx)
	}
	return nil, fmt.Errorf("unknown server %q", name)
}

// Available says why a server cannot run here, if it cannot.
func (e *Env) Available(name string) error {
	switch name {
	case Mosquitto:
		if _, err := os.Stat("/usr/sbin/mosquitto"); err != nil {
			return errors.New("mosquitto not installed (apt-get install mosquitto)")
		}
	case Koncorde:
		return koncordeAvailable(e.Modules)
	case Aedes:
		if _, err := exec.LookPath("node"); err != nil {
			return errors.New("node not installed")
		}
		if _, err := os.Stat(filepath.Join(e.Modules, "aedes", "package.json")); err != nil {
			return errors.New("aedes not installed (npm ci --prefix bench/node)")
		}
	}
	return nil
}

// command builds a command pinned to the server CPU, in its own process
// group. taskset execs the program, so the PID is the server's own.
func (e *Env) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	if e.ServerCPU != "" {
		args = append([]string{"-c", e.ServerCPU, name}, args...)
		name = "taskset"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

var (
	listeningRe     = regexp.MustCompile(`msg="MQTT listening" address=(\S+)`)
	httpListeningRe = regexp.MustCompile(`msg="HTTP[^"]*listener started" address=(\S+)`)
)

func (e *Env) startStarling(ctx context.Context, extra []string) (*Server, error) {
	if !slices.ContainsFunc(extra, func(kv string) bool { return strings.HasPrefix(kv, "kuzzle_storage__path=") }) {
		// Each start its own store: a case never sees another's users or
		// documents.
		dir, err := os.MkdirTemp(e.Dir, "starling-data-")
		if err != nil {
			return nil, err
		}
		extra = append(extra, "kuzzle_storage__path="+dir)
	}
	cmd := e.command(ctx, e.Starling)
	cmd.Dir = e.Dir // no .kuzzlerc from the working tree
	cmd.Env = append(os.Environ(),
		"kuzzle_server__protocols__mqtt__server__host=127.0.0.1",
		"kuzzle_server__protocols__mqtt__server__port=0",
		"kuzzle_server__host=127.0.0.1",
		"kuzzle_server__port=0")
	cmd.Env = append(cmd.Env, extra...)
	// The HTTP listener starts before MQTT: its address is known once
	// MQTT's is, and the scan goroutine's send of the latter orders them.
	var httpAddr string
	s, err := e.launch(ctx, Starling, cmd, true, func(line string) string {
		if m := httpListeningRe.FindStringSubmatch(line); m != nil {
			httpAddr = m[1]
		}
		if m := listeningRe.FindStringSubmatch(line); m != nil {
			return m[1]
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	s.HTTPAddr = httpAddr
	return s, nil
}

func (e *Env) startMosquitto(ctx context.Context) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(e.Dir, fmt.Sprintf("mosquitto-%d.conf", port))
	body := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"+
		"max_connections -1\npersistence false\nset_tcp_nodelay true\nconnection_messages false\nlog_dest stderr\nlog_type error\nlog_type warning\nlog_type information\n", port)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return nil, fmt.Errorf("mosquitto config: %w", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := e.command(ctx, "/usr/sbin/mosquitto", "-c", conf)
	return e.launch(ctx, Mosquitto, cmd, true, func(line string) string {
		if strings.Contains(line, " running") {
			return addr
		}
		return ""
	})
}

func (e *Env) startAedes(ctx context.Context) (*Server, error) {
	cmd := e.command(ctx, "node", e.AedesJS, e.Modules, "0")
	return e.launch(ctx, Aedes, cmd, false, func(line string) string {
		if a, ok := strings.CutPrefix(line, "listening "); ok {
			return strings.TrimSpace(a)
		}
		return ""
	})
}

// freePort asks the kernel for a free loopback port; a peer that takes a
// port number in its configuration gets it this way.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// launch starts cmd and waits until ready finds the address in a line of
// its stderr (or stdout), the process exits, or the start-up deadline.
func (e *Env) launch(ctx context.Context, name string, cmd *exec.Cmd, stderr bool, ready func(string) string) (*Server, error) {
	s := &Server{Name: name, cmd: cmd, done: make(chan struct{}), tail: &logTail{}}
	var pipe io.Reader
	var err error
	if stderr {
		pipe, err = cmd.StderrPipe()
	} else {
		cmd.Stderr = s.tail
		pipe, err = cmd.StdoutPipe()
	}
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s.PID = cmd.Process.Pid
	addrc := make(chan string, 1)
	go func() {
		s.scan(pipe, ready, addrc)
		_ = cmd.Wait() // after the last read of the pipe, as Wait requires
		close(s.done)
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case s.Addr = <-addrc:
		e.Log.Debug("server started", "server", name, "addr", s.Addr, "pid", s.PID)
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("%s exited at start-up: %s", name, s.tail)
	case <-timer.C:
	case <-ctx.Done():
	}
	s.Stop()
	return nil, fmt.Errorf("%s not ready within %s: %s", name, startTimeout, s.tail)
}

// scan reads the server's log, keeps its tail and reports the address once.
func (s *Server) scan(r io.Reader, ready func(string) string, addrc chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		s.tail.add(line)
		if !found {
			if a := ready(line); a != "" {
				found = true
				addrc <- a
			}
		}
	}
}

// CPU returns the server's CPU time so far.
func (s *Server) CPU() (time.Duration, error) { return proc.CPUTime(s.PID) }

// Memory returns the server's resident memory.
func (s *Server) Memory() (proc.Memory, error) { return proc.ReadMemory(s.PID) }

// Stop sends SIGTERM to the server's process group and waits for the exit;
// after stopTimeout it kills the group.
func (s *Server) Stop() {
	_ = syscall.Kill(-s.PID, syscall.SIGTERM)
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-s.done:
	case <-timer.C:
		_ = syscall.Kill(-s.PID, syscall.SIGKILL)
		<-s.done
	}
}

// Exited reports whether the server is gone (crashed) before Stop.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Log returns the last lines the server logged.
func (s *Server) Log() string { return s.tail.String() }

// logTail keeps the last lines of a server's log for error messages.
type logTail struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

const tailLines = 20

func (t *logTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > tailLines {
		t.lines = t.lines[len(t.lines)-tailLines:]
	}
}

// Write lets the tail be a process's stderr.
func (t *logTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.part = append(t.part, p...)
	var lines []string
	for {
		i := strings.IndexByte(string(t.part), '\n')
		if i < 0 {
			break
		}
		lines = append(lines, string(t.part[:i]))
		t.part = t.part[i+1:]
	}
	if len(t.part) > 4096 {
		t.part = t.part[len(t.part)-4096:]
	}
	t.mu.Unlock()
	for _, l := range lines {
		t.add(l)
	}
	return len(p), nil
}

func (t *logTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
