package testserver

import (
	"os/exec"
	"syscall"
)

// stopWithParent has the server terminated when the test binary dies without
// calling Stop (a panicking test, a timeout).
func stopWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
