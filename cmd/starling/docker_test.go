package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/actors/node"
)

// TestDockerImage builds the repository's Dockerfile and runs the image's
// binary with --version. It needs a docker daemon, which .ci/run does not
// install: it skips without one, even under STARLING_REQUIRE_ALL=1.
func TestDockerImage(t *testing.T) {
	docker, err := exec.LookPath("docker")
	if err != nil {
		t.Skip("docker is not installed: the Dockerfile is not built (allowed even with STARLING_REQUIRE_ALL=1: .ci/run installs no docker)")
	}
	if out, err := exec.Command(docker, "info").CombinedOutput(); err != nil {
		t.Skipf("docker is installed but its daemon does not answer (allowed even with STARLING_REQUIRE_ALL=1: .ci/run installs no docker): %v\n%s", err, out)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("starling-test:%d", time.Now().UnixNano())
	build := exec.Command(docker, "build", "-t", tag, root)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(docker, "rmi", "-f", tag).Run() })

	out, err := exec.Command(docker, "run", "--rm", tag, "--version").Output()
	if err != nil {
		t.Fatalf("docker run %s --version: %v", tag, err)
	}
	if want := "starling " + node.Version; strings.TrimSpace(string(out)) != want {
		t.Errorf("the image prints %q, want %q", out, want)
	}
	config, err := exec.Command(docker, "image", "inspect", "-f", "{{.Config.User}} {{json .Config.Volumes}} {{json .Config.ExposedPorts}} {{json .Config.Healthcheck}}", tag).Output()
	if err != nil {
		t.Fatalf("docker image inspect: %v", err)
	}
	for _, want := range []string{"65532:65532", `"/data"`, `"1883/tcp"`, `"7512/tcp"`, `"healthcheck"]`} {
		if !strings.Contains(string(config), want) {
			t.Errorf("image configuration %s lacks %s", config, want)
		}
	}
}
