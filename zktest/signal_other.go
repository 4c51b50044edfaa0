//go:build !unix

package zktest

import (
	"errors"
	"os"
)

var errNoSignals = errors.New("zktest: pausing a server needs SIGSTOP/SIGCONT (Unix only)")

// signalTerm has no gentler form than Kill without Unix signals.
func signalTerm(p *os.Process) error { return p.Kill() }
func signalStop(p *os.Process) error { return errNoSignals }
func signalCont(p *os.Process) error { return errNoSignals }
