package etcdtest

import (
	"os/exec"
	"syscall"
)

// orphanProof makes the kernel kill etcd when the test binary dies without
// stopping it (a panic, a -timeout), so that no server outlives its tests.
func orphanProof(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
