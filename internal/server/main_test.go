package server_test

import (
	"os"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// TestMain lets more of the parallel tests run at once than go test's default of one per core: these tests
// spend most of their time waiting on browsers, child processes, timers and the database, not on the CPU
// (a whole `go test ./...` kept 2 cores 38 % busy). It stops the browsers the tests shared.
func TestMain(m *testing.M) {
	storetest.RaiseParallel(4)
	code := m.Run()
	browsers.stop()
	os.Exit(code)
}
