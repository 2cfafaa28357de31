package wasmtest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// root is the repository root, seen from this package's directory.
const root = "../.."

// need returns the path of tool, or skips the test when it is absent (fails
// it when STARLING_REQUIRE_ALL=1), as wasmhost's tests do.
func need(t testing.TB, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("STARLING_REQUIRE_ALL") == "1" {
			t.Fatalf("%s not installed: run guests/install-toolchains.sh", tool)
		}
		t.Skipf("%s not installed: run guests/install-toolchains.sh", tool)
	}
	return path
}

// buildC compiles C sources with the C SDK into dir/name.wasm.
func buildC(t testing.TB, name string, srcs ...string) string {
	t.Helper()
	clang := need(t, "clang-14")
	out := filepath.Join(t.TempDir(), name+".wasm")
	args := []string{"--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
		"-I", filepath.Join(root, "guests/c"), "-o", out, filepath.Join(root, "guests/c/starling.c")}
	for _, s := range srcs {
		args = append(args, filepath.Join(root, s))
	}
	run(t, exec.Command(clang, args...))
	return out
}

// buildGo compiles a Go guest package into dir/name.wasm.
func buildGo(t testing.TB, name, pkg string) string {
	t.Helper()
	goTool := need(t, "go")
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command(goTool, "build", "-buildmode=c-shared", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	cmd.Dir = root
	run(t, cmd)
	return out
}

func run(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, output)
	}
}
