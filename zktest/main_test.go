package zktest

import (
	"testing"

	"go.uber.org/goleak"
)

// The shared server of these tests has a super user, for TestSuperDigest.
const (
	superUser     = "super"
	superPassword = "zktest-secret"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(Main(m, WithSuperDigest(superUser, superPassword)))
}
