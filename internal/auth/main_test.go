package auth_test

import (
	"os"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// TestMain lets more parallel tests run at once than one per core: they spend their time waiting on the
// databases and timers, not on the CPU.
func TestMain(m *testing.M) {
	storetest.RaiseParallel(4)
	os.Exit(m.Run())
}
