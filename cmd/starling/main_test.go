package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

const wait = 10 * time.Second

// TestMain runs the command itself when the test binary is re-executed by
// a test, so that tests start real processes without a build step.
func TestMain(m *testing.M) {
	if os.Getenv("STARLING_TEST_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// process is a starling process started by a test.
type process struct {
	cmd    *exec.Cmd
	lines  chan string
	exited chan error
}

// start runs starling with args and extra environment, from an empty
// working and home directory.
func start(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"STARLING_TEST_RUN_MAIN=1", "HOME=" + dir, "PATH=" + os.Getenv("PATH"), "kuzzle_server__port=0", "kuzzle_server__host=127.0.0.1"}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, lines: make(chan string, 1000), exited: make(chan error, 1)}
	go func() {
		scanner := bufio.NewScanner(stderr)
		for scanner.Scan() {
			p.lines <- scanner.Text()
		}
		close(p.lines)
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

var listening = regexp.MustCompile(`msg="MQTT listening" address=(\S+)`)

// address waits for the log line giving the MQTT address.
func (p *process) address(t *testing.T) string {
	t.Helper()
	var seen []string
	deadline := time.After(wait)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("starling exited before listening:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, line)
			if m := listening.FindStringSubmatch(line); m != nil {
				return m[1]
			}
		case <-deadline:
			t.Fatalf("no listening address logged:\n%s", strings.Join(seen, "\n"))
		}
	}
}

// exitCode waits for the process to end and returns its status and output.
func (p *process) exitCode(t *testing.T) (int, string) {
	t.Helper()
	var out []string
	for line := range p.lines {
		out = append(out, line)
	}
	select {
	case err := <-p.exited:
		if err == nil {
			return 0, strings.Join(out, "\n")
		}
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), strings.Join(out, "\n")
		}
		t.Fatal(err)
	case <-time.After(wait):
		t.Fatal("starling did not exit")
	}
	return -1, ""
}

// connect returns a connected MQTT 3.1.1 client and the channel of what it
// receives.
func connect(t *testing.T, addr string) (paho.Client, chan paho.Message, chan struct{}) {
	t.Helper()
	msgs, lost := make(chan paho.Message, 100), make(chan struct{})
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("cmd-test").SetAutoReconnect(false).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { msgs <- m }).
		SetConnectionLostHandler(func(paho.Client, error) { close(lost) })
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c, msgs, lost
}

func TestFreePortAndGracefulStop(t *testing.T) {
	p := start(t, []string{"kuzzle_server__protocols__mqtt__server__port=0", "kuzzle_server__protocols__mqtt__server__host=127.0.0.1"})
	addr := p.address(t)
	if strings.HasSuffix(addr, ":0") || strings.HasSuffix(addr, ":1883") {
		t.Fatalf("port 0 must pick a free port, got %s", addr)
	}
	c, msgs, _ := connect(t, addr)
	c.Publish("Kuzzle/request", 0, false, `{"controller":"server","action":"now","requestId":"x"}`).WaitTimeout(wait)
	select {
	case m := <-msgs:
		if m.Topic() != "Kuzzle/response" || !strings.Contains(string(m.Payload()), `"requestId":"x","result":{"now":`) {
			t.Fatalf("unexpected response %s: %s", m.Topic(), m.Payload())
		}
	case <-time.After(wait):
		t.Fatal("no response")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, out := p.exitCode(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, out)
	}
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kuzzlerc.json")
	if err := os.WriteFile(file, []byte(`{"server": {"protocols": {"mqtt": {
		"requestTopic": "file/request", "responseTopic": "file/response",
		"server": {"host": "127.0.0.1", "port": 1}}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, []string{
		"kuzzle_server__protocols__mqtt__requestTopic=env/request", // beats the file
		"kuzzle_server__protocols__mqtt__server__port=0",           // beats the file
	}, "--config", file)
	c, msgs, lost := connect(t, p.address(t))
	c.Publish("env/request", 0, false, `{"controller":"server","action":"now","requestId":"env"}`).WaitTimeout(wait)
	select {
	case m := <-msgs:
		if m.Topic() != "file/response" || !strings.Contains(string(m.Payload()), `"requestId":"env"`) {
			t.Fatalf("unexpected response %s: %s", m.Topic(), m.Payload())
		}
	case <-time.After(wait):
		t.Fatal("no response on the file's response topic")
	}
	// allowPubSub keeps its default (false): the file's request topic is now
	// an ordinary topic, and publishing there closes the connection.
	c.Publish("file/request", 0, false, `{}`)
	select {
	case <-lost:
	case <-time.After(wait):
		t.Fatal("publishing outside the request topic must close the connection")
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	if code, out := p.exitCode(t); code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, out)
	}
}

func TestStartupErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"bad value", []string{"kuzzle_server__protocols__mqtt__allowPubSub=maybe"}, nil, 1, "server.protocols.mqtt.allowPubSub"},
		{"bad port", []string{"kuzzle_server__protocols__mqtt__server__port=99999"}, nil, 1, "server.protocols.mqtt.server.port"},
		{"missing file", nil, []string{"--config", "/nonexistent/kuzzlerc"}, 1, "/nonexistent/kuzzlerc"},
		{"unknown flag", nil, []string{"--nope"}, 2, "flag provided but not defined"},
		{"missing Wasm directory", []string{"kuzzle_plugins__wasm__dir=/nonexistent/wasm", "kuzzle_server__protocols__mqtt__server__port=0"}, nil, 1, "plugins.wasm.dir"},
		{"unusable storage path", []string{"kuzzle_storage__path=/dev/null/data", "kuzzle_server__protocols__mqtt__server__port=0"}, nil, 1, `"/dev/null/data"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.env, tt.args...)
			code, out := p.exitCode(t)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, output:\n%s\nwant exit %d mentioning %q", code, out, tt.code, tt.want)
			}
		})
	}
}

func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	p := start(t, []string{"kuzzle_server__protocols__mqtt__server__port=0", "kuzzle_server__protocols__mqtt__server__host=127.0.0.1"},
		"--cpuprofile", cpu, "--memprofile", mem)
	p.address(t)
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code, out := p.exitCode(t); code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, out)
	}
	for _, path := range []string{cpu, mem} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b { // pprof files are gzipped protobufs
			t.Errorf("%s is no pprof profile (%d bytes)", filepath.Base(path), len(b))
		}
	}
}
