//go:build !linux

package zktest

import "syscall"

// sysProcAttr has no parent-death signal outside Linux: a test binary killed
// without running its cleanups leaves its servers running there.
func sysProcAttr() *syscall.SysProcAttr { return nil }
