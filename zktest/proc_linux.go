package zktest

import "syscall"

// sysProcAttr makes the kernel kill the JVM when the test binary dies
// without running its cleanups (a test timeout's panic, a SIGKILL), so no
// orphaned server keeps its port and memory. Pdeathsig fires when the OS
// thread that started the JVM exits, which the Go runtime does only for a
// goroutine that exits while locked to its thread: test code that does that
// while a server runs would lose the server.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
