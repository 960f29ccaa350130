//go:build !linux

package testserver

import "os/exec"

// stopWithParent does nothing here: only Linux has a parent-death signal, so
// a test binary that dies without calling Stop leaves the server running.
func stopWithParent(*exec.Cmd) {}
