package wasmhost_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// root is the repository root, seen from this package's directory.
const root = ".."

// buildDir holds the guests built by this test process, shared by all
// tests so that each guest is built once.
var (
	buildDir  string
	buildMu   sync.Mutex
	buildDone = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "starling-guests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// need returns the path of tool, or skips the test when it is absent
// (fails it when STARLING_REQUIRE_ALL=1).
func need(t testing.TB, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if strings.HasPrefix(tool, "/") || strings.Contains(tool, string(filepath.Separator)) {
		if _, serr := os.Stat(tool); serr == nil {
			path, err = tool, nil
		}
	}
	if err != nil {
		msg := fmt.Sprintf("%s not installed: run guests/install-toolchains.sh", tool)
		if os.Getenv("STARLING_REQUIRE_ALL") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// build runs a build command once per process for a given key and returns
// the .wasm it produced.
func build(t testing.TB, key string, run func(out string) *exec.Cmd) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if out, ok := buildDone[key]; ok {
		return out
	}
	sum := sha256.Sum256([]byte(key))
	out := filepath.Join(buildDir, hex.EncodeToString(sum[:8])+".wasm")
	cmd := run(out)
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s\n%s", key, err, strings.Join(cmd.Args, " "), output)
	}
	buildDone[key] = out
	return out
}

// buildC compiles C sources with the C SDK into a reactor module.
func buildC(t testing.TB, srcs ...string) string {
	clang := need(t, "clang-14")
	return build(t, "c:"+strings.Join(srcs, ","), func(out string) *exec.Cmd {
		args := []string{"--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
			"-Wall", "-I", filepath.Join(root, "guests/c"), "-o", out, filepath.Join(root, "guests/c/starling.c")}
		return exec.Command(clang, append(args, srcs...)...)
	})
}

// buildRawC compiles C sources without the SDK (for modules that break the ABI).
func buildRawC(t testing.TB, srcs ...string) string {
	clang := need(t, "clang-14")
	return build(t, "rawc:"+strings.Join(srcs, ","), func(out string) *exec.Cmd {
		args := []string{"--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor", "-o", out}
		return exec.Command(clang, append(args, srcs...)...)
	})
}

// buildAS compiles an AssemblyScript entry file with the SDK's compiler.
func buildAS(t testing.TB, entry string) string {
	asc := filepath.Join(root, "guests/assemblyscript/node_modules/.bin/asc")
	if _, err := os.Stat(asc); err != nil {
		need(t, "guests/assemblyscript/node_modules/.bin/asc")
	}
	need(t, "node")
	return build(t, "as:"+entry, func(out string) *exec.Cmd {
		return exec.Command(asc, entry, "-o", out, "--runtime", "stub", "-O3", "--noAssert")
	})
}

// buildGo compiles a Go guest package (GOOS=wasip1, c-shared).
func buildGo(t testing.TB, pkg string) string {
	goTool := need(t, "go")
	return build(t, "go:"+pkg, func(out string) *exec.Cmd {
		cmd := exec.Command(goTool, "build", "-buildmode=c-shared", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		cmd.Dir = root
		return cmd
	})
}

// buildRust compiles a Rust guest crate root with Debian's rustc.
func buildRust(t testing.TB, src string) string {
	rustc := need(t, "/usr/bin/rustc")
	need(t, "wasm-ld-14")
	return build(t, "rust:"+src, func(out string) *exec.Cmd {
		return exec.Command(rustc, "--target", "wasm32-wasi", "--crate-type", "cdylib", "--edition", "2021",
			"-C", "opt-level=2", "-C", "linker=wasm-ld-14", "-o", out, src)
	})
}
