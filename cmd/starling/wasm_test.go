package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildGeofence compiles the C geofence example, or skips the test without
// clang-14 (fails it when STARLING_REQUIRE_ALL=1).
func buildGeofence(t *testing.T) string {
	t.Helper()
	return buildCExample(t, "geofence", "../../examples/geofence/c/geofence.c")
}

// buildCExample compiles a C example with the C SDK into dir/name.wasm.
func buildCExample(t *testing.T, name, src string) string {
	t.Helper()
	clang, err := exec.LookPath("clang-14")
	if err != nil {
		if os.Getenv("STARLING_REQUIRE_ALL") == "1" {
			t.Fatal("clang-14 not installed: run guests/install-toolchains.sh")
		}
		t.Skip("clang-14 not installed: run guests/install-toolchains.sh")
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command(clang, "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
		"-I", "../../guests/c", "-o", out, "../../guests/c/starling.c", src)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	return out
}

func TestWasmRun(t *testing.T) {
	wasm := buildGeofence(t)
	filter := buildCExample(t, "geofence-filter", "../../examples/geofence-filter/geofence_filter.c")
	near := `{"lat":43.6045,"lon":1.444,"distance":5000}`
	dir := t.TempDir()
	mocks := filepath.Join(dir, "mocks.json")
	if err := os.WriteFile(mocks, []byte(`{"realtime:publish":{"result":{}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(dir, "request.json")
	if err := os.WriteFile(input, []byte(`{"body":{"lat":43.3,"lon":5.37}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // exact, or a substring of stderr when code is 2
	}{
		{"action from stdin", []string{"run", "--action", "geofence:check", wasm}, `{"body":{"lat":43.6,"lon":1.44}}`,
			0, `{"inside":true,"distance":595}` + "\n"},
		{"action from a file, mocked call", []string{"run", "--action", "check", "--input", input, "--mocks", mocks, wasm}, "",
			0, `{"inside":false,"distance":318687,"alert":true}` + "\n"},
		{"call not mocked", []string{"run", "--action", "check", "--input", input, wasm}, "",
			0, `{"inside":false,"distance":318687,"alert":false}` + "\n"},
		{"Kuzzle error", []string{"run", "--action", "check", wasm}, `{"body":{}}`,
			1, `{"code":`},
		{"filter, match", []string{"run", "--filter", "near", "--args", near, filter}, `{"location":{"lat":43.6,"lon":1.44}}`,
			0, "true\n"},
		{"filter, no match", []string{"run", "--filter", "near", "--args", near, filter}, `{"location":{"lat":43.3,"lon":5.37}}`,
			0, "false\n"},
		{"filter unknown", []string{"run", "--filter", "far", filter}, `{}`, 1, ""},
		{"no pipe", []string{"run", "--pipe", "document:beforeCreate", wasm}, `{}`, 1, ""},
		{"allowed actions refuse the call", []string{"run", "--action", "check", "--input", input, "--mocks", mocks,
			"--allowed-actions", "document:*", wasm}, "", 0, `{"inside":false,"distance":318687,"alert":false}` + "\n"},
		{"allowed actions admit the call", []string{"run", "--action", "check", "--input", input, "--mocks", mocks,
			"--allowed-actions", "document:*,realtime:pub*", wasm}, "", 0, `{"inside":false,"distance":318687,"alert":true}` + "\n"},
		{"no kind", []string{"run", wasm}, "", 2, "give one module and one of"},
		{"two kinds", []string{"run", "--action", "check", "--filter", "near", wasm}, "", 2, "give one module and one of"},
		{"no run", []string{"load", wasm}, "", 2, "usage: starling wasm run"},
		{"bad mocks", []string{"run", "--action", "check", "--mocks", input, wasm}, "", 2, "not controller:action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runWasm(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d; stdout %s; stderr %s", code, tt.code, stdout.String(), stderr.String())
			}
			switch {
			case code == 2:
				if !strings.Contains(stderr.String(), tt.stdout) {
					t.Fatalf("stderr %q, want %q in it", stderr.String(), tt.stdout)
				}
			case code == 1 && tt.stdout == "":
				if stdout.Len() != 0 || !strings.Contains(stderr.String(), "starling wasm run: ") {
					t.Fatalf("stdout %q, stderr %q", stdout.String(), stderr.String())
				}
			case code == 1:
				if !strings.HasPrefix(stdout.String(), tt.stdout) || !strings.Contains(stdout.String(), `"id":"api.assert.missing_argument"`) {
					t.Fatalf("stdout %q", stdout.String())
				}
			case stdout.String() != tt.stdout:
				t.Fatalf("stdout %q, want %q", stdout.String(), tt.stdout)
			}
		})
	}
}
