package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// TestLogFormats starts the server with each server.logs.format and reads
// its startup line in that format.
func TestLogFormats(t *testing.T) {
	env := []string{"kuzzle_server__protocols__mqtt__server__port=0", "kuzzle_server__protocols__mqtt__server__host=127.0.0.1"}
	t.Run("text", func(t *testing.T) {
		p := start(t, env)
		line := p.waitLine(t, `msg="starling started"`)
		if !strings.HasPrefix(line, "time=") || !strings.Contains(line, "level=INFO") {
			t.Fatalf("not a text line: %s", line)
		}
		p.stop(t)
	})
	t.Run("json", func(t *testing.T) {
		p := start(t, append(env, "kuzzle_server__logs__format=json"))
		line := p.waitLine(t, `"msg":"starling started"`)
		var entry map[string]any
		if err := jsonx.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("not a JSON line: %s: %v", line, err)
		}
		if entry["level"] != "INFO" || entry["version"] == nil || entry["node"] == nil || entry["time"] == nil {
			t.Fatalf("JSON line lacks level, time, node or version: %s", line)
		}
		p.stop(t)
	})
}

// waitLine waits for a logged line containing want and returns it.
func (p *process) waitLine(t *testing.T, want string) string {
	t.Helper()
	var seen []string
	deadline := time.After(wait)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("starling exited before logging %s:\n%s", want, strings.Join(seen, "\n"))
			}
			if strings.Contains(line, want) {
				return line
			}
			seen = append(seen, line)
		case <-deadline:
			t.Fatalf("no line with %s:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}

// stop sends SIGINT and expects exit status 0.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code, out := p.exitCode(t); code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, out)
	}
}
