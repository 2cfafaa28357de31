package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// buildABI3Guest compiles wasmhost's ABI 3 test guest into dir/name.wasm,
// or skips the test without clang.
func buildABI3Guest(t *testing.T, dir, name string) {
	t.Helper()
	clang, err := exec.LookPath("clang-14")
	if err != nil {
		if os.Getenv("STARLING_REQUIRE_ALL") == "1" {
			t.Fatal("clang-14 not installed")
		}
		t.Skip("clang-14 not installed: run guests/install-toolchains.sh")
	}
	root := filepath.Join("..", "..")
	out := filepath.Join(dir, name+".wasm")
	cmd := exec.Command(clang, "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
		"-DSTARLING_ABI_VERSION=3", "-I", filepath.Join(root, "guests/c"), "-o", out,
		filepath.Join(root, "guests/c/starling.c"), filepath.Join(root, "wasmhost/testdata/abi3.c"))
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the guest: %v\n%s", err, output)
	}
}

// writeConfig writes a kuzzlerc whose plugins.wasm section is wasm.
func writeConfig(t *testing.T, file, wasm string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(`{"plugins": {"wasm": `+wasm+`}}`), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ask sends one request and returns its response payload.
func ask(t *testing.T, c paho.Client, msgs chan paho.Message, id, req string) string {
	t.Helper()
	req = `{"requestId":"` + id + `",` + strings.TrimPrefix(req, "{")
	c.Publish("Kuzzle/request", 0, false, req).WaitTimeout(wait)
	deadline := time.After(wait)
	for {
		select {
		case m := <-msgs:
			if strings.Contains(string(m.Payload()), `"requestId":"`+id+`"`) {
				return string(m.Payload())
			}
		case <-deadline:
			t.Fatalf("no response to %s", req)
		}
	}
}

// TestSIGHUPReloadsWasmSettings: a module's configuration changed in the
// file, then SIGHUP, reloads that module (its guest sees the new
// configuration) and no other; a configuration with a bad value is logged
// and changes nothing; at start, it stops the server naming the key.
func TestSIGHUPReloadsWasmSettings(t *testing.T) {
	dir := t.TempDir()
	modules := filepath.Join(dir, "modules")
	if err := os.Mkdir(modules, 0o755); err != nil {
		t.Fatal(err)
	}
	buildABI3Guest(t, modules, "shop")
	buildABI3Guest(t, modules, "other")
	file := filepath.Join(dir, "kuzzlerc.json")
	section := func(shop string) string {
		return fmt.Sprintf(`{"dir": %q, "cacheDir": "-", "modules": {"shop": %s, "other": {"config": "same"}}}`, modules, shop)
	}
	writeConfig(t, file, section(`{"config": {"v": 1}}`))
	p := start(t, []string{"kuzzle_server__protocols__mqtt__server__port=0", "kuzzle_server__protocols__mqtt__server__host=127.0.0.1"},
		"--config", file)
	c, msgs, _ := connect(t, p.address(t))
	if r := ask(t, c, msgs, "a", `{"controller":"shop/abi3","action":"config"}`); !strings.Contains(r, `"result":{"v":1}`) {
		t.Fatalf("config at start: %s", r)
	}

	writeConfig(t, file, section(`{"config": {"v": 2}, "allowedActions": ["server:now"]}`))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, `level=INFO msg="SIGHUP: Wasm settings read again" reloaded=[shop]`)
	// The watcher reloads the module once told: poll until it has.
	for i, deadline := 0, time.Now().Add(wait); ; i++ {
		r := ask(t, c, msgs, fmt.Sprint("b", i), `{"controller":"shop/abi3","action":"config"}`)
		if strings.Contains(r, `"result":{"v":2}`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("config after SIGHUP: %s", r)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := ask(t, c, msgs, "c", `{"controller":"shop/abi3","action":"call","body":{"controller":"server","action":"info"}}`); !strings.Contains(r, `action server:info not allowed for module shop`) {
		t.Fatalf("allowedActions after SIGHUP: %s", r)
	}

	writeConfig(t, file, section(`{"allowedActions": ["server"]}`))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := p.waitLine(t, `level=ERROR msg="SIGHUP: Wasm settings kept"`)
	if !strings.Contains(line, `allowedActions: \"server\" is not controller:action`) {
		t.Fatalf("the error does not say what is wrong: %s", line)
	}
	if r := ask(t, c, msgs, "d", `{"controller":"shop/abi3","action":"config"}`); !strings.Contains(r, `"result":{"v":2}`) {
		t.Fatalf("config after a refused SIGHUP: %s", r)
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	if code, out := p.exitCode(t); code != 0 {
		t.Fatalf("exit status %d after SIGINT:\n%s", code, out)
	}

	// At start, the same value stops the server.
	bad := start(t, []string{"kuzzle_server__protocols__mqtt__server__port=0"}, "--config", file)
	if code, out := bad.exitCode(t); code != 1 || !strings.Contains(out, `module shop: allowedActions: "server" is not controller:action`) {
		t.Fatalf("exit status %d at start with a bad pattern:\n%s", code, out)
	}
}
